/**
 * Files the program writes beside others': never through a file or a symbolic link that
 * someone put in their place first, and under names nobody can guess.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { testConfig } from "../../src/config";
import { backupTo } from "../../src/db/sqlite/backup";
import { createExclusive, ownFolder } from "../../src/lib/files";
import { tempDir, testStore } from "../utils";

const dirs: string[] = [];
const folder = () => {
  const dir = tempDir();
  mkdirSync(dir, { recursive: true });
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("backup FILE", () => {
  test("the copy is made in a private folder of its own, never through the name an older release used", () => {
    const dir = folder();
    const elsewhere = join(folder(), "stolen.db");
    const file = join(dir, "backup.db");
    // What a local user could plant for the predictable name `FILE.partial-<pid>`.
    symlinkSync(elsewhere, `${file}.partial-${process.pid}`);
    const store = testStore(testConfig(), join(dir, "live.db"));
    const { bytes } = backupTo(store.db, file);
    expect(bytes).toBeGreaterThan(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(existsSync(elsewhere)).toBe(false);
    // Nothing of the copy's own is left beside it.
    expect(readdirSync(dir).filter((n) => n.startsWith(".backup.db.partial-"))).toEqual([]);
  });

  test("a name that exists, a dangling symbolic link included, is refused and left as it is", () => {
    const dir = folder();
    const store = testStore(testConfig(), join(dir, "live.db"));
    const target = join(folder(), "where-the-link-points.db");
    symlinkSync(target, join(dir, "link.db"));
    expect(() => backupTo(store.db, join(dir, "link.db"))).toThrow("already exists");
    expect(existsSync(target)).toBe(false);
    writeFileSync(join(dir, "taken.db"), "mine");
    expect(() => backupTo(store.db, join(dir, "taken.db"))).toThrow("already exists");
    expect(readdirSync(dir).sort()).toEqual(["link.db", "live.db", "live.db-inbox", "live.db-inbox-shm", "live.db-inbox-wal", "live.db-shm", "live.db-wal", "taken.db"]);
  });
});

describe("the data folder's own files", () => {
  test("createExclusive makes a new owner-only file of an unguessable name, and never opens one that is there", () => {
    const dir = folder();
    const a = createExclusive(dir, ".geo-");
    const b = createExclusive(dir, ".geo-");
    expect(a.path).not.toBe(b.path);
    expect(statSync(a.path).mode & 0o777).toBe(0o600);
    expect(a.path).toMatch(/\.geo-[0-9a-f-]{36}\.tmp$/);
  });

  test("ownFolder makes a missing folder owner-only and refuses a symbolic link in its place", () => {
    const dir = folder();
    const made = ownFolder(join(dir, "geo"));
    expect(statSync(made).mode & 0o777).toBe(0o700);
    symlinkSync(folder(), join(dir, "linked"));
    expect(() => ownFolder(join(dir, "linked"))).toThrow("is a symbolic link");
    writeFileSync(join(dir, "file"), "");
    expect(() => ownFolder(join(dir, "file"))).toThrow();
  });
});
