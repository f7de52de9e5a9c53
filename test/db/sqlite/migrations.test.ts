import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createDb } from "../../../src/db/sqlite";
import { embeddedSql, journal } from "../../../src/db/sqlite/migrations";

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
