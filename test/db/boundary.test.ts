/**
 * The store's boundary: outside src/db/sqlite/ and src/db/postgres/ (and main.ts, the
 * composition root that chooses the store) no file knows which database it is. A route or
 * service that reached for a driver, the connection, the inbox or a database's error code
 * fails here. Inside src/db/postgres/, only driver.ts knows the driver.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const SRC = join(import.meta.dir, "../../src");

const FORBIDDEN: [string, RegExp][] = [
  ["imports bun:sqlite", /from\s+["']bun:sqlite["']/],
  ["imports drizzle's SQLite driver or schema", /from\s+["']drizzle-orm\/(bun-sqlite|sqlite-core)["']/],
  ["touches the connection ($client)", /\$client\b/],
  ["calls a settle… function (the inbox is the store's own business)", /\bsettle\w*\s*\(/],
  ["runs a PRAGMA", /\bpragma\b/i],
  ["matches a SQLite error code", /SQLITE_[A-Z]/],
  ["imports from src/db/sqlite", /from\s+["'][./]*(db\/)?sqlite\//],
];

const POSTGRES: [string, RegExp][] = [
  ["imports a PostgreSQL driver", /from\s+["'](pg|postgres)["']/],
  ["imports PGlite", /from\s+["']@electric-sql\/pglite/],
  ["imports drizzle's PostgreSQL drivers or schema", /from\s+["']drizzle-orm\/(postgres-js|pglite|pg-core|node-postgres|bun-sql)["']/],
  ["imports from src/db/postgres", /from\s+["'][./]*(db\/)?postgres\//],
];

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (/\.(ts|js)$/.test(name)) yield path;
  }
}

/** Composition roots choose the store and its worker threads; they may name it. */
const ROOTS = new Set(["main.ts", "workers.ts", "click-writer.ts"]);

describe("the store's boundary", () => {
  const checked = [...files(SRC)].filter((f) => {
    const rel = relative(SRC, f);
    return !rel.startsWith("db/sqlite/") && !rel.startsWith("db/postgres/") && !ROOTS.has(rel);
  });

  test("covers every module, lib and cli file", () => {
    const rel = checked.map((f) => relative(SRC, f));
    for (const folder of ["modules/", "lib/", "cli/"]) expect(rel.some((f) => f.startsWith(folder))).toBe(true);
    expect(rel).toContain("app.ts");
    expect(rel).toContain("db/store.ts");
  });

  test("no file outside src/db/sqlite knows the database is SQLite", () => {
    const found: string[] = [];
    for (const file of checked) {
      const text = readFileSync(file, "utf8");
      for (const [what, pattern] of FORBIDDEN) if (pattern.test(text)) found.push(`${relative(SRC, file)} ${what}`);
    }
    expect(found).toEqual([]);
  });

  test("no file outside src/db/postgres knows the database is PostgreSQL; the SQLite store neither", () => {
    const found: string[] = [];
    const sqliteStore = [...files(join(SRC, "db/sqlite"))];
    for (const file of [...checked, ...sqliteStore]) {
      const text = readFileSync(file, "utf8");
      for (const [what, pattern] of POSTGRES) if (pattern.test(text)) found.push(`${relative(SRC, file)} ${what}`);
    }
    expect(found).toEqual([]);
  });

  test("inside src/db/postgres only driver.ts knows the driver", () => {
    const drivers = [...files(join(SRC, "db/postgres"))]
      .filter((f) => /from\s+["'](pg|postgres|drizzle-orm\/(node-postgres|postgres-js))["']/.test(readFileSync(f, "utf8")))
      .map((f) => relative(SRC, f));
    expect(drivers).toEqual(["db/postgres/driver.ts"]);
  });

  test("the check finds what it looks for", () => {
    const samples = ['import { Database } from "bun:sqlite";', "db.$client.run(x)", "settleClicks(db)", "PRAGMA busy_timeout", 'code === "SQLITE_BUSY"', 'import { x } from "../../db/sqlite/inbox";'];
    for (const sample of samples) expect(FORBIDDEN.some(([, pattern]) => pattern.test(sample))).toBe(true);
  });
});
