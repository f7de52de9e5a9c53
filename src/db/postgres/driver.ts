/**
 * The one file that knows the PostgreSQL driver: node-postgres (pg) through drizzle-orm's
 * node-postgres adapter. (Bun's built-in SQL client ran pooled queries inside another
 * caller's transaction and routed one query's rows to another through 2026; postgres.js
 * on Bun throws from a timer when the server drops a connection with a write pending,
 * which ends the process, and leaves that connection unable to send again.) Everything
 * above this file sees drizzle's PgDatabase, which the tests also build on PGlite.
 *
 * No session state is used but named prepared statements (no SET, no session advisory
 * locks, no LISTEN): every setting is a startup parameter and every lock is a
 * transaction's, so a transaction-mode pooler (PgBouncer) can sit between; one that does
 * not keep prepared statements (PgBouncer before 1.21, or without max_prepared_statements)
 * needs `prepare: false` (DATABASE_PREPARE=false).
 */
import pg from "pg";
import { drizzle } from "drizzle-orm/node-postgres";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";

export type PgDb = PgDatabase<PgQueryResultHKT>;

export type PgConnectionOptions = {
  /** Connections in the pool (default 10). */
  max?: number;
  /** Named prepared statements for the hot inserts (default true); false behind a transaction-mode pooler. */
  prepare?: boolean;
  /** Milliseconds to wait for a connection to open (default 5000). */
  connectTimeoutMs?: number;
  /** Milliseconds an unused connection stays open (default 30000). */
  idleTimeoutMs?: number;
  /** Milliseconds after which the server cancels a statement (default 15000). */
  statementTimeoutMs?: number;
  applicationName?: string;
  /** Told of a connection the server closed outside a query (the pool replaces it). */
  onConnectionError?: (error: Error) => void;
};

export type PgConnection = {
  db: PgDb;
  /**
   * A statement prepared once per connection under `name` and then only bound and run:
   * the redirect's insert skips the server's parse and plan. Absent with
   * `prepare: false` (behind a transaction-mode pooler that does not keep them).
   */
  prepared?: (name: string, text: string, values: unknown[]) => Promise<unknown[]>;
  end(timeoutSeconds?: number): Promise<void>;
};

export function connectPostgres(url: string, options: PgConnectionOptions = {}): PgConnection {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
    // A connection is replaced now and then, so a failover or a pooler restart is picked up.
    maxLifetimeSeconds: 60 * 30,
    statement_timeout: options.statementTimeoutMs ?? 15_000,
    application_name: options.applicationName ?? "link-tracker",
    keepAlive: true,
  });
  // A connection the server closes is an 'error' event: on the pool while it sits idle,
  // on its client while it is lent out (in a transaction, between two statements).
  // Without a listener either would end the process. The client's queries fail with the
  // error (a transaction is rolled back by the server); the pool then drops the
  // connection and opens another when one is next needed.
  const report = (error: Error) => options.onConnectionError?.(error);
  pool.on("error", report);
  pool.on("connect", (client) => client.on("error", report));
  let ended = false;
  return {
    db: drizzle({ client: pool }) as unknown as PgDb,
    prepared: options.prepare === false ? undefined : async (name, text, values) => (await pool.query({ name, text, values })).rows,
    end: async (timeoutSeconds = 2) => {
      if (ended) return;
      ended = true;
      await Promise.race([pool.end(), Bun.sleep(timeoutSeconds * 1000)]);
    },
  };
}

/** What a driver error means, for the store: a SQLSTATE code, or a connection failure. */
/** The server's detail of a driver error ("Key (tracking_id)=(x) already exists."), through drizzle's wrapping. */
export function pgErrorDetail(error: unknown): string | undefined {
  let e = error as { detail?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 4; depth++, e = e.cause as typeof e) {
    if (typeof e.detail === "string") return e.detail;
  }
  return undefined;
}

export function pgErrorCode(error: unknown): string | undefined {
  let e = error as { code?: unknown; cause?: unknown } | undefined;
  // drizzle wraps driver errors ("Failed query: …") with the original as `cause`.
  for (let depth = 0; e && depth < 4; depth++, e = e.cause as typeof e) {
    if (typeof e.code === "string") return e.code;
  }
  return undefined;
}

