import { sql } from "drizzle-orm";
import type { Db } from "../../db";

/** Asks the database something real: a health check that never touches it proves nothing. */
export function checkDatabase(db: Db): boolean {
  try {
    db.get(sql`select count(*) from link_tracking`);
    return true;
  } catch {
    return false;
  }
}
