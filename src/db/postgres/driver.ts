/**
 * The one file that knows the PostgreSQL driver: postgres.js through drizzle-orm's
 * postgres-js adapter. (Bun's built-in SQL client ran pooled queries inside another
 * caller's transaction and routed one query's rows to another through 2026; postgres.js
 * has had neither on Bun.) Everything above this file sees drizzle's PgDatabase, which the
 * tests also build on PGlite.
 *
 * No session state is used (no SET, no session advisory locks, no LISTEN): every setting
 * is a startup parameter and every lock is a transaction's, so a transaction-mode pooler
 * (PgBouncer) can sit between; with one, set `prepare: false` (DATABASE_PREPARE=false).
 */
import postgres from "postgres";
import { drizzle } from "drizzle-orm/postgres-js";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";

export type PgDb = PgDatabase<PgQueryResultHKT>;

export type PgConnectionOptions = {
  /** Connections in the pool (default 10). */
  max?: number;
  /** Prepared statements (default true); false behind a transaction-mode pooler. */
  prepare?: boolean;
  /** Seconds to wait for a connection to open (default 5). */
  connectTimeoutSeconds?: number;
  /** Seconds an unused connection stays open (default 30). */
  idleTimeoutSeconds?: number;
  /** Milliseconds after which the server cancels a statement (default 15000). */
  statementTimeoutMs?: number;
  applicationName?: string;
};

export type PgConnection = { db: PgDb; end(timeoutSeconds?: number): Promise<void> };

export function connectPostgres(url: string, options: PgConnectionOptions = {}): PgConnection {
  const client = postgres(url, {
    max: options.max ?? 10,
    prepare: options.prepare ?? true,
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    idle_timeout: options.idleTimeoutSeconds ?? 30,
    // A connection is replaced now and then, so a failover or a pooler restart is picked up.
    max_lifetime: 60 * 30,
    onnotice: () => {},
    // Reconnecting after the server went away: postgres.js's own backoff grows to 20 s,
    // during which every query waits; this one tries again within a second, so an
    // outage ends for us as soon as the server is back (and a query fails fast meanwhile).
    backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 1),
    connection: {
      application_name: options.applicationName ?? "link-tracker",
      // Timestamps are read back in UTC (store.ts turns them into ISO strings ending in Z).
      TimeZone: "UTC",
      statement_timeout: options.statementTimeoutMs ?? 15_000,
    },
  });
  return { db: drizzle({ client }) as unknown as PgDb, end: (timeout = 2) => client.end({ timeout }) };
}

/** What a driver error means, for the store: a SQLSTATE code, or a connection failure. */
export function pgErrorCode(error: unknown): string | undefined {
  let e = error as { code?: unknown; cause?: unknown } | undefined;
  // drizzle wraps driver errors ("Failed query: …") with the original as `cause`.
  for (let depth = 0; e && depth < 4; depth++, e = e.cause as typeof e) {
    if (typeof e.code === "string") return e.code;
  }
  return undefined;
}
