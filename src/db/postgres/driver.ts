/**
 * The one file that knows the PostgreSQL driver: node-postgres (pg) through drizzle-orm's
 * node-postgres adapter. (Bun's built-in SQL client ran pooled queries inside another
 * caller's transaction and routed one query's rows to another through 2026; postgres.js
 * on Bun throws from a timer when the server drops a connection with a write pending,
 * which ends the process, and leaves that connection unable to send again.) Everything
 * above this file sees drizzle's PgDatabase, which the tests also build on PGlite.
 *
 * No session state is used but named prepared statements and one LISTEN connection (no
 * SET, no session advisory locks): every setting is a startup parameter and every lock is
 * a transaction's, so a transaction-mode pooler (PgBouncer) can sit between; one that does
 * not keep prepared statements (PgBouncer before 1.21, or without max_prepared_statements)
 * needs `prepare: false` (DATABASE_PREPARE=false). Notifications do not pass such a
 * pooler: the store finds that out (listen's probe) and polls instead.
 *
 * Two pools: the redirect has connections of its own (recordConnections of the total) for
 * its link reads and group commits, so no number of slow reads or ingest batches leaves a
 * recruiter waiting for one; everything else shares the rest.
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
  /** TLS as tls.ts planned it (false: none); the URL must then carry no ssl parameters. */
  ssl?: false | import("node:tls").ConnectionOptions;
  /** A connection of its own that LISTENs for other instances' link changes (default true). */
  listen?: boolean;
  /** Told of a connection the server closed outside a query (the pool replaces it). */
  onConnectionError?: (error: Error) => void;
};

export type PgConnection = {
  db: PgDb;
  /** The redirect's own pool: its link reads and group commits. */
  redirects: PgDb;
  /**
   * A statement prepared once per connection under `name` and then only bound and run:
   * the redirect's insert skips the server's parse and plan; on the redirect's own pool
   * with `record`. Absent with `prepare: false` (behind a transaction-mode pooler that
   * does not keep them).
   */
  prepared?: (name: string, text: string, values: unknown[], record: boolean) => Promise<unknown[]>;
  /** Listens on `channel` with a connection of its own (null when listening is turned off). */
  listen: ((channel: string, handlers: ListenHandlers) => () => void) | null;
  end(timeoutSeconds?: number): Promise<void>;
};

export type ListenHandlers = {
  notified(payload: string): void;
  /** Listening (again): `delivered` says whether a notification sent through the pool came back. */
  up(delivered: boolean): void;
  down(error: Error): void;
};

/**
 * Connections the redirect keeps for itself: one group commit is under way at a time
 * (recorder.ts), and the other reads a link memory does not hold (or stands in while the
 * first is being replaced). A pool of 2 or fewer is shared.
 */
export const recordConnections = (total: number): number => (total <= 2 ? 0 : 2);

export function connectPostgres(url: string, options: PgConnectionOptions = {}): PgConnection {
  const total = options.max ?? 10;
  const settings = {
    connectionString: url,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
    // A connection is replaced now and then, so a failover or a pooler restart is picked up.
    maxLifetimeSeconds: 60 * 30,
    statement_timeout: options.statementTimeoutMs ?? 15_000,
    application_name: options.applicationName ?? "link-tracker",
    keepAlive: true,
    ...(options.ssl !== undefined ? { ssl: options.ssl } : {}),
  };
  const reserved = recordConnections(total);
  const pool = new pg.Pool({ ...settings, max: total - reserved });
  const writePool = reserved === 0 ? pool : new pg.Pool({ ...settings, max: reserved });
  // A connection the server closes is an 'error' event: on the pool while it sits idle,
  // on its client while it is lent out (in a transaction, between two statements).
  // Without a listener either would end the process. The client's queries fail with the
  // error (a transaction is rolled back by the server); the pool then drops the
  // connection and opens another when one is next needed.
  const report = (error: Error) => options.onConnectionError?.(error);
  for (const p of new Set([pool, writePool])) {
    p.on("error", report);
    p.on("connect", (client) => client.on("error", report));
  }
  let ended = false;
  const stops = new Set<() => void>();
  return {
    db: drizzle({ client: pool }) as unknown as PgDb,
    redirects: drizzle({ client: writePool }) as unknown as PgDb,
    prepared: options.prepare === false ? undefined : async (name, text, values, record) => (await (record ? writePool : pool).query({ name, text, values })).rows,
    listen:
      options.listen === false
        ? null
        : (channel, handlers) => {
            const stop = listenOn(settings, pool, channel, handlers);
            stops.add(stop);
            return () => {
              stops.delete(stop);
              stop();
            };
          },
    end: async (timeoutSeconds = 2) => {
      if (ended) return;
      ended = true;
      for (const stop of stops) stop();
      await Promise.race([Promise.all([...new Set([pool, writePool])].map((p) => p.end())), Bun.sleep(timeoutSeconds * 1000)]);
    },
  };
}

const PROBE_WAIT_MS = 2000;

/**
 * A connection that LISTENs on `channel`, opened again (with backoff) whenever it is
 * lost. Once listening it sends a probe through the pool: a pooler in transaction mode
 * never delivers it, and `up(false)` tells the store to rely on polling.
 */
function listenOn(settings: pg.ClientConfig, pool: pg.Pool, channel: string, handlers: ListenHandlers): () => void {
  let stopped = false;
  let client: pg.Client | null = null;
  let retry: ReturnType<typeof setTimeout> | null = null;
  let wait = 250;
  const again = (c: pg.Client, error: Error) => {
    if (stopped || client !== c) return;
    handlers.down(error);
    c.end().catch(() => {});
    client = null;
    retry = setTimeout(start, wait);
    wait = Math.min(wait * 2, 10_000);
  };
  const start = async () => {
    if (stopped) return;
    const c = new pg.Client({ ...settings, keepAlive: true });
    client = c;
    let probe: { token: string; arrived: () => void } | null = null;
    c.on("error", (error) => again(c, error));
    c.on("end", () => again(c, new Error("the listening connection ended")));
    c.on("notification", (m) => {
      if (m.channel !== channel || m.payload === undefined) return;
      if (probe && m.payload === probe.token) probe.arrived();
      else handlers.notified(m.payload);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${channel}`);
      const token = `-1 probe-${crypto.randomUUID()}`;
      const delivered = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), PROBE_WAIT_MS);
        probe = { token, arrived: () => (clearTimeout(timer), resolve(true)) };
        pool.query("select pg_notify($1, $2)", [channel, token]).catch(() => (clearTimeout(timer), resolve(false)));
      });
      probe = null;
      if (stopped) return;
      wait = 250;
      handlers.up(delivered);
    } catch (error) {
      again(c, error as Error);
    }
  };
  void start();
  return () => {
    stopped = true;
    if (retry) clearTimeout(retry);
    client?.end().catch(() => {});
    client = null;
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

