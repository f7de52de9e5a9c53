/** The api_keys table. Keys themselves are never stored, only their SHA-256. */
import { and, eq, isNull, sql } from "drizzle-orm";
import { Conflict } from "../../lib/errors";
import { changes, type Db } from "./index";
import { apiKeys, type ApiKeyRow } from "./schema";

export function findActiveKeyByHash(db: Db, keyHash: string): ApiKeyRow | undefined {
  return db.select().from(apiKeys).where(and(eq(apiKeys.keyHash, keyHash), isNull(apiKeys.revokedAt))).get();
}

export function countActiveKeys(db: Db): number {
  return db.select({ n: sql<number>`count(*)` }).from(apiKeys).where(isNull(apiKeys.revokedAt)).get()?.n ?? 0;
}

/** A name is one key's: another of the same name is a Conflict (as on PostgreSQL), nothing written. */
export function insertKey(db: Db, row: typeof apiKeys.$inferInsert): void {
  try {
    db.insert(apiKeys).values(row).run();
  } catch (error) {
    if (String((error as { code?: unknown }).code).startsWith("SQLITE_CONSTRAINT") && findKeyByName(db, row.name)) throw new Conflict(`a key named "${row.name}" already exists`);
    throw error;
  }
}

export function listKeys(db: Db): ApiKeyRow[] {
  return db.select().from(apiKeys).orderBy(apiKeys.createdAt).all();
}

export function findKeyByName(db: Db, name: string): ApiKeyRow | undefined {
  return db.select().from(apiKeys).where(eq(apiKeys.name, name)).get();
}

export function revokeKey(db: Db, name: string, at: string): boolean {
  return changes(db.update(apiKeys).set({ revokedAt: at }).where(and(eq(apiKeys.name, name), isNull(apiKeys.revokedAt))).run()) > 0;
}

export function touchKey(db: Db, id: string, at: string): void {
  db.update(apiKeys).set({ lastUsedAt: at }).where(eq(apiKeys.id, id)).run();
}
