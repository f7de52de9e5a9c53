/** The daily_salts table: today's salt for session ids; yesterday's and older are deleted. */
import { eq, ne } from "drizzle-orm";
import type { Db } from "./index";
import { dailySalts } from "./schema";

export function saltForDay(db: Db, day: string): string {
  const found = db.select().from(dailySalts).where(eq(dailySalts.day, day)).get();
  if (found) return found.salt;
  const salt = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
  return db.transaction(
    (tx) => {
      // Another process (a CLI, a second server) may have made it first: theirs wins.
      tx.insert(dailySalts).values({ day, salt }).onConflictDoNothing().run();
      tx.delete(dailySalts).where(ne(dailySalts.day, day)).run();
      return tx.select().from(dailySalts).where(eq(dailySalts.day, day)).get()!.salt;
    },
    { behavior: "immediate" },
  );
}
