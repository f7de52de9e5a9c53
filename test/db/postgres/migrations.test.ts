import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { embeddedSql, journal, migratePostgres } from "../../../src/db/postgres/migrations";
import { rowsOf } from "../../../src/db/postgres/rows";
import { freshPgliteDb } from "../../postgres-utils";

const folder = join(import.meta.dir, "../../../drizzle-pg");

describe("PostgreSQL migrations", () => {
  test("the journal, the .sql files and the embedded list name the same migrations, byte for byte", () => {
    const files = readdirSync(folder).filter((f) => f.endsWith(".sql")).map((f) => f.replace(/\.sql$/, "")).sort();
    expect(journal.entries.map((e) => e.tag).sort()).toEqual(files);
    expect(Object.keys(embeddedSql).sort()).toEqual(files);
    for (const [tag, text] of Object.entries(embeddedSql)) expect(text).toBe(readFileSync(join(folder, `${tag}.sql`), "utf8"));
  });

  test("the seeds' tables keep their names and types; ours are in schema link_tracker; migrating twice is harmless", async () => {
    const { db } = await freshPgliteDb();
    expect((await migratePostgres(db)).applied).toEqual([]);
    const columns = rowsOf<{ table_name: string; column_name: string; data_type: string }>(
      await db.execute(sql`select table_name, column_name, data_type from information_schema.columns
        where table_schema = 'public' and table_name in ('link_tracking', 'link_clicks')`),
    );
    const type = (table: string, column: string) => columns.find((c) => c.table_name === table && c.column_name === column)?.data_type;
    expect(type("link_clicks", "click_id")).toBe("uuid");
    expect(type("link_clicks", "ip_address")).toBe("inet");
    expect(type("link_clicks", "metadata")).toBe("jsonb");
    expect(type("link_clicks", "clicked_at")).toBe("timestamp with time zone");
    expect(type("link_tracking", "job_id")).toBe("uuid");
    expect(type("link_tracking", "application_id")).toBe("uuid");
    const own = rowsOf<{ table_name: string }>(await db.execute(sql`select table_name from information_schema.tables where table_schema = 'link_tracker'`)).map((r) => r.table_name);
    expect(own).toEqual(expect.arrayContaining(["api_keys", "signal_events", "webhook_deliveries", "click_daily", "settings", "links_version"]));
  }, 60_000);

  test("rows the job-application system inserts itself are counted and seen (defaults, triggers)", async () => {
    const { db, open } = await freshPgliteDb();
    const store = await open();
    await db.execute(sql`insert into link_tracking (tracking_id, link_function, link_type, original_url, redirect_url)
      values ('seed-made', 'LinkedIn', 'profile', 'https://example.com/in', 'https://steve-glen.com/linkedin?uuid=seed-made')`);
    await db.execute(sql`insert into link_clicks (tracking_id, ip_address, metadata) values ('seed-made', '198.51.100.7', '{"utm_source": "cv"}')`);
    expect((await store.links.find("seed-made"))?.isActive).toBe(true);
    expect(await store.clicks.perLinkKindCounts(["seed-made"])).toEqual([expect.objectContaining({ kind: "human", clicks: 1 })]);
  }, 60_000);
});
