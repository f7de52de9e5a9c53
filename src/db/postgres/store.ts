/**
 * The PostgreSQL store: the Store interface over drizzle's PgDatabase (node-postgres in a
 * server, driver.ts; PGlite in the tests), for several link-tracker instances sharing one
 * database.
 *
 * What no caller has to know:
 *   - Clicks go straight into link_clicks, a batch in one `INSERT … SELECT FROM unnest(…)`
 *     of one array per column (a redirect's group commit, an ingest batch): no inbox.
 *     click_daily is kept by statement-level triggers as clicks are written, whoever
 *     writes the table; the other roll-ups (per quarter-hour, breakdowns, sessions) a
 *     moment later, many at once, read from link_clicks by the transaction that wrote
 *     them, past a mark (clicks.ts countPending), so that no click's write pays for them;
 *     a trigger keeps them exact as clicks change or go. The analytics
 *     read them (tallies.ts). A redirect's link reads and group commits have connections of their own.
 *   - Idempotency and "exactly once" are unique keys, not memory: a retried ingest
 *     event meets its idempotency key (ON CONFLICT DO NOTHING), a link's first human click
 *     is one row by a partial unique index, whichever instance decides it.
 *   - Signals are inserted under a transaction-level advisory lock, so their seq order is
 *     their commit order: a reader that has seen seq N never later finds an N-1.
 *   - Webhook deliveries are claimed (FOR UPDATE SKIP LOCKED) with a lease; retention and
 *     delivery scheduling take transaction-level advisory locks and skip their turn when
 *     another instance holds one.
 *   - Links are read through a bounded cache (link-cache.ts): a link made on another
 *     instance is read at its first click, a change reaches every instance as it commits
 *     (LISTEN/NOTIFY), links_version is polled for when notifications do not arrive, and
 *     links in memory keep serving while the database is down.
 *   - Errors meaning "the database cannot take this now" (connection lost, shutting down,
 *     statement timeout, read-only, out of resources) become StoreUnavailable.
 */
import { sql } from "drizzle-orm";
import { silentLogger } from "../../lib/log";
import type {
  ApplicationRepository,
  ClickRepository,
  DestinationRepository,
  KeyRepository,
  LinkRepository,
  OutboxRepository,
  SessionRepository,
  SettingRepository,
  SignalRepository,
  Store,
  WebhookRepository,
} from "../store";
import { applicationRepository } from "./applications";
import { clickRepository, countInBackground } from "./clicks";
import { destinationRepository } from "./destinations";
import { PgContext, type PostgresStoreOptions, type Q, type Shared } from "./context";
import type { PgDb } from "./driver";
import { HumanMemo } from "./human-memo";
import { keyRepository } from "./keys";
import { LinkCache } from "./link-cache";
import { linkRepository, pollLinks, watchLinks } from "./links";
import { num } from "./rows";
import { refreshMemo } from "./signal-facts";
import { sessionRepository } from "./sessions";
import { settingRepository } from "./settings";
import { signalRepository } from "./signals";
import { webhookRepository } from "./webhooks";

export { LOCKS, type PostgresStoreOptions } from "./context";

export class PostgresStore implements Store {
  readonly links: LinkRepository;
  readonly clicks: ClickRepository;
  readonly signals: SignalRepository;
  readonly webhooks: WebhookRepository;
  readonly keys: KeyRepository;
  readonly sessions: SessionRepository;
  readonly applications: ApplicationRepository;
  readonly settings: SettingRepository;
  readonly outbox: OutboxRepository;
  readonly destinations: DestinationRepository;
  readonly probeWrites = true;
  private readonly ctx: PgContext;

  private constructor(db: Q, shared: Shared, inTx = false) {
    const ctx = new PgContext(db, shared, inTx);
    this.ctx = ctx;
    this.links = linkRepository(ctx);
    this.clicks = clickRepository(ctx);
    this.signals = signalRepository(ctx);
    this.webhooks = webhookRepository(ctx);
    this.keys = keyRepository(ctx);
    this.sessions = sessionRepository(ctx);
    this.applications = applicationRepository(ctx);
    this.settings = settingRepository(ctx);
    this.outbox = unsupportedOutbox;
    this.destinations = destinationRepository(ctx, (tx) => new PostgresStore(tx, shared, true));
  }

  /** A store over `db`, its schema already migrated. */
  static async open(db: PgDb, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const log = options.log ?? silentLogger();
    const shared: Shared = {
      links: new LinkCache(log),
      reading: new Map(),
      memo: new HumanMemo(options.signals?.returnDays ?? 0),
      options,
      instanceId: options.instanceId ?? `lt_${crypto.randomUUID().slice(0, 8)}`,
      sizeBytes: 0,
      clicksWritten: 0,
      stops: [],
      closed: false,
    };
    const store = new PostgresStore(db, shared);
    await pollLinks(store.ctx);
    if (options.background) {
      shared.stops.push(watchLinks(store.ctx));
      shared.stops.push(refreshMemo(store.ctx));
      shared.stops.push(countInBackground(store.ctx, log));
      if (options.onQuiet) shared.stops.push(whenQuiet(shared, options.onQuiet));
    }
    return store;
  }

  /** Runs `work` in one transaction on one connection: its writes land together, or none does. */
  tx<T>(work: (store: Store) => Promise<T>): Promise<T> {
    const { db, shared } = this.ctx;
    return this.ctx.guard(() => db.transaction((tx) => work(new PostgresStore(tx as unknown as Q, shared, true))));
  }

  async probe(): Promise<void> {
    await this.ctx.all(sql`select count(*) from link_tracking`);
    // A real write (a new row version): it needs the server writable and with room.
    await this.ctx.all(sql`update link_tracker.links_version set version = version where id = 1`);
    const size = await this.ctx.one<{ bytes: unknown }>(sql`select pg_database_size(current_database()) as bytes`);
    this.ctx.shared.sizeBytes = num(size?.bytes);
  }

  linkCache(): { entries: number; reads: number; drops: number } {
    const { links } = this.ctx.shared;
    return { entries: links.size(), reads: links.reads, drops: links.drops };
  }

  size(): number {
    return this.ctx.shared.sizeBytes;
  }

  async close(ms = 1000): Promise<void> {
    const { shared } = this.ctx;
    if (shared.closed) return;
    shared.closed = true;
    for (const stop of shared.stops) stop();
    await shared.options.end?.(Math.max(1, Math.ceil(ms / 1000)));
  }
}

/** Calls `onQuiet` once a second with clicks written is followed by one without. */
function whenQuiet(shared: Shared, onQuiet: () => void): () => void {
  let busy = false;
  const timer = setInterval(() => {
    if (shared.clicksWritten > 0) busy = true;
    else if (busy) {
      busy = false;
      onQuiet();
    }
    shared.clicksWritten = 0;
  }, 1000);
  timer.unref?.();
  return () => clearInterval(timer);
}

/** An edge keeps its outbox in SQLite (DATABASE_PATH) whatever the central store is. */
const unsupported = () => Promise.reject(new Error("the edge outbox is kept in SQLite, not in PostgreSQL"));
const unsupportedOutbox: OutboxRepository = { enqueue: unsupported, peek: unsupported, acknowledge: unsupported, status: unsupported };
