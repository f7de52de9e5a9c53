import { Database } from "bun:sqlite";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { drizzle } from "drizzle-orm/bun-sqlite";
import type { MigrationMeta } from "drizzle-orm/migrator";
import * as schema from "./schema";
import { embeddedMigrations } from "./migrations";
import { runUpgrades } from "./upgrades";
import { INBOX_ADDED_COLUMNS, INBOX_SCHEMA } from "./inbox";

export type Db = ReturnType<typeof openDb>;

/** How long a write waits for another connection's lock before it fails. */
export const BUSY_TIMEOUT_MS = 5000;

function openDb(sqlite: Database) {
  return drizzle({ client: sqlite, schema });
}

/**
 * Opens (creating when needed) the database at `path`, or an in-memory one for
 * ":memory:", and brings its schema up to date.
 */
export function createDb(
  path: string,
  options: {
    migrate?: boolean;
    checkpointer?: boolean;
    readonly?: boolean;
    /** The server's connection never blocks its thread on a lock: 0, and store.ts tries again later. */
    busyTimeoutMs?: number;
    /** Attach the click inbox's file (inbox.ts) as `inbox` (default true). */
    inbox?: boolean;
  } = {},
): Db {
  if (options.readonly) {
    const sqlite = new Database(path, { readonly: true, strict: true });
    sqlite.run(`PRAGMA busy_timeout = ${options.busyTimeoutMs ?? BUSY_TIMEOUT_MS}`);
    // Attached with the connection's own flags: read-only too.
    if (options.inbox !== false) sqlite.run("ATTACH DATABASE ? AS inbox", [inboxPath(path)]);
    return openDb(sqlite);
  }
  if (path !== ":memory:") createPrivately(path);
  const sqlite = new Database(path, { create: true, strict: true });
  // Migrations (two processes may start together) wait for the lock; the server's
  // connection then sets its own timeout below.
  sqlite.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  sqlite.run("PRAGMA journal_mode = WAL");
  // NORMAL in WAL mode: a committed transaction is in the WAL file when the commit
  // returns, so it survives kill -9 of the process; only an OS crash or power loss
  // can take back the last commits. FULL would fsync on every commit.
  sqlite.run("PRAGMA synchronous = NORMAL");
  // A server checkpoints from a worker thread (see checkpointer.ts); this connection
  // only does it itself when the WAL passes ~40 MB, should that worker fall behind.
  sqlite.run(`PRAGMA wal_autocheckpoint = ${options.checkpointer ? 10000 : 1000}`);
  sqlite.run("PRAGMA journal_size_limit = 67108864");
  sqlite.run("PRAGMA foreign_keys = ON");
  if (options.inbox !== false) attachInbox(sqlite, path);
  const db = openDb(sqlite);
  if (options.migrate !== false) migrateDb(db);
  if (options.busyTimeoutMs !== undefined) sqlite.run(`PRAGMA busy_timeout = ${options.busyTimeoutMs}`);
  return db;
}

/** The click inbox's own database file, beside the database (in memory for an in-memory one). */
export const inboxPath = (path: string): string => (path === ":memory:" ? ":memory:" : `${path}-inbox`);

/** Attaches the inbox's file as `inbox`, creating it (0600) and its table when needed, with the main file's settings. */
function attachInbox(sqlite: Database, path: string): void {
  const file = inboxPath(path);
  if (file !== ":memory:") createPrivately(file);
  sqlite.run("ATTACH DATABASE ? AS inbox", [file]);
  sqlite.run("PRAGMA inbox.journal_mode = WAL");
  sqlite.run("PRAGMA inbox.synchronous = NORMAL");
  sqlite.run("PRAGMA inbox.journal_size_limit = 67108864");
  for (const statement of INBOX_SCHEMA) sqlite.run(statement);
  const present = new Set(sqlite.query<{ name: string }, []>("select name from pragma_table_info('click_inbox', 'inbox')").all().map((c) => c.name));
  for (const column of INBOX_ADDED_COLUMNS) if (!present.has(column.split(" ")[0])) sqlite.run(`ALTER TABLE inbox.click_inbox ADD COLUMN ${column}`);
}

/** Applies the embedded migrations the way drizzle's own bun-sqlite migrator does. */
export function migrateDb(db: Db): void {
  // dialect and session are drizzle internals its migrators use; they are not in the public type.
  const internals = db as unknown as {
    dialect: { migrate(m: MigrationMeta[], session: unknown, config: { migrationsFolder: string }): void };
    session: unknown;
  };
  internals.dialect.migrate(embeddedMigrations(), internals.session, { migrationsFolder: "" });
  runUpgrades(db);
}

/** Owner only: the database holds IP addresses, webhook secrets, the owner cookie's key and the session salts. */
const FOLDER_MODE = 0o700;
const FILE_MODE = 0o600;

/**
 * Creates the data folder (0700) and the database file (0600) before SQLite opens it,
 * whatever the umask; SQLite gives its -wal and -shm files the database file's mode.
 * A folder that already exists keeps its mode (it may be shared, e.g. /var/lib); the
 * database files in it are made owner-only at every start.
 */
export function createPrivately(path: string): void {
  const folder = dirname(path);
  if (!existsSync(folder)) {
    mkdirSync(folder, { recursive: true, mode: FOLDER_MODE });
    chmodSync(folder, FOLDER_MODE);
  }
  if (!existsSync(path)) closeSync(openSync(path, "a", FILE_MODE));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      chmodSync(file, FILE_MODE);
    } catch {
      // Not there (yet), or not ours: SQLite reports what matters when it opens it.
    }
  }
}

export { schema };

/** Rows changed by a write: bun:sqlite returns them, drizzle's type says void. */
export const changes = (result: unknown): number => (result as { changes: number }).changes;

const PER_DB = Symbol("per-db values");

/**
 * A value made once per database, e.g. a prepared statement of a hot path:
 * `perDb(db, "find-link", () => db.$client.prepare(...))`. Kept on the database object
 * itself: the redirect asks for a few of them on every click.
 */
export function perDb<T>(db: Db, key: string, make: () => T): T {
  const holder = db as Db & { [PER_DB]?: Map<string, unknown> };
  const cache = (holder[PER_DB] ??= new Map());
  let value = cache.get(key) as T | undefined;
  if (value === undefined) cache.set(key, (value = make()));
  return value;
}
