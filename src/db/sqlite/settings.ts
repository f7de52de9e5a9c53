/** The settings table: values made once and kept. */
import { eq } from "drizzle-orm";
import type { Db } from "./index";
import { settings } from "./schema";

/** The stored value of `key`, made by `make` (and stored) the first time. */
export function settingOrCreate(db: Db, key: string, make: () => string): string {
  const found = settingOf(db, key);
  if (found !== undefined) return found;
  db.insert(settings).values({ key, value: make() }).onConflictDoNothing().run();
  return settingOf(db, key)!;
}

export function settingOf(db: Db, key: string): string | undefined {
  return db.select().from(settings).where(eq(settings.key, key)).get()?.value;
}

export function putSetting(db: Db, key: string, value: string): void {
  db.insert(settings).values({ key, value }).onConflictDoUpdate({ target: settings.key, set: { value } }).run();
}
