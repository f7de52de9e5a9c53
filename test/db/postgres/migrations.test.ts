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

describe("PostgreSQL upgrade to the count's mark (0008)", () => {
  test("a database of the release before, its clicks counted in the roll-ups or not yet: exact before and after its backlog is counted, and new clicks counted past the mark", async () => {
    const { PGlite } = await import("@electric-sql/pglite");
    const { drizzle } = await import("drizzle-orm/pglite");
    const { PostgresStore } = await import("../../../src/db/postgres/store");
    const lite = new PGlite();
    await lite.exec("SET TIME ZONE 'UTC'");
    const db = drizzle({ client: lite }) as unknown as Parameters<typeof migratePostgres>[0];
    expect((await migratePostgres(db, "0007_click_rollups")).applied.at(-1)).toBe("0007_click_rollups");
    await db.execute(sql`insert into link_tracking (tracking_id, link_function, link_type, original_url, redirect_url)
      values ('old-link', 'LinkedIn', 'profile', 'https://example.com/in', 'https://steve-glen.com/linkedin?uuid=old-link')`);
    // 30 clicks over two days, 3 sessions; the release before counted the first 12 (marked counted, its trigger added them).
    await db.execute(sql`insert into link_clicks (tracking_id, clicked_at, session_id, visitor_kind, is_bot, country)
      select 'old-link', timestamptz '2026-11-02 10:00Z' + i * interval '90 minutes', 's' || (i % 3), case when i % 5 = 0 then 'bot' else 'human' end, i % 5 = 0, 'DE'
      from generate_series(1, 30) i`);
    await db.execute(sql`update link_clicks set counted = true where click_id in (select click_id from link_clicks order by clicked_at limit 12)`);
    expect((await migratePostgres(db)).applied).toEqual(["0008_click_count_mark", "0009_signal_time_index", "0010_link_destinations", "0011_channels", "0012_short_codes", "0013_application_sessions", "0014_click_hours"]);

    const store = await PostgresStore.open(db, {});
    const period = { from: "2026-11-01T00:00:00.000Z", to: "2026-11-05T00:00:00.000Z", trackingIds: ["old-link"] };
    const expected = { kinds: [{ value: "human", clicks: 24 }, { value: "bot", clicks: 6 }], countries: [{ value: "DE", clicks: 30 }] };
    const answers = async () => ({
      kinds: await store.clicks.countsBy(period, "kind"),
      countries: await store.clicks.countsBy(period, "country"),
      sessions: (await store.clicks.totals(period, period.from, period.from)).sessions,
    });
    // The 18 of the backlog are counted from link_clicks until they are in the roll-ups.
    expect(await answers()).toEqual({ ...expected, sessions: 3 });
    await store.clicks.settle!();
    const left = rowsOf<{ n: number }>(await db.execute(sql`select count(*)::int as n from link_clicks where written is null and not counted`))[0].n;
    expect(left).toBe(0);
    expect(await answers()).toEqual({ ...expected, sessions: 3 });
    // The roll-ups alone hold them now.
    const quarters = rowsOf<{ n: number }>(await db.execute(sql`select sum(clicks)::int as n from link_tracker.click_quarters`))[0].n;
    expect(quarters).toBe(30);

    // A click of the new release: written by its transaction, counted past the mark, never written again.
    await db.execute(sql`insert into link_clicks (tracking_id, clicked_at, session_id, country) values ('old-link', '2026-11-03 12:00Z', 's9', 'FR')`);
    const [fresh] = rowsOf<{ written: string | null; counted: boolean }>(await db.execute(sql`select written::text, counted from link_clicks where session_id = 's9'`));
    expect(fresh.written).not.toBeNull();
    expect((await answers()).sessions).toBe(4);
    await store.clicks.settle!();
    expect(rowsOf<{ n: number }>(await db.execute(sql`select sum(clicks)::int as n from link_tracker.click_quarters`))[0].n).toBe(31);
    const [after] = rowsOf<{ written: string | null; counted: boolean }>(await db.execute(sql`select written::text, counted from link_clicks where session_id = 's9'`));
    expect(after).toEqual(fresh);
    expect(await answers()).toEqual({ kinds: [{ value: "human", clicks: 25 }, { value: "bot", clicks: 6 }], countries: [{ value: "DE", clicks: 30 }, { value: "FR", clicks: 1 }], sessions: 4 });
    await store.close();
    await lite.close();
  }, 60_000);
});
