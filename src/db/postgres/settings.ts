/**
 * Settings and the day's salt of session ids on PostgreSQL.
 */
import { sql } from "drizzle-orm";
import type { SettingRepository } from "../store";
import type { PgContext } from "./context";

export function settingRepository(ctx: PgContext): SettingRepository {
  const get = async (key: string) => (await ctx.one<{ value: string }>(sql`select value from link_tracker.settings where key = ${key}`))?.value;
  return {
    getOrCreate: async (key, make) => {
      const found = await get(key);
      if (found !== undefined) return found;
      // Another instance may make it at the same moment: the first insert wins, everyone reads it.
      await ctx.all(sql`insert into link_tracker.settings (key, value) values (${key}, ${make()}) on conflict do nothing`);
      return (await get(key))!;
    },
    get,
    put: async (key, value) => {
      await ctx.all(sql`insert into link_tracker.settings (key, value) values (${key}, ${value}) on conflict (key) do update set value = excluded.value`);
    },
    // The first redirect of the day waits for it: on the redirect's own connections.
    saltForDay: async (day) => {
      const q = ctx.redirectDb();
      const found = await ctx.one<{ salt: string }>(sql`select salt from link_tracker.daily_salts where day = ${day}`, q);
      if (found) return found.salt;
      const salt = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
      return ctx.transaction(async (tx) => {
        await ctx.all(sql`insert into link_tracker.daily_salts (day, salt) values (${day}, ${salt}) on conflict do nothing`, tx);
        await ctx.all(sql`delete from link_tracker.daily_salts where day <> ${day}`, tx);
        return (await ctx.one<{ salt: string }>(sql`select salt from link_tracker.daily_salts where day = ${day}`, tx))!.salt;
      }, q);
    },
  };
}
