/** The api_keys table. Keys themselves are never stored, only their SHA-256. */
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "./index";
import { apiKeys, type ApiKeyRow } from "./schema";

export function findActiveKeyByHash(db: Db, keyHash: string): ApiKeyRow | undefined {
  return db.select().from(apiKeys).where(and(eq(apiKeys.keyHash, keyHash), isNull(apiKeys.revokedAt))).get();
}

export function countActiveKeys(db: Db): number {
  return db.select({ n: sql<number>`count(*)` }).from(apiKeys).where(isNull(apiKeys.revokedAt)).get()?.n ?? 0;
}

export function insertKey(db: Db, row: typeof apiKeys.$inferInsert): void {
  db.insert(apiKeys).values(row).run();
}
