import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createDb } from "../../../src/db/sqlite";
import { embeddedSql, journal } from "../../../src/db/sqlite/migrations";
import { openSqliteStore } from "../../../src/db/sqlite/store";
import { click, link } from "../store/conformance";

const folder = join(import.meta.dir, "../../../drizzle");

describe("embedded migrations", () => {
  test("the journal, the .sql files and the embedded list name the same migrations", () => {
    const files = readdirSync(folder).filter((f) => f.endsWith(".sql")).map((f) => f.replace(/\.sql$/, "")).sort();
    const tags = journal.entries.map((e) => e.tag).sort();
    expect(tags).toEqual(files);
    expect(Object.keys(embeddedSql).sort()).toEqual(files);
  });

  test("each embedded migration is byte for byte the file in drizzle/", () => {
    for (const [tag, text] of Object.entries(embeddedSql)) {
      expect(text).toBe(readFileSync(join(folder, `${tag}.sql`), "utf8"));
    }
  });

  test("a new database gets the tables, the indexes and WAL; migrating twice is harmless", () => {
    const dir = `${require("node:os").tmpdir()}/lt-mig-${crypto.randomUUID()}`;
    const path = `${dir}/nested/db.sqlite`;
    createDb(path).$client.close();
    const db = createDb(path);
    const sqlite = db.$client;
    const names = (sqlite.query("select name from sqlite_master where type in ('table','index')").all() as { name: string }[]).map((r) => r.name);
    expect(names).toEqual(expect.arrayContaining(["link_tracking", "link_clicks", "api_keys", "link_clicks_tracking_clicked_idx", "link_clicks_idempotency_key_unique"]));
    expect((sqlite.query("pragma journal_mode").get() as { journal_mode: string }).journal_mode).toBe("wal");
    expect((sqlite.query("pragma foreign_keys").get() as { foreign_keys: number }).foreign_keys).toBe(1);
    expect((sqlite.query("select count(*) as n from __drizzle_migrations").get() as { n: number }).n).toBe(journal.entries.length);
    sqlite.close();
  });
});

describe("the roll-ups a migration adds to a database that has clicks", () => {
  test("click_hours and application_counts are filled from the roll-ups before them: the same answers after the upgrade", async () => {
    const dir = `${require("node:os").tmpdir()}/lt-mig-${crypto.randomUUID()}`;
    mkdirSync(dir, { recursive: true });
    const path = `${dir}/db.sqlite`;
    const app = "a0000000-0000-4000-8000-00000000000a";
    let store = openSqliteStore(path);
    await store.links.insert([link("h1", { applicationId: app }), link("h2", { applicationId: app }), link("h3")]);
    // Clicks over three days, some without a session (Do Not Track), some bots.
    await store.clicks.record(
      Array.from({ length: 90 }, (_, i) =>
        click(`h${(i % 3) + 1}`, i * 47, { sessionId: i % 7 === 0 ? null : `s${i % 5}`, visitorKind: i % 6 === 0 ? "bot" : "human" }),
      ),
    );
    const answers = async () => ({
      // From 10:20 to 30 hours later: the period's ends are read from the hours.
      kinds: await store.clicks.countsBy({ trackingIds: ["h1", "h2", "h3"], from: "2026-03-02T10:20:00.000Z", to: "2026-03-03T16:20:00.000Z" }, "kind"),
      activity: await store.clicks.applicationActivity(2, [app]),
    });
    const before = await answers();
    expect(before.activity[0].visitors).toBeGreaterThan(0);
    await store.close();

    // The database as the release before left it: without the two migrations' tables and marks.
    const sqlite = new Database(path);
    for (const table of ["click_hours", "application_visitors", "application_counts"]) sqlite.run(`drop table ${table}`);
    sqlite.run("drop index click_quarters_time_idx");
    sqlite.run("create index click_quarters_time_idx on click_quarters (quarter)");
    const applied = sqlite.query<{ n: number }, []>("select count(*) as n from __drizzle_migrations").get()!.n;
    sqlite.run("delete from __drizzle_migrations where created_at in (select created_at from __drizzle_migrations order by created_at desc limit 2)");
    sqlite.close();

    store = openSqliteStore(path);
    expect(store.db.$client.query<{ n: number }, []>("select count(*) as n from __drizzle_migrations").get()!.n).toBe(applied);
    expect(store.db.$client.query<{ n: number }, []>("select count(*) as n from click_hours").get()!.n).toBeGreaterThan(0);
    expect(await answers()).toEqual(before);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
