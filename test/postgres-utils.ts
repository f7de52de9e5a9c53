/**
 * PostgreSQL for the tests: PGlite in process (always there), and a real server from
 * scripts/ensure-postgres.sh (installed and started where it can be; the tests that need
 * it are skipped with the reason where it cannot).
 */
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import postgres from "postgres";
import { join } from "node:path";
import type { PgDb } from "../src/db/postgres/driver";
import { migratePostgres } from "../src/db/postgres/migrations";
import { PostgresStore, type PostgresStoreOptions } from "../src/db/postgres/store";

let migrated: Promise<PGlite> | null = null;

/** Every table the store writes: the seeds' two, and all of ours but the one-row ones the migrations make (links_version, click_count_mark). */
async function ownTables(lite: PGlite): Promise<string[]> {
  const ours = await lite.query<{ name: string }>("select 'link_tracker.' || tablename as name from pg_tables where schemaname = 'link_tracker' and tablename not in ('links_version', 'click_count_mark') order by 1");
  return ["link_tracking", "link_clicks", ...ours.rows.map((r) => r.name)];
}

/**
 * An empty migrated database on PGlite: one instance per test file (it takes seconds to
 * start), emptied for each caller. A store opened earlier on it must not be used again.
 */
export async function freshPgliteDb(): Promise<{ db: PgDb; open: (options?: PostgresStoreOptions) => Promise<PostgresStore> }> {
  migrated ??= (async () => {
    const lite = new PGlite();
    await lite.exec("SET TIME ZONE 'UTC'");
    await migratePostgres(drizzle({ client: lite }) as unknown as PgDb);
    return lite;
  })();
  const lite = await migrated;
  await lite.exec(`TRUNCATE ${(await ownTables(lite)).join(", ")} RESTART IDENTITY`);
  const db = drizzle({ client: lite }) as unknown as PgDb;
  return { db, open: (options = {}) => PostgresStore.open(db, options) };
}

type RealPostgres = {
  /** The admin URL (a role that may create databases), or null when there is no server. */
  url: string | null;
  reason: string;
  /** A new empty database; its URL. */
  freshDatabase(): Promise<string>;
  dropAll(): Promise<void>;
  /** Stops and starts the cluster (only for a cluster of a test's own: realPostgres({ name, port })). */
  control(action: "stop" | "start"): void;
};

const reals = new Map<string, Promise<RealPostgres>>();

/**
 * The real server, asked for once per test file: Debian's first cluster, or (`own`) a
 * cluster of that name and port made for a test that stops and starts it.
 */
export function realPostgres(own?: { name: string; port: number; tls?: boolean }): Promise<RealPostgres> {
  const key = own ? own.name : "";
  let found = reals.get(key);
  if (!found) {
    found = (async () => {
      const script = join(import.meta.dir, "../scripts/ensure-postgres.sh");
      const run = Bun.spawnSync(["bash", script, ...(own ? [own.name, String(own.port), ...(own.tls ? ["tls"] : [])] : [])], { stderr: "pipe" });
      const url = run.exitCode === 0 ? run.stdout.toString().trim() : null;
      const reason = url ? "" : `no PostgreSQL server (scripts/ensure-postgres.sh: ${run.stderr.toString().trim() || `exit ${run.exitCode}`})`;
      if (!url) console.warn(`skipping the tests that need a PostgreSQL server: ${reason}`);
      const made: string[] = [];
      let admin = url ? postgres(url, { max: 1, onnotice: () => {} }) : null;
      return {
        url,
        reason,
        async freshDatabase() {
          if (!admin || !url) throw new Error(reason);
          const name = `lt_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
          await admin.unsafe(`create database ${name}`);
          made.push(name);
          const u = new URL(url);
          u.pathname = `/${name}`;
          return u.toString();
        },
        async dropAll() {
          if (!admin) return;
          for (const name of made.splice(0)) await admin.unsafe(`drop database if exists ${name} with (force)`).catch(() => {});
          await admin.end({ timeout: 1 });
          admin = url ? postgres(url, { max: 1, onnotice: () => {} }) : null;
        },
        control(action) {
          if (!own) throw new Error("only a test's own cluster is stopped and started");
          const line = Bun.spawnSync(["pg_lsclusters", "--no-header"]).stdout.toString().split("\n").find((l) => l.split(/\s+/)[1] === own.name);
          if (!line) throw new Error(`no cluster ${own.name}`);
          const version = line.split(/\s+/)[0];
          const state = line.split(/\s+/)[3];
          if ((action === "start") === (state === "online")) return;
          const done = Bun.spawnSync(["pg_ctlcluster", version, own.name, action, ...(action === "stop" ? ["-m", "fast"] : [])], { stderr: "pipe" });
          if (done.exitCode !== 0) throw new Error(`pg_ctlcluster ${action}: ${done.stderr.toString()}`);
        },
      };
    })();
    reals.set(key, found);
  }
  return found;
}
