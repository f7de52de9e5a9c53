/**
 * API keys on PostgreSQL: stored as hashes, found while active, revoked once.
 */
import { sql } from "drizzle-orm";
import { Conflict } from "../../lib/errors";
import type { ApiKey, KeyRepository } from "../store";
import { pgErrorCode } from "./driver";
import { iso, isoOrNull, num } from "./rows";
import { asStoreError, PgContext } from "./context";

export function keyRepository(ctx: PgContext): KeyRepository {
  const columns = sql.raw(`id, name, scope, key_hash as "keyHash", created_at as "createdAt", last_used_at as "lastUsedAt", revoked_at as "revokedAt"`);
  const keyOf = (r: Record<string, unknown>): ApiKey => ({ ...r, createdAt: iso(r.createdAt), lastUsedAt: isoOrNull(r.lastUsedAt), revokedAt: isoOrNull(r.revokedAt) }) as ApiKey;
  return {
    findActiveByHash: async (hash) => {
      const r = await ctx.one<Record<string, unknown>>(sql`select ${columns} from link_tracker.api_keys where key_hash = ${hash} and revoked_at is null`);
      return r ? keyOf(r) : undefined;
    },
    countActive: async () => num((await ctx.one<{ n: unknown }>(sql`select count(*) as n from link_tracker.api_keys where revoked_at is null`))?.n),
    insert: async (k) => {
      try {
        await ctx.db.execute(
          sql`insert into link_tracker.api_keys (id, name, scope, key_hash, created_at) values (${k.id}, ${k.name}, ${k.scope}, ${k.keyHash}, ${k.createdAt}::timestamptz)`,
        );
      } catch (error) {
        if (pgErrorCode(error) === "23505") throw new Conflict(`a key named "${k.name}" already exists`);
        throw asStoreError(error);
      }
    },
    list: async () => (await ctx.all<Record<string, unknown>>(sql`select ${columns} from link_tracker.api_keys order by created_at, id`)).map(keyOf),
    findByName: async (name) => {
      const r = await ctx.one<Record<string, unknown>>(sql`select ${columns} from link_tracker.api_keys where name = ${name}`);
      return r ? keyOf(r) : undefined;
    },
    revoke: async (name, at) =>
      (await ctx.all(sql`update link_tracker.api_keys set revoked_at = ${at}::timestamptz where name = ${name} and revoked_at is null returning 1 as one`)).length > 0,
    touch: async (id, at) => {
      await ctx.all(sql`update link_tracker.api_keys set last_used_at = ${at}::timestamptz where id = ${id}`);
    },
  };
}
