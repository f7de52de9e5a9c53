/**
 * What the PostgreSQL store's files share: the options, the state an instance keeps, the
 * error mapping, the advisory locks and the query helpers (PgContext).
 */
import { type SQL } from "drizzle-orm";
import type { failureLog, Logger } from "../../lib/log";
import { StoreUnavailable, type Link, type SignalRule } from "../store";
import { pgErrorCode, type ListenHandlers, type PgDb } from "./driver";
import { HumanMemo } from "./human-memo";
import { LinkCache } from "./link-cache";
import { rowsOf } from "./rows";

/** Transaction-level advisory locks: one instance at a time does each of these. */
export const LOCKS = { signals: 0x6c74_7367, retention: 0x6c74_7274, schedule: 0x6c74_7363, rollups: 0x6c74_726f, destinations: 0x6c74_6463 } as const;

export const UNAVAILABLE_CODES = new Set([
  "57014", // statement timeout
  "25006", // read-only transaction (a standby)
  "28P01", // password authentication failed (changed under us)
  "28000",
  "3D000", // database does not exist (dropped under us)
  "42501", // insufficient privilege
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ETIMEDOUT",
  "EPIPE",
]);

/** Connection exceptions, insufficient resources, operator intervention (shutdown, crash). */
export const UNAVAILABLE_CLASSES = /^(08|53|57P)/;

export const RETRYABLE = new Set(["40001", "40P01"]); // serialization failure, deadlock

export function asStoreError(error: unknown): unknown {
  if (error instanceof StoreUnavailable) return error;
  const code = pgErrorCode(error);
  if (code && (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_CLASSES.test(code) || RETRYABLE.has(code))) return new StoreUnavailable(error);
  // A connection lost or never made has no SQLSTATE; drizzle wraps the driver's error ("Failed query: …", the cause).
  for (let e = error as { message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (/connect|terminat|closed|timeout exceeded/i.test(String(e.message ?? ""))) return new StoreUnavailable(error);
  }
  return error;
}

export type PostgresStoreOptions = {
  /** Decides the signals of new clicks (webhooks, the feed); none when absent. */
  signals?: { rule: SignalRule; returnDays: number; holdSeconds: number };
  /** How long a claimed webhook delivery stays this instance's (default 60 s). */
  deliveryLeaseMs?: number;
  /** Names this instance in delivery claims (default: a random id). */
  instanceId?: string;
  /** A server: other instances' link changes are polled for. */
  background?: boolean;
  /** A server: called once when a burst of clicks has ended (a full garbage collection gives its memory back). */
  onQuiet?: () => void;
  log?: Logger;
  /** Ends the connection pool (close()). */
  end?: (timeoutSeconds: number) => Promise<void>;
  /** The driver's prepared statements, for the redirect's and ingest's insert (driver.ts). */
  prepared?: (name: string, text: string, values: unknown[], record: boolean) => Promise<unknown[]>;
  /** The redirect's own connections (driver.ts), for its link reads and group commits; the store's `db` when absent. */
  redirects?: PgDb;
  /** Other instances' link changes as they commit (a server's store; driver.ts). */
  listen?: (channel: string, handlers: ListenHandlers) => () => void;
};

export type Shared = {
  links: LinkCache;
  /** Read-throughs in flight, one per id: a flood of redirects on a new link reads it once. */
  reading: Map<string, Promise<Link | undefined>>;
  memo: HumanMemo;
  options: PostgresStoreOptions;
  instanceId: string;
  sizeBytes: number;
  /** Clicks written since the quiet watch last looked (store.ts). */
  clicksWritten: number;
  /** The roll-ups' count mark as last read (tallies.ts markOf). */
  mark?: { value: number; at: number };
  stops: (() => void)[];
  closed: boolean;
  /** Redirect link reads that failed, logged at most once a minute (links.ts). */
  readFailures?: ReturnType<typeof failureLog>;
};

export type Q = PgDb;

/** What every repository of the PostgreSQL store works with: its connection (or transaction), what the store's instances share, and the query helpers. */
export class PgContext {
  constructor(
    readonly db: Q,
    readonly shared: Shared,
    /** A store of tx(): its writes go through the transaction's connection. */
    readonly inTx = false,
  ) {}

  async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw asStoreError(error);
    }
  }

  async all<T>(query: SQL, q: Q = this.db): Promise<T[]> {
    return this.guard(async () => rowsOf<T>(await q.execute(query)));
  }

  async one<T>(query: SQL, q: Q = this.db): Promise<T | undefined> {
    return (await this.all<T>(query, q))[0];
  }

  /** A transaction, tried again (up to 3 times) when PostgreSQL answers a deadlock or a serialization failure. */
  async transaction<T>(work: (tx: Q) => Promise<T>, db: Q = this.db): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await db.transaction((tx) => work(tx as unknown as Q));
      } catch (error) {
        const code = pgErrorCode(error);
        if (!(code && RETRYABLE.has(code)) || attempt >= 3) throw asStoreError(error);
        await Bun.sleep(5 * attempt + Math.random() * 10);
      }
    }
  }

  /** The redirect's own connections (driver.ts), but the transaction's in a store of tx(). */
  redirectDb(): Q {
    return this.inTx ? this.db : (this.shared.options.redirects ?? this.db);
  }
}
