/**
 * API keys on PostgreSQL: stored as hashes, found while active, revoked once. Read and
 * written through the drizzle table (schema.ts apiKeys).
 */
import { and, asc, count, eq, isNull } from "drizzle-orm";
import { Conflict } from "../../lib/errors";
import type { ApiKey, KeyRepository } from "../store";
import { pgErrorCode } from "./driver";
import { iso, isoOrNull } from "./rows";
import { asStoreError, PgContext } from "./context";
import { apiKeys } from "./schema";

const keyOf = (r: typeof apiKeys.$inferSelect): ApiKey => ({ ...r, createdAt: iso(r.createdAt), lastUsedAt: isoOrNull(r.lastUsedAt), revokedAt: isoOrNull(r.revokedAt) });

export function keyRepository(ctx: PgContext): KeyRepository {
  const select = () => ctx.db.select().from(apiKeys);
  return {
    findActiveByHash: async (hash) => {
      const [r] = await ctx.guard(() => select().where(and(eq(apiKeys.keyHash, hash), isNull(apiKeys.revokedAt))));
      return r ? keyOf(r) : undefined;
    },
    countActive: async () => (await ctx.guard(() => ctx.db.select({ n: count() }).from(apiKeys).where(isNull(apiKeys.revokedAt))))[0]?.n ?? 0,
    insert: async (k) => {
      try {
        await ctx.db.insert(apiKeys).values({ id: k.id, name: k.name, scope: k.scope, keyHash: k.keyHash, createdAt: k.createdAt });
      } catch (error) {
        if (pgErrorCode(error) === "23505") throw new Conflict(`a key named "${k.name}" already exists`);
        throw asStoreError(error);
      }
    },
    list: async () => (await ctx.guard(() => select().orderBy(asc(apiKeys.createdAt), asc(apiKeys.id)))).map(keyOf),
    findByName: async (name) => {
      const [r] = await ctx.guard(() => select().where(eq(apiKeys.name, name)));
      return r ? keyOf(r) : undefined;
    },
    revoke: async (name, at) =>
      (await ctx.guard(() => ctx.db.update(apiKeys).set({ revokedAt: at }).where(and(eq(apiKeys.name, name), isNull(apiKeys.revokedAt))).returning({ id: apiKeys.id }))).length > 0,
    touch: async (id, at) => {
      await ctx.guard(() => ctx.db.update(apiKeys).set({ lastUsedAt: at }).where(eq(apiKeys.id, id)));
    },
  };
}
