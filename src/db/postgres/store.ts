/**
 * The PostgreSQL store: the Store interface over drizzle's PgDatabase (node-postgres in a
 * server, driver.ts; PGlite in the tests), for several link-tracker instances sharing one
 * database.
 *
 * What no caller has to know:
 *   - Clicks go straight into link_clicks, a batch in one `INSERT … SELECT FROM unnest(…)`
 *     of one array per column (a redirect's group commit, an ingest batch): no inbox.
 *     click_daily is kept by statement-level triggers, whoever writes the table. A
 *     redirect's link reads and group commits have connections of their own.
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
import { isIP } from "node:net";
import { sql, type SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { Conflict } from "../../lib/errors";
import type { Logger } from "../../lib/log";
import { silentLogger } from "../../lib/log";
import {
  EXPORT_COLUMNS,
  StoreUnavailable,
  type ApiKey,
  type ClickFilter,
  type ClickRepository,
  type Delivery,
  type Endpoint,
  type ExportFilter,
  type KeyRepository,
  type Link,
  type LinkRepository,
  type NewClick,
  type NewSignal,
  type OutboxRepository,
  type Period,
  type SettingRepository,
  type Signal,
  type SignalFacts,
  type SignalRepository,
  type SignalRule,
  type SignalType,
  type Store,
  type Application,
  type ApplicationRepository,
  type ClickAgent,
  type ClickPlace,
  type StoredClick,
  type VisitorKind,
  type WebhookRepository,
  isBotKind,
  isHumanVisit,
} from "../store";
import { describe } from "../describe";
import { pgErrorCode, pgErrorDetail, type ListenHandlers, type PgDb } from "./driver";
import { HumanMemo, NeedsDatabase } from "./human-memo";
import { LINKS_CHANNEL, LinkCache } from "./link-cache";
import { MIN_ORPHAN_LENGTH, probableLink } from "../../lib/probable";
import { iso, isoOrNull, isUuid, jsonb, jsonWithoutNul, num, rowsOf } from "./rows";

/** Transaction-level advisory locks: one instance at a time does each of these. */
export const LOCKS = { signals: 0x6c74_7367, retention: 0x6c74_7274, schedule: 0x6c74_7363 } as const;

/** How often each instance asks whether links changed elsewhere. */
/** links_version is read this often: the fallback when notifications do not arrive. */
const LINKS_POLL_MS = 250;
const EXPORT_PAGE_ROWS = 1000;
/** Ids sharing half of an orphan id read before its one-edit neighbours are looked up instead. */
const HALF_ROWS = 50;

const UNAVAILABLE_CODES = new Set([
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
const UNAVAILABLE_CLASSES = /^(08|53|57P)/;
const RETRYABLE = new Set(["40001", "40P01"]); // serialization failure, deadlock

function asStoreError(error: unknown): unknown {
  if (error instanceof StoreUnavailable) return error;
  const code = pgErrorCode(error);
  if (code && (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_CLASSES.test(code) || RETRYABLE.has(code))) return new StoreUnavailable(error);
  // A connection lost or never made has no SQLSTATE; drizzle wraps the driver's error ("Failed query: …", the cause).
  for (let e = error as { message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (/connect|terminat|closed|timeout exceeded/i.test(String(e.message ?? ""))) return new StoreUnavailable(error);
  }
  return error;
}

const LINK_COLUMNS = sql.raw(`tracking_id as "trackingId", job_id as "jobId", application_id as "applicationId",
  link_function as "linkFunction", link_type as "linkType", original_url as "originalUrl", redirect_url as "redirectUrl",
  created_at as "createdAt", updated_at as "updatedAt", created_by as "createdBy", is_active as "isActive",
  description, expires_at as "expiresAt"`);

type RawLink = Omit<Link, "createdAt" | "updatedAt" | "expiresAt"> & { createdAt: unknown; updatedAt: unknown; expiresAt: unknown };
const linkOf = (r: RawLink): Link => ({ ...r, createdAt: iso(r.createdAt), updatedAt: iso(r.updatedAt), expiresAt: isoOrNull(r.expiresAt) });

const later = (a: string | null, b: string | null) => (a === null ? b : b === null || a >= b ? a : b);
/**
 * Per tracking_id, the clicks of a period (both ends included) that `condition` keeps:
 * its whole UTC days from click_daily, the hours at its ends from link_clicks. A subquery
 * of (tracking_id, n) rows to be summed.
 */
function periodCounts(p: Period, condition: SQL): SQL {
  const DAY = 86_400_000;
  const from = Date.parse(p.from);
  const to = Date.parse(p.to) + 1;
  const a = Math.ceil(from / DAY) * DAY;
  const b = Math.floor(to / DAY) * DAY;
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const at = (ms: number) => new Date(ms).toISOString();
  if (a >= b) return sql`select tracking_id, 1 as n from link_clicks where ${condition} and clicked_at >= ${p.from}::timestamptz and clicked_at <= ${p.to}::timestamptz`;
  return sql`select tracking_id, clicks as n from link_tracker.click_daily where ${condition} and day >= ${day(a)}::date and day < ${day(b)}::date
    union all select tracking_id, 1 from link_clicks where ${condition}
      and ((clicked_at >= ${p.from}::timestamptz and clicked_at < ${at(a)}::timestamptz) or (clicked_at >= ${at(b)}::timestamptz and clicked_at <= ${p.to}::timestamptz))`;
}

/** A referrer's domain: the one worked out when the click was stored, or (a row written by another program) read from the URL. */
const REFERRER_DOMAIN = sql.raw(`coalesce(referrer_domain, lower(substring(referrer_url from '^[a-zA-Z][a-zA-Z0-9+.-]*://(?:[^@/]*@)?(?:www\\.)?([^/:?#]+)')), '')`);
/** Turns a query into its text and parameters, for the driver's prepared statements. */
const dialect = new PgDialect();

export type PostgresStoreOptions = {
  /** Decides the signals of new clicks (webhooks, the feed); none when absent. */
  signals?: { rule: SignalRule; returnDays: number; holdSeconds: number };
  /** How long a claimed webhook delivery stays this instance's (default 60 s). */
  deliveryLeaseMs?: number;
  /** Names this instance in delivery claims (default: a random id). */
  instanceId?: string;
  /** A server: other instances' link changes are polled for. */
  background?: boolean;
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

type Shared = {
  links: LinkCache;
  /** Read-throughs in flight, one per id: a flood of redirects on a new link reads it once. */
  reading: Map<string, Promise<Link | undefined>>;
  memo: HumanMemo;
  options: PostgresStoreOptions;
  instanceId: string;
  sizeBytes: number;
  stops: (() => void)[];
  closed: boolean;
};

type Q = PgDb;

/**
 * Per application (those `filter` keeps), from its links' human clicks: visitors, visits
 * and whether a human came back more than `returnDays` after the click before. From the
 * clicks themselves (PostgreSQL keeps no session roll-up yet).
 */
const activity = (returnDays: number, filter: SQL) =>
  sql`with h as (
        select l.application_id::text as application_id, c.session_id, c.clicked_at,
          lag(c.clicked_at) over (partition by l.application_id order by c.clicked_at) as previous
        from link_clicks c join link_tracking l on l.tracking_id = c.tracking_id
        where l.application_id is not null and c.visitor_kind = 'human' and c.outcome = 'redirected' ${filter})
      select application_id as "applicationId",
        count(distinct session_id) + count(*) filter (where session_id is null) as visitors,
        count(distinct session_id || ' ' || to_char(clicked_at at time zone 'UTC', 'YYYY-MM-DD')) + count(*) filter (where session_id is null) as visits,
        coalesce(bool_or(clicked_at - previous > make_interval(days => ${returnDays})), false) as "cameBack"
      from h group by application_id`;

export class PostgresStore implements Store {
  readonly links: LinkRepository;
  readonly clicks: ClickRepository;
  readonly signals: SignalRepository;
  readonly webhooks: WebhookRepository;
  readonly keys: KeyRepository;
  readonly applications: ApplicationRepository;
  readonly settings: SettingRepository;
  readonly outbox: OutboxRepository;
  readonly probeWrites = true;

  private constructor(
    private readonly db: Q,
    private readonly shared: Shared,
    /** A store of tx(): its writes go through the transaction's connection. */
    private readonly inTx = false,
  ) {
    this.links = this.linkRepository();
    this.clicks = this.clickRepository();
    this.signals = this.signalRepository();
    this.webhooks = this.webhookRepository();
    this.keys = this.keyRepository();
    this.applications = this.applicationRepository();
    this.settings = this.settingRepository();
    this.outbox = unsupportedOutbox;
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
      stops: [],
      closed: false,
    };
    const store = new PostgresStore(db, shared);
    await store.pollLinks();
    if (options.background) {
      shared.stops.push(store.watchLinks());
      shared.stops.push(store.refreshMemo());
    }
    return store;
  }

  /** links_version, told to the cache (which empties itself for a change no notification explained). */
  private async pollLinks(): Promise<void> {
    const row = await this.one<{ version: unknown }>(sql`select version from link_tracker.links_version where id = 1`);
    this.shared.links.polled(num(row?.version), Date.now(), LINKS_POLL_MS);
  }

  /**
   * Other instances' link changes: notifications as they commit (when a listener is
   * given and its probe came back), and links_version every LINKS_POLL_MS whatever
   * happens. While the database is down the links in the cache keep serving.
   */
  private watchLinks(): () => void {
    const { links, options } = this.shared;
    const log = options.log ?? silentLogger();
    const stopListening = options.listen?.(LINKS_CHANNEL, {
      notified: (payload) => links.notified(payload),
      up: (delivered) => {
        links.listening = delivered;
        this.one<{ version: unknown }>(sql`select version from link_tracker.links_version where id = 1`).then(
          (row) => links.resumed(num(row?.version)),
          () => links.dropAll(),
        );
        if (delivered) log.info("other instances' link changes arrive as notifications");
        else log.info("link change notifications do not arrive (a pooler in transaction mode?): other instances' changes are seen by polling");
      },
      down: (error) => {
        if (links.listening) log.warn({ err: error.message }, "the connection listening for link changes was lost; polling until it is back");
        links.listening = false;
      },
    });
    let failing = false;
    let running = false;
    const timer = setInterval(async () => {
      if (running) return;
      running = true;
      try {
        await this.pollLinks();
        if (failing) log.info("links are read from PostgreSQL again");
        failing = false;
      } catch (error) {
        if (!failing) log.warn({ err: error }, "cannot read links from PostgreSQL; redirects use the links in memory");
        failing = true;
      } finally {
        running = false;
      }
    }, LINKS_POLL_MS);
    timer.unref?.();
    return () => {
      clearInterval(timer);
      stopListening?.();
    };
  }

  /** The redirect's own connections (driver.ts), but the transaction's in a store of tx(). */
  private redirectDb(): Q {
    return this.inTx ? this.db : (this.shared.options.redirects ?? this.db);
  }

  /** A link from the cache, or read through it (one read per id at a time). */
  private linkOf(trackingId: string, nowMs: number): Link | undefined | Promise<Link | undefined> {
    const { links, reading } = this.shared;
    const known = links.peek(trackingId, nowMs);
    if (known !== undefined) return known ?? undefined;
    const pending = reading.get(trackingId);
    if (pending) return pending;
    links.reading(trackingId);
    links.reads++;
    // On the redirect's own connections: no heavy read leaves a recruiter waiting for one.
    const read = this.one<RawLink>(sql`select ${LINK_COLUMNS} from link_tracking where tracking_id = ${trackingId}`, this.redirectDb())
      .then((row) => {
        const link = row ? linkOf(row) : undefined;
        links.found(trackingId, link);
        return link;
      })
      .finally(() => {
        reading.delete(trackingId);
        links.done(trackingId);
      });
    reading.set(trackingId, read);
    return read;
  }

  /**
   * Reads again, every second, the latest human click of the links and applications the
   * memory knows of whose entries are getting old: a busy link's redirects keep deciding
   * from memory, and another instance's reclassification is seen within seconds.
   */
  private refreshMemo(): () => void {
    const memo = this.shared.memo;
    let running = false;
    let ticks = 0;
    const timer = setInterval(async () => {
      if (running) return;
      running = true;
      try {
        // The database's size for /metrics, now and then (size() answers from memory).
        if (ticks++ % 30 === 0) {
          const size = await this.one<{ bytes: unknown }>(sql`select pg_database_size(current_database()) as bytes`);
          this.shared.sizeBytes = num(size?.bytes);
        }
        const { links, applications } = memo.stale(5000);
        const readAt = Date.now();
        if (links.length > 0) {
          const rows = await this.all<{ id: string; at: unknown }>(
            sql`select k.id, p.at from unnest(${sql.param(links)}::text[]) as k(id)
                left join lateral (select c.clicked_at as at from link_clicks c
                  where c.tracking_id = k.id and c.outcome = 'redirected' and c.visitor_kind = 'human' order by c.clicked_at desc limit 1) p on true`,
          );
          memo.refreshed("link", new Map(rows.map((r) => [r.id, isoOrNull(r.at)])), readAt);
        }
        const apps = applications.filter(isUuid);
        if (apps.length > 0) {
          const rows = await this.all<{ id: string; at: unknown }>(
            sql`select k.id::text as id, max(p.at) as at from unnest(${sql.param(apps)}::uuid[]) as k(id)
                left join link_tracking l on l.application_id = k.id
                left join lateral (select c.clicked_at as at from link_clicks c
                  where c.tracking_id = l.tracking_id and c.outcome = 'redirected' and c.visitor_kind = 'human' order by c.clicked_at desc limit 1) p on true
                group by k.id`,
          );
          memo.refreshed("application", new Map(rows.map((r) => [r.id, isoOrNull(r.at)])), readAt);
        }
      } catch {
        // The database is away: entries expire and redirects' commits read what they need.
      } finally {
        running = false;
      }
    }, 1000);
    timer.unref?.();
    return () => clearInterval(timer);
  }

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw asStoreError(error);
    }
  }

  private async all<T>(query: SQL, q: Q = this.db): Promise<T[]> {
    return this.guard(async () => rowsOf<T>(await q.execute(query)));
  }

  private async one<T>(query: SQL, q: Q = this.db): Promise<T | undefined> {
    return (await this.all<T>(query, q))[0];
  }

  /** A transaction, tried again (up to 3 times) when PostgreSQL answers a deadlock or a serialization failure. */
  private async transaction<T>(work: (tx: Q) => Promise<T>, db: Q = this.db): Promise<T> {
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

  private linkRepository(): LinkRepository {
    const cache = this.shared.links;
    const byUuid = (column: "job_id" | "application_id", value: string) => sql`${sql.raw(column)} = ${value}::uuid`;
    return {
      find: async (id) => {
        const row = await this.one<RawLink>(sql`select ${LINK_COLUMNS} from link_tracking where tracking_id = ${id}`);
        return row ? linkOf(row) : undefined;
      },
      findCached: (id, nowMs) => this.linkOf(id, nowMs),
      insert: async (links) => {
        if (links.length === 0) return [];
        const rows = links.map((l) => ({
          tracking_id: l.trackingId,
          job_id: l.jobId,
          application_id: l.applicationId,
          link_function: l.linkFunction,
          link_type: l.linkType,
          original_url: l.originalUrl,
          redirect_url: l.redirectUrl,
          created_at: l.createdAt,
          updated_at: l.updatedAt,
          created_by: l.createdBy,
          is_active: l.isActive,
          description: l.description,
          expires_at: l.expiresAt,
        }));
        let inserted: RawLink[];
        try {
          inserted = rowsOf<RawLink>(
            await this.db.execute(sql`insert into link_tracking (tracking_id, job_id, application_id, link_function, link_type, original_url,
                redirect_url, created_at, updated_at, created_by, is_active, description, expires_at)
              select * from jsonb_to_recordset(${jsonb(rows)}) as r(tracking_id text, job_id uuid, application_id uuid, link_function text,
                link_type text, original_url text, redirect_url text, created_at timestamptz, updated_at timestamptz, created_by text,
                is_active boolean, description text, expires_at timestamptz)
              returning ${LINK_COLUMNS}`),
          );
        } catch (error) {
          if (pgErrorCode(error) === "23505") {
            // The server names the id (no query: inside tx() the transaction is aborted now).
            const taken = /^Key \(tracking_id\)=\((.*)\) already exists/.exec(pgErrorDetail(error) ?? "")?.[1] ?? null;
            throw new Conflict("tracking_id is already taken", { tracking_id: taken });
          }
          throw asStoreError(error);
        }
        const byId = new Map(inserted.map((r) => [r.trackingId, linkOf(r)]));
        cache.wrote([...byId.values()]);
        return links.map((l) => byId.get(l.trackingId)!);
      },
      update: async (id, changes) => {
        const columns: Record<string, string> = {
          jobId: "job_id",
          applicationId: "application_id",
          linkType: "link_type",
          originalUrl: "original_url",
          updatedAt: "updated_at",
          isActive: "is_active",
          description: "description",
          expiresAt: "expires_at",
        };
        const casts: Record<string, string> = { jobId: "uuid", applicationId: "uuid", updatedAt: "timestamptz", expiresAt: "timestamptz" };
        const sets = Object.entries(changes)
          .filter(([key, value]) => columns[key] && value !== undefined)
          .map(([key, value]) => (casts[key] ? sql`${sql.raw(columns[key])} = ${value}::${sql.raw(casts[key])}` : sql`${sql.raw(columns[key])} = ${value}`));
        const row = await this.one<RawLink>(sql`update link_tracking set ${sql.join(sets, sql`, `)} where tracking_id = ${id} returning ${LINK_COLUMNS}`);
        if (!row) return undefined;
        const link = linkOf(row);
        cache.wrote([link]);
        return link;
      },
      deleteWithClicks: async (id) => {
        const deleted = await this.transaction(async (tx) => {
          const link = await this.one<{ id: string }>(sql`delete from link_tracking where tracking_id = ${id} returning tracking_id as id`, tx);
          if (!link) return null;
          const clicks = await this.all<{ one: number }>(sql`delete from link_clicks where tracking_id = ${id} returning 1 as one`, tx);
          return clicks.length;
        });
        this.shared.memo.clear();
        cache.dropIds([id]);
        return deleted;
      },
      list: async (filter) => {
        const conditions: SQL[] = [sql`true`];
        if (filter.jobId) conditions.push(isUuid(filter.jobId) ? byUuid("job_id", filter.jobId) : sql`false`);
        if (filter.applicationId) conditions.push(isUuid(filter.applicationId) ? byUuid("application_id", filter.applicationId) : sql`false`);
        if (filter.linkFunction) conditions.push(sql`lower(link_function) = lower(${filter.linkFunction})`);
        if (filter.active !== undefined) {
          const live = sql`(is_active and (expires_at is null or expires_at > ${filter.now}::timestamptz))`;
          conditions.push(filter.active ? live : sql`not ${live}`);
        }
        if (filter.after) {
          const { createdAt, trackingId } = filter.after;
          conditions.push(sql`(created_at < ${createdAt}::timestamptz or (created_at = ${createdAt}::timestamptz and tracking_id collate "C" < ${trackingId}))`);
        }
        const rows = await this.all<RawLink>(
          sql`select ${LINK_COLUMNS} from link_tracking where ${sql.join(conditions, sql` and `)}
              order by created_at desc, tracking_id collate "C" desc limit ${filter.limit}`,
        );
        return rows.map(linkOf);
      },
      sourceInUse: async (source) => (await this.one(sql`select 1 as one from link_tracking where position(${`/${source}?uuid=`} in redirect_url) > 0 limit 1`)) !== undefined,
      of: async (by) => {
        const value = by.jobId ?? by.applicationId!;
        if (!isUuid(value)) return [];
        const rows = await this.all<RawLink>(
          sql`select ${LINK_COLUMNS} from link_tracking where ${by.jobId ? byUuid("job_id", value) : byUuid("application_id", value)}
              order by created_at, tracking_id collate "C"`,
        );
        return rows.map(linkOf);
      },
      probableOf: async (orphans) => this.readProbable(orphans),
      counts: async (now) => {
        const row = await this.one<{ links: unknown; active: unknown; applications: unknown }>(
          sql`select count(*) as links, count(*) filter (where is_active and (expires_at is null or expires_at > ${now}::timestamptz)) as active,
                count(distinct application_id) as applications from link_tracking`,
        );
        return { links: num(row?.links), active: num(row?.active), applications: num(row?.applications) };
      },
      ofApplications: async (ids) => {
        const uuids = ids.filter(isUuid);
        if (uuids.length === 0) return [];
        return (
          await this.all<RawLink>(
            sql`select ${LINK_COLUMNS} from link_tracking where application_id in (select (jsonb_array_elements_text(${jsonb(uuids)}))::uuid)
                order by created_at, tracking_id collate "C"`,
          )
        ).map(linkOf);
      },
      applicationsWithoutHumanClick: async () =>
        (
          await this.all<{ application_id: string; links: unknown; first_link_at: unknown }>(
            sql`select application_id::text as application_id, count(*) as links, min(created_at) as first_link_at
                from link_tracking l where application_id is not null
                group by application_id
                having not exists (
                  select 1 from link_tracking l2 join link_tracker.click_daily d on d.tracking_id = l2.tracking_id
                  where l2.application_id = l.application_id and d.outcome = 'redirected' and d.visitor_kind = 'human'
                  group by d.tracking_id having sum(d.clicks) > 0)
                order by first_link_at`,
          )
        ).map((r) => ({ ...r, links: num(r.links), first_link_at: iso(r.first_link_at) })),
    };
  }

  /**
   * Writes clicks in one transaction: all, or none. With `idempotent`, a click whose key
   * is stored already is skipped (per click: whether it was new). Their signals are
   * decided from what the database holds (the facts read before the insert, in the
   * transaction) and stored with them.
   */
  private async writeClicks(clicks: NewClick[], idempotent: boolean): Promise<boolean[]> {
    if (clicks.length === 0) return [];
    // One array per column, unnested into rows: a batch of any size is one statement with
    // one parameter a column (cheaper for the server than a JSON document of the same rows).
    const text = (v: string | null | undefined) => (v === null || v === undefined ? null : v.includes("\u0000") ? v.replaceAll("\u0000", "") : v);
    const columns = [
      clicks.map((c) => c.clickId),
      clicks.map((c) => text(c.trackingId)),
      clicks.map((c) => c.clickedAt),
      clicks.map((c) => c.receivedAt),
      clicks.map((c) => (c.ipAddress && isIP(c.ipAddress) ? c.ipAddress : null)),
      clicks.map((c) => text(c.userAgent)),
      clicks.map((c) => text(c.referrerUrl)),
      clicks.map((c) => text(c.sessionId)),
      clicks.map((c) => text(c.clickSource)),
      clicks.map((c) => jsonWithoutNul(c.metadata ?? {})),
      clicks.map((c) => isBotKind(c.visitorKind)),
      clicks.map((c) => c.visitorKind),
      clicks.map((c) => text(c.visitorReason)),
      clicks.map((c) => c.origin),
      clicks.map((c) => c.outcome),
      clicks.map((c) => text(c.idempotencyKey)),
      clicks.map((c) => c.country ?? null),
      clicks.map((c) => text(c.city)),
      clicks.map((c) => c.asn ?? null),
      clicks.map((c) => text(c.network)),
    ];
    const described = clicks.map((c) => describe(c.userAgent, c.referrerUrl));
    columns.push(
      described.map((d) => d.browser),
      described.map((d) => d.os),
      described.map((d) => d.device),
      described.map((d) => text(d.referrerDomain)),
    );
    const types = ["uuid", "text", "timestamptz", "timestamptz", "inet", "text", "text", "text", "text", "jsonb", "bool", "text", "text", "text", "text", "text", "text", "text", "int4", "text", "text", "text", "text", "text"];
    const arrays = sql.join(
      columns.map((values, i) => sql`${sql.param(values)}::${sql.raw(types[i])}[]`),
      sql`, `,
    );
    const rule = this.shared.options.signals?.rule;
    // A redirect's group commit has connections of its own (driver.ts): no read or ingest batch leaves it waiting.
    const writes = idempotent ? this.db : this.redirectDb();
    // Redirect clicks are all new (fresh ids, no key): nothing to return.
    const statement = sql`insert into link_clicks (click_id, tracking_id, clicked_at, received_at, ip_address, user_agent, referrer_url, session_id,
          click_source, metadata, is_bot, visitor_kind, visitor_reason, origin, outcome, idempotency_key, country, city, asn, network,
          browser, os, device, referrer_domain)
        select * from unnest(${arrays})
        ${idempotent ? sql`on conflict (idempotency_key) where idempotency_key is not null do nothing returning click_id::text as id` : sql``}`;
    const insert = (q: Q) => this.all<{ id: string }>(statement, q);
    const newOf = (inserted: { id: string }[]) => {
      if (!idempotent) return clicks.map(() => true);
      const fresh = new Set(inserted.map((r) => r.id));
      return clicks.map((c) => fresh.has(c.clickId.toLowerCase()));
    };
    // Most batches decide no signal from what this instance remembers: then the insert
    // alone, one statement (prepared, where the driver can), is the whole transaction.
    if (!rule || this.decidesNothing(rule, clicks)) {
      const prepared = this.inTx ? undefined : this.shared.options.prepared;
      const inserted = prepared
        ? await this.guard(async () => {
            const { sql: text, params } = dialect.sqlToQuery(statement);
            return (await prepared(idempotent ? "lt_insert_clicks_once" : "lt_insert_clicks", text, params, !idempotent)) as { id: string }[];
          })
        : await this.guard(() => insert(writes));
      const isNew = newOf(inserted);
      this.remember(clicks.filter((_, i) => isNew[i]));
      return isNew;
    }
    return this.transaction(async (tx) => {
      const facts = await this.readFacts(tx, clicks);
      const isNew = newOf(await insert(tx));
      const stored = clicks.filter((_, i) => isNew[i]);
      const signals = stored.length > 0 ? rule(facts.with(stored), stored) : [];
      if (signals.length > 0) await this.insertSignals(tx, signals);
      facts.remember(stored);
      return isNew;
    }, writes);
  }

  /**
   * The link an orphan id probably meant, of each (lib/probable.ts), by index: the first
   * ids of the range it starts, and the ids one edit away, which share its first half
   * (pattern index) or its second (reversed index), at most HALF_ROWS of each; where a
   * half is shared by more (ids made to a pattern), its one-edit neighbours that exist
   * (primary key lookups, a few thousand). Remembered until links change.
   */
  private async readProbable(orphans: string[], q: Q = this.db): Promise<Map<string, string | null>> {
    const cache = this.shared.links;
    const asked = [...new Set(orphans.filter((o) => o.length >= MIN_ORPHAN_LENGTH && !o.includes("\u0000")))];
    const fits = new Map<string, string[]>(asked.map((o) => [o, []]));
    if (asked.length > 0) {
      const generation = cache.begin();
      const starts = (text: SQL, of: SQL = sql`tracking_id`) => sql`${of} ~>=~ ${text} and ${of} ~<~ (${text} || chr(127))`;
      const front = sql`left(o.orphan, length(o.orphan) / 2)`;
      const back = sql`reverse(substr(o.orphan, length(o.orphan) / 2 + 1))`;
      // Ordered by the index each reads, so that a scan stops at its limit.
      const rows = await this.all<{ orphan: string; id: string; part: "start" | "front" | "back" }>(
        sql`select o.orphan, l.id, l.part from unnest(${sql.param(asked)}::text[]) as o(orphan)
            cross join lateral (
              (select tracking_id as id, 'start' as part from link_tracking where ${starts(sql`o.orphan`)} and tracking_id <> o.orphan
                order by tracking_id using ~<~ limit 2)
              union all
              (select tracking_id, 'front' from link_tracking where ${starts(front)} order by tracking_id using ~<~ limit ${HALF_ROWS + 1})
              union all
              (select tracking_id, 'back' from link_tracking where ${starts(back, sql`reverse(tracking_id)`)}
                order by reverse(tracking_id) using ~<~ limit ${HALF_ROWS + 1})) l`,
        q,
      );
      const crowded = new Set<string>();
      const halves = new Map<string, number>();
      for (const r of rows) {
        fits.get(r.orphan)!.push(r.id);
        if (r.part === "start") continue;
        const key = `${r.part} ${r.orphan}`;
        halves.set(key, (halves.get(key) ?? 0) + 1);
        if (halves.get(key)! > HALF_ROWS) crowded.add(r.orphan);
      }
      if (crowded.size > 0) {
        for (const r of await this.all<{ orphan: string; id: string }>(
          sql`select o.orphan, l.tracking_id as id from unnest(${sql.param([...crowded])}::text[]) as o(orphan)
              join link_tracking l on l.tracking_id = any(link_tracker.one_edit_neighbours(o.orphan))`,
          q,
        )) {
          fits.get(r.orphan)!.push(r.id);
        }
      }
      if (generation === cache.begin()) for (const o of asked) cache.rememberProbable(o, probableLink(o, fits.get(o)!));
    }
    return new Map(orphans.map((o) => [o, fits.has(o) ? probableLink(o, fits.get(o)!) : null]));
  }

  /** Whether the rule decides no signal for `clicks` from memory alone (an ingested click of a link not in memory: unknown). */
  private decidesNothing(rule: SignalRule, clicks: NewClick[]): boolean {
    const cache = this.shared.links;
    // A link the cache cannot answer for: only the database knows whether it is one.
    const known = (id: string) => {
      const link = cache.peek(id);
      if (link === undefined) throw new NeedsDatabase();
      return link ?? undefined;
    };
    try {
      for (const c of clicks) if (c.origin !== "redirect" && c.outcome === "redirected" && !known(c.trackingId)) return false;
      const probable = (orphan: string) => {
        const found = cache.probableOf(orphan);
        if (found === undefined) throw new NeedsDatabase();
        return found;
      };
      return rule(this.shared.memo.facts(known, probable), clicks).length === 0;
    } catch (error) {
      if (error instanceof NeedsDatabase) return false;
      throw error;
    }
  }

  /** Human clicks just stored, in the memory of this instance. */
  private remember(stored: NewClick[]): void {
    for (const c of stored) {
      if (!isHumanVisit(c)) continue;
      const link = this.shared.links.peek(c.trackingId);
      if (!link) continue;
      this.shared.memo.noteLink(link.trackingId, c.clickedAt);
      if (link.applicationId) this.shared.memo.noteApplication(link.applicationId, c.clickedAt);
    }
  }

  /**
   * What the signal rule asks, read before the clicks are inserted (so that they do not
   * see themselves): the links, and for each human click the latest human click before
   * it of its link and of its application, and the first-human events already stored.
   * Clicks of the same batch are then taken into account in memory.
   */
  private async readFacts(tx: Q, clicks: NewClick[]) {
    const ids = [...new Set(clicks.map((c) => c.trackingId))];
    const links = new Map(
      (await this.all<RawLink>(sql`select ${LINK_COLUMNS} from link_tracking where tracking_id in (select jsonb_array_elements_text(${jsonb(ids)}))`, tx)).map((r) => [
        r.trackingId,
        linkOf(r),
      ]),
    );
    const humans = clicks.filter((c) => isHumanVisit(c) && links.has(c.trackingId));
    const previousOfLink = new Map<string, string | null>();
    const previousOfApplication = new Map<string, string | null>();
    const firsts = new Set<string>();
    if (humans.length > 0) {
      const byLink = humans.map((c) => ({ cid: c.clickId, tid: c.trackingId, at: c.clickedAt }));
      for (const r of await this.all<{ cid: string; at: unknown }>(
        sql`select b.cid::text as cid, p.at from jsonb_to_recordset(${jsonb(byLink)}) as b(cid uuid, tid text, at timestamptz)
            left join lateral (
              select c.clicked_at as at from link_clicks c
              where c.tracking_id = b.tid and c.outcome = 'redirected' and c.visitor_kind = 'human'
                and c.clicked_at <= b.at and (c.clicked_at < b.at or c.click_id < b.cid)
              order by c.clicked_at desc limit 1) p on true`,
        tx,
      )) {
        previousOfLink.set(r.cid, isoOrNull(r.at));
      }
      const withApplication = humans.filter((c) => links.get(c.trackingId)!.applicationId);
      if (withApplication.length > 0) {
        const byApplication = withApplication.map((c) => ({ cid: c.clickId, app: links.get(c.trackingId)!.applicationId, at: c.clickedAt }));
        for (const r of await this.all<{ cid: string; at: unknown }>(
          sql`select b.cid::text as cid, max(p.at) as at from jsonb_to_recordset(${jsonb(byApplication)}) as b(cid uuid, app uuid, at timestamptz)
              join link_tracking l on l.application_id = b.app
              left join lateral (
                select c.clicked_at as at from link_clicks c
                where c.tracking_id = l.tracking_id and c.outcome = 'redirected' and c.visitor_kind = 'human'
                  and c.clicked_at <= b.at and (c.clicked_at < b.at or c.click_id < b.cid)
                order by c.clicked_at desc limit 1) p on true
              group by b.cid`,
          tx,
        )) {
          previousOfApplication.set(r.cid, isoOrNull(r.at));
        }
      }
      const subjects = [...new Set(humans.flatMap((c) => [`link:${c.trackingId}`, ...(links.get(c.trackingId)!.applicationId ? [`application:${links.get(c.trackingId)!.applicationId}`] : [])]))];
      for (const r of await this.all<{ subject: string }>(
        sql`select subject from link_tracker.signal_events
            where type = 'click.first_human' and cancelled_at is null and subject in (select jsonb_array_elements_text(${jsonb(subjects)}))`,
        tx,
      )) {
        firsts.add(r.subject);
      }
    }
    const orphans = clicks.filter((c) => c.outcome !== "redirected" && !links.has(c.trackingId)).map((c) => c.trackingId);
    const probable = orphans.length > 0 ? await this.readProbable(orphans, tx) : new Map<string, string | null>();
    const memo = this.shared.memo;
    return {
      /** What was read and stored, remembered once the transaction commits (read: the entries renewed). */
      remember(stored: NewClick[]) {
        for (const c of humans) {
          const link = links.get(c.trackingId)!;
          const before = previousOfLink.get(c.clickId);
          if (before) memo.noteLink(link.trackingId, before, true);
          const beforeApp = previousOfApplication.get(c.clickId);
          if (beforeApp && link.applicationId) memo.noteApplication(link.applicationId, beforeApp, true);
        }
        for (const c of stored) {
          if (!isHumanVisit(c)) continue;
          const link = links.get(c.trackingId);
          if (!link) continue;
          memo.noteLink(link.trackingId, c.clickedAt, true);
          if (link.applicationId) memo.noteApplication(link.applicationId, c.clickedAt, true);
        }
      },
      /** The facts for the clicks really stored (a duplicate's decides nothing, and is no one's previous in the batch). */
      with(stored: NewClick[]): SignalFacts {
        const human = (c: NewClick) => isHumanVisit(c);
        const before = (a: NewClick, b: NewClick) => a.clickedAt < b.clickedAt || (a.clickedAt === b.clickedAt && a.clickId < b.clickId);
        const latestInBatch = (click: NewClick, same: (c: NewClick) => boolean) => {
          let latest: string | null = null;
          for (const c of stored) if (c !== click && human(c) && same(c) && before(c, click)) latest = later(latest, c.clickedAt);
          return latest;
        };
        return {
          link: (trackingId) => links.get(trackingId),
          probableLink: (orphan) => probable.get(orphan) ?? null,
          previousHumanOfLink: (trackingId, click) =>
            later(previousOfLink.get(click.clickId) ?? null, latestInBatch(click, (c) => c.trackingId === trackingId)),
          previousHumanOfApplication: (applicationId, click) =>
            later(previousOfApplication.get(click.clickId) ?? null, latestInBatch(click, (c) => links.get(c.trackingId)?.applicationId === applicationId)),
          signalExists: (type: SignalType, subject) => type === "click.first_human" && firsts.has(subject),
        };
      },
    };
  }

  /**
   * Under the signals' advisory lock, held to commit: events get their seq in commit
   * order. A first human click another instance stored meanwhile makes ours do nothing.
   */
  private async insertSignals(tx: Q, signals: NewSignal[]): Promise<void> {
    await this.all(sql`select pg_advisory_xact_lock(${LOCKS.signals})`, tx);
    const rows = signals.map((s) => ({
      event_id: s.eventId,
      type: s.type,
      created_at: s.createdAt,
      deliver_after: s.deliverAfter,
      click_id: s.clickId,
      tracking_id: s.trackingId,
      subject: s.subject,
      payload: s.payload,
    }));
    await this.all(
      sql`insert into link_tracker.signal_events (event_id, type, created_at, deliver_after, click_id, tracking_id, subject, payload)
          select * from jsonb_to_recordset(${jsonb(rows)}) as r(event_id text, type text, created_at timestamptz, deliver_after timestamptz,
            click_id uuid, tracking_id text, subject text, payload jsonb)
          on conflict do nothing`,
      tx,
    );
  }

  private clickRepository(): ClickRepository {
    const where = (filter: ClickFilter) =>
      sql.join(
        [
          filter.trackingIds ? sql`tracking_id in (select jsonb_array_elements_text(${jsonb(filter.trackingIds)}))` : undefined,
          sql`outcome = 'redirected'`,
          filter.from ? sql`clicked_at >= ${filter.from}::timestamptz` : undefined,
          filter.to ? sql`clicked_at <= ${filter.to}::timestamptz` : undefined,
          filter.kinds ? sql`visitor_kind in (select jsonb_array_elements_text(${jsonb(filter.kinds)}))` : undefined,
        ].filter((c): c is SQL => c !== undefined),
        sql` and `,
      );
    const uuids = (ids: string[]) => ids.filter(isUuid);
    const repository: ClickRepository = {
      record: async (batch) => {
        await this.writeClicks(batch, false);
      },
      insert: (batch) => this.writeClicks(batch, true),
      count: async () => num((await this.one<{ n: unknown }>(sql`select count(*) as n from link_clicks`))?.n),
      findByKey: async (key) => {
        const r = await this.one<Record<string, unknown>>(
          sql`select click_id::text as "clickId", tracking_id as "trackingId", clicked_at as "clickedAt", received_at as "receivedAt",
                origin, ip_address as "ipAddress", user_agent as "userAgent", referrer_url as "referrerUrl", session_id as "sessionId",
                click_source as "clickSource", metadata, is_bot as "isBot", visitor_kind as "visitorKind", visitor_reason as "visitorReason",
                outcome, idempotency_key as "idempotencyKey", country, city, asn, network
              from link_clicks where idempotency_key = ${key}`,
        );
        return r ? ({ ...r, clickedAt: iso(r.clickedAt), receivedAt: iso(r.receivedAt) } as StoredClick) : undefined;
      },
      totals: async (filter, since24h, since7d) => {
        const r = await this.one<Record<string, unknown>>(
          sql`select count(*) as total, count(distinct session_id) as sessions, min(clicked_at) as first, max(clicked_at) as last,
                count(*) filter (where clicked_at >= ${since24h}::timestamptz) as last24h,
                count(*) filter (where clicked_at >= ${since7d}::timestamptz) as last7d
              from link_clicks where ${where(filter)}`,
        );
        return { total: num(r?.total), sessions: num(r?.sessions), first: isoOrNull(r?.first), last: isoOrNull(r?.last), last24h: num(r?.last24h), last7d: num(r?.last7d) };
      },
      countsBy: async (filter, by) => {
        const column = {
          source: sql`click_source`,
          referrer: sql`nullif(${REFERRER_DOMAIN}, '')`,
          browser: sql`browser`,
          os: sql`os`,
          device: sql`device`,
          kind: sql`visitor_kind`,
          country: sql`country`,
          network: sql`asn::text || ' ' || coalesce(network, '')`,
        }[by];
        const rows = await this.all<{ value: string | null; clicks: unknown }>(
          sql`select ${column} as value, count(*) as clicks from link_clicks where ${where(filter)} group by 1 order by count(*) desc`,
        );
        return rows.map((r) => ({ value: r.value, clicks: num(r.clicks) }));
      },
      applicationActivity: async (returnDays, ids) => {
        const uuids = ids.filter(isUuid);
        if (uuids.length === 0) return [];
        const rows = await this.all<{ applicationId: string; visitors: unknown; visits: unknown; cameBack: boolean }>(activity(returnDays, sql`and l.application_id in (select (jsonb_array_elements_text(${jsonb(uuids)}))::uuid)`));
        return rows.map((r) => ({ applicationId: r.applicationId, visitors: num(r.visitors), visits: num(r.visits), cameBack: r.cameBack }));
      },
      applicationStandings: async (returnDays) => {
        const r = await this.one<{ opened: unknown; cameBack: unknown }>(
          sql`select count(*) as opened, count(*) filter (where "cameBack") as "cameBack" from (${activity(returnDays, sql``)}) a`,
        );
        return { opened: num(r?.opened), cameBack: num(r?.cameBack) };
      },
      breakdowns: async (filter, by) => Object.fromEntries(await Promise.all(by.map(async (b) => [b, await repository.countsBy(filter, b)] as const))),
      span: async (filter) => {
        const r = await this.one<{ first: unknown; last: unknown }>(
          sql`select (select clicked_at from link_clicks where ${where(filter)} order by clicked_at limit 1) as first,
                     (select clicked_at from link_clicks where ${where(filter)} order by clicked_at desc limit 1) as last`,
        );
        return { first: isoOrNull(r?.first), last: isoOrNull(r?.last) };
      },
      perDay: async (filter, tz) => {
        const rows = await this.all<{ day: string; kind: VisitorKind; clicks: unknown }>(
          sql`select to_char(clicked_at at time zone ${tz}, 'YYYY-MM-DD') as day, visitor_kind as kind, count(*) as clicks
              from link_clicks where ${where(filter)} group by 1, 2 order by 1, 2`,
        );
        return rows.map((r) => ({ day: r.day, kind: r.kind, clicks: num(r.clicks) }));
      },
      recentOf: async (id, limit) =>
        (
          await this.all<{ clickedAt: unknown; clickSource: string | null; visitorKind: VisitorKind; visitorReason: string | null; referrerDomain: string | null } & ClickAgent & ClickPlace>(
            sql`select clicked_at as "clickedAt", click_source as "clickSource", visitor_kind as "visitorKind", visitor_reason as "visitorReason",
                  browser, os, device, ${REFERRER_DOMAIN} as "referrerDomain", country, asn, network
                from link_clicks where tracking_id = ${id} and outcome = 'redirected' order by clicked_at desc limit ${limit}`,
          )
        ).map((r) => ({ ...r, clickedAt: iso(r.clickedAt) })),
      exportPages: (filter) => this.exportPages(filter),
      reclassify: async (ids, kind, reason, at = new Date().toISOString()) => {
        const clickIds = uuids(ids);
        if (clickIds.length === 0) return 0;
        const isBot = isBotKind(kind);
        const changed = await this.transaction(async (tx) => {
          await this.all(this.cancelSignalsOf(clickIds, at), tx);
          return this.all<{ trackingId: string }>(
            sql`update link_clicks set visitor_kind = ${kind}, visitor_reason = ${reason}, is_bot = ${isBot}
                where click_id in (select (jsonb_array_elements_text(${jsonb(clickIds)}))::uuid) and visitor_kind = 'human'
                returning tracking_id as "trackingId"`,
            tx,
          );
        });
        this.shared.memo.forget(new Set(changed.map((c) => c.trackingId)), (id) => this.shared.links.peek(id)?.applicationId);
        return changed.length;
      },
      unlocated: async (after, limit) =>
        this.all<{ clickId: string; ipAddress: string }>(
          sql`select click_id::text as "clickId", host(ip_address) as "ipAddress" from link_clicks
              where click_id > ${after ?? "00000000-0000-0000-0000-000000000000"}::uuid and ip_address is not null and country is null and asn is null
              order by click_id limit ${limit}`,
        ),
      setPlaces: async (places) => {
        if (places.length === 0) return 0;
        const changed = await this.all<{ one: number }>(
          sql`update link_clicks c set country = p.country, city = p.city, asn = p.asn, network = p.network
              from jsonb_to_recordset(${jsonb(places.map((p) => ({ click_id: p.clickId, country: p.country, city: p.city, asn: p.asn, network: p.network })))})
                as p(click_id uuid, country text, city text, asn integer, network text)
              where c.click_id = p.click_id returning 1 as one`,
        );
        return changed.length;
      },
      perLinkKindCounts: async (ids) => {
        if (ids.length === 0) return [];
        const rows = await this.all<{ trackingId: string; kind: VisitorKind; clicks: unknown; first: unknown; last: unknown }>(
          sql`select d.tracking_id as "trackingId", d.visitor_kind as kind, sum(d.clicks) as clicks, s.first, s.last
              from link_tracker.click_daily d
              left join lateral (
                -- Each end from its end of the per-link index (min and max together would read every click).
                select (select clicked_at from link_clicks c where c.tracking_id = d.tracking_id and c.outcome = 'redirected' and c.visitor_kind = 'human'
                          order by clicked_at limit 1) as first,
                       (select clicked_at from link_clicks c where c.tracking_id = d.tracking_id and c.outcome = 'redirected' and c.visitor_kind = 'human'
                          order by clicked_at desc limit 1) as last
                where d.visitor_kind = 'human') s on true
              where d.tracking_id in (select jsonb_array_elements_text(${jsonb(ids)})) and d.outcome = 'redirected'
              group by d.tracking_id, d.visitor_kind, s.first, s.last having sum(d.clicks) > 0`,
        );
        return rows.map((r) => ({ trackingId: r.trackingId, kind: r.kind, clicks: num(r.clicks), first: isoOrNull(r.first), last: isoOrNull(r.last) }));
      },
      humanOf: async (ids, limit) => {
        if (ids.length === 0) return [];
        const rows = await this.all<{ clickId: string; trackingId: string; clickedAt: unknown; clickSource: string | null; sessionId: string | null } & ClickAgent & ClickPlace>(
          sql`select click_id::text as "clickId", tracking_id as "trackingId", clicked_at as "clickedAt", click_source as "clickSource", session_id as "sessionId",
                browser, os, device, country, asn, network
              from link_clicks where tracking_id in (select jsonb_array_elements_text(${jsonb(ids)})) and outcome = 'redirected' and visitor_kind = 'human'
              order by clicked_at desc limit ${limit}`,
        );
        return rows.map((r) => ({ ...r, clickedAt: iso(r.clickedAt) })).reverse();
      },
      topLinksIn: async (p, limit) => {
        const rows = await this.all<{ trackingId: string; clicks: unknown }>(
          sql`select tracking_id as "trackingId", sum(n) as clicks from (${periodCounts(p, sql`outcome = 'redirected' and visitor_kind = 'human'`)}) c
              where tracking_id in (select tracking_id from link_tracking)
              group by tracking_id having sum(n) > 0 order by clicks desc, tracking_id collate "C" limit ${limit}`,
        );
        return rows.map((r) => ({ trackingId: r.trackingId, clicks: num(r.clicks) }));
      },
      recentIn: async (p, limit) =>
        (
          await this.all<{ clickedAt: unknown; trackingId: string; clickSource: string | null; visitorKind: VisitorKind; visitorReason: string | null; outcome: "redirected" | "not_found" | "gone" }>(
            sql`select clicked_at as "clickedAt", tracking_id as "trackingId", click_source as "clickSource", visitor_kind as "visitorKind",
                  visitor_reason as "visitorReason", outcome
                from link_clicks where clicked_at >= ${p.from}::timestamptz and clicked_at <= ${p.to}::timestamptz
                order by clicked_at desc limit ${limit}`,
          )
        ).map((r) => ({ ...r, clickedAt: iso(r.clickedAt) })),
      orphansIn: async (p, limit) => {
        const ranked = await this.all<{ tracking_id: string; hits: unknown; near: boolean; first_seen: unknown; last_seen: unknown }>(
          sql`with ranked as (
                select d.tracking_id, sum(d.n) as hits,
                  (exists (select 1 from link_tracker.signal_events s where s.type = 'link.orphan_hit' and s.subject = 'orphan:' || d.tracking_id)
                   or (length(d.tracking_id) >= 4 and exists (
                     select 1 from link_tracking l where starts_with(l.tracking_id, d.tracking_id) and l.tracking_id <> d.tracking_id))) as near
                from (${periodCounts(p, sql`true`)}) d
                where not exists (select 1 from link_tracking l where l.tracking_id = d.tracking_id)
                group by d.tracking_id having sum(d.n) > 0
                order by near desc, hits desc, d.tracking_id collate "C" limit ${limit})
              select r.tracking_id, r.hits, r.near,
                (select clicked_at from link_clicks c where c.tracking_id = r.tracking_id order by clicked_at limit 1) as first_seen,
                (select clicked_at from link_clicks c where c.tracking_id = r.tracking_id order by clicked_at desc limit 1) as last_seen
              from ranked r`,
        );
        return ranked
          .map((o) => ({ tracking_id: o.tracking_id, hits: num(o.hits), near: o.near, first_seen: iso(o.first_seen), last_seen: iso(o.last_seen) }))
          .sort((a, b) => Number(b.near) - Number(a.near) || b.last_seen.localeCompare(a.last_seen))
          .map(({ near: _, ...o }) => o);
      },
      burstCandidates: async (filter, limit) => {
        const apps = filter.applicationIds?.filter(isUuid);
        const ips = filter.ips?.filter((ip) => isIP(ip));
        const conditions = [
          sql`c.clicked_at >= ${filter.from}::timestamptz`,
          sql`c.outcome = 'redirected'`,
          sql`c.ip_address is not null`,
          sql`l.application_id is not null`,
          filter.to ? sql`c.clicked_at <= ${filter.to}::timestamptz` : undefined,
          apps ? sql`l.application_id = any(${sql.param(apps)}::uuid[])` : undefined,
          ips ? sql`c.ip_address = any(${sql.param(ips)}::inet[])` : undefined,
        ].filter((c): c is SQL => c !== undefined);
        const rows = await this.all<{ clickId: string; trackingId: string; applicationId: string; ipAddress: string; clickedAt: unknown; visitorKind: VisitorKind }>(
          sql`select c.click_id::text as "clickId", c.tracking_id as "trackingId", l.application_id::text as "applicationId",
                host(c.ip_address) as "ipAddress", c.clicked_at as "clickedAt", c.visitor_kind as "visitorKind"
              from link_clicks c join link_tracking l on l.tracking_id = c.tracking_id
              where ${sql.join(conditions, sql` and `)}
              order by c.clicked_at ${filter.latest ? sql`desc` : sql`asc`}, c.click_id ${filter.latest ? sql`desc` : sql`asc`} limit ${limit}`,
        );
        if (filter.latest) rows.reverse();
        return rows.map((r) => ({ ...r, clickedAt: iso(r.clickedAt) }));
      },
      attributeOrphan: async (orphan, id) =>
        (
          await this.all(
            sql`update link_clicks set tracking_id = ${id}, outcome = 'redirected', metadata = metadata || jsonb_build_object('attributed_from', ${orphan}::text)
                where tracking_id = ${orphan} and not exists (select 1 from link_tracking where tracking_id = ${orphan}) returning 1 as one`,
          )
        ).length,
      deleteFromIp: async (ip) => {
        if (!isIP(ip)) return 0;
        const deleted = (await this.all(sql`delete from link_clicks where ip_address = ${ip}::inet returning 1 as one`)).length;
        this.shared.memo.clear();
        return deleted;
      },
      // Retention: one instance at a time; the others find the lock taken and leave it to it.
      deleteBefore: (before, limit) =>
        this.transaction(async (tx) => {
          const [lock] = await this.all<{ ok: boolean }>(sql`select pg_try_advisory_xact_lock(${LOCKS.retention}) as ok`, tx);
          if (!lock?.ok) return 0;
          const deleted = await this.all(
            sql`delete from link_clicks where click_id in (select click_id from link_clicks where clicked_at < ${before}::timestamptz order by clicked_at limit ${limit})
                returning 1 as one`,
            tx,
          );
          if (deleted.length > 0) this.shared.memo.clear();
          return deleted.length;
        }),
    };
    return repository;
  }

  /**
   * Redirected clicks a page at a time in (clicked_at, click_id) order from where the last
   * page stopped: no read transaction held between pages. A job's or an application's
   * links one after the other, as the SQLite store gives them.
   */
  private async *exportPages(filter: ExportFilter): AsyncIterable<unknown[][]> {
    const conditions = [
      sql`c.outcome = 'redirected'`,
      filter.from ? sql`c.clicked_at >= ${filter.from}::timestamptz` : undefined,
      filter.to ? sql`c.clicked_at <= ${filter.to}::timestamptz` : undefined,
      filter.kinds ? sql`c.visitor_kind in (select jsonb_array_elements_text(${jsonb(filter.kinds)}))` : undefined,
    ].filter((c): c is SQL => c !== undefined);
    const page = (scope: SQL, after: { at: string; id: string } | null) =>
      this.all<Record<string, unknown>>(
        sql`select c.click_id::text as click_id, c.tracking_id, l.job_id::text as job_id, l.application_id::text as application_id, l.link_function,
              c.clicked_at, c.click_source, c.visitor_kind, c.ip_address, c.user_agent, c.referrer_url, c.session_id, c.metadata::text as metadata, c.origin,
              c.country, c.city, c.asn, c.network
            from link_clicks c left join link_tracking l on l.tracking_id = c.tracking_id
            where ${scope} and ${sql.join(conditions, sql` and `)}
              ${after ? sql`and (c.clicked_at, c.click_id) > (${after.at}::timestamptz, ${after.id}::uuid)` : sql``}
            order by c.clicked_at, c.click_id limit ${EXPORT_PAGE_ROWS}`,
      );
    const walk = async function* (scope: SQL) {
      let after: { at: string; id: string } | null = null;
      for (;;) {
        const rows = await page(scope, after);
        if (rows.length === 0) return;
        const last = rows.at(-1)!;
        after = { at: iso(last.clicked_at), id: last.click_id as string };
        yield rows.map((r) => EXPORT_COLUMNS.map((column) => (column === "clicked_at" ? iso(r.clicked_at) : (r[column] ?? null))));
        if (rows.length < EXPORT_PAGE_ROWS) return;
      }
    };
    if (filter.trackingId || filter.jobId || filter.applicationId) {
      if ((filter.jobId && !isUuid(filter.jobId)) || (filter.applicationId && !isUuid(filter.applicationId))) return;
      const ids =
        filter.trackingId && !filter.jobId && !filter.applicationId
          ? [filter.trackingId]
          : (
              await this.all<{ id: string }>(
                sql`select tracking_id as id from link_tracking where ${sql.join(
                  [
                    filter.trackingId ? sql`tracking_id = ${filter.trackingId}` : undefined,
                    filter.jobId ? sql`job_id = ${filter.jobId}::uuid` : undefined,
                    filter.applicationId ? sql`application_id = ${filter.applicationId}::uuid` : undefined,
                  ].filter((c): c is SQL => c !== undefined),
                  sql` and `,
                )} order by tracking_id collate "C"`,
              )
            ).map((r) => r.id);
      for (const id of ids) yield* walk(sql`c.tracking_id = ${id}`);
      return;
    }
    yield* walk(sql`true`);
  }

  /** Withdraws the events of these clicks not yet due at `at`: a row per event withdrawn. */
  private cancelSignalsOf(clickIds: string[], at: string): SQL {
    return sql`update link_tracker.signal_events set cancelled_at = ${at}::timestamptz
      where click_id in (select (jsonb_array_elements_text(${jsonb(clickIds)}))::uuid) and cancelled_at is null and deliver_after > ${at}::timestamptz
      returning 1 as one`;
  }

  private signalRepository(): SignalRepository {
    const columns = sql.raw(`seq, event_id as "eventId", type, created_at as "createdAt", deliver_after as "deliverAfter", click_id::text as "clickId",
      tracking_id as "trackingId", subject, payload, cancelled_at as "cancelledAt"`);
    const signalOf = (r: Record<string, unknown>): Signal =>
      ({ ...r, seq: num(r.seq), createdAt: iso(r.createdAt), deliverAfter: iso(r.deliverAfter), cancelledAt: isoOrNull(r.cancelledAt) }) as Signal;
    return {
      cancelOf: async (ids, at) => {
        const clickIds = ids.filter(isUuid);
        return clickIds.length === 0 ? 0 : (await this.all(this.cancelSignalsOf(clickIds, at))).length;
      },
      due: async (after, now, limit) =>
        (
          await this.all<Record<string, unknown>>(
            sql`select ${columns} from link_tracker.signal_events
                where seq > ${after} and cancelled_at is null and deliver_after <= ${now}::timestamptz order by seq limit ${limit}`,
          )
        ).map(signalOf),
      maxSeq: async () => num((await this.one<{ m: unknown }>(sql`select coalesce(max(seq), 0) as m from link_tracker.signal_events`))?.m),
      bySeq: async (seq) => {
        const r = await this.one<Record<string, unknown>>(sql`select ${columns} from link_tracker.signal_events where seq = ${seq}`);
        return r ? signalOf(r) : undefined;
      },
    };
  }

  private webhookRepository(): WebhookRepository {
    const endpointColumns = sql.raw(`id, url, secret, event_types as "eventTypes", description, active, created_at as "createdAt", scanned_seq as "scannedSeq"`);
    const endpointOf = (r: Record<string, unknown>): Endpoint => ({ ...r, createdAt: iso(r.createdAt), scannedSeq: num(r.scannedSeq) }) as Endpoint;
    const deliveryColumns = (prefix: string) =>
      sql.raw(
        ["seq", "event_seq as \"eventSeq\"", "endpoint_id as \"endpointId\"", "tracking_id as \"trackingId\"", "status", "attempts",
          "first_attempt_at as \"firstAttemptAt\"", "next_attempt_at as \"nextAttemptAt\"", "last_attempt_at as \"lastAttemptAt\"",
          "last_status as \"lastStatus\"", "last_error as \"lastError\"", "delivered_at as \"deliveredAt\""]
          .map((c) => `${prefix}.${c}`)
          .join(", "),
      );
    const deliveryOf = (r: Record<string, unknown>): Delivery => ({
      seq: num(r.seq),
      eventSeq: num(r.eventSeq),
      endpointId: r.endpointId as string,
      trackingId: r.trackingId as string,
      status: r.status as Delivery["status"],
      attempts: num(r.attempts),
      firstAttemptAt: isoOrNull(r.firstAttemptAt),
      nextAttemptAt: iso(r.nextAttemptAt),
      lastAttemptAt: isoOrNull(r.lastAttemptAt),
      lastStatus: r.lastStatus === null ? null : num(r.lastStatus),
      lastError: (r.lastError as string | null) ?? null,
      deliveredAt: isoOrNull(r.deliveredAt),
    });
    const endpointSets = (changes: Partial<Omit<Endpoint, "id">>) => {
      const sets: SQL[] = [];
      if (changes.url !== undefined) sets.push(sql`url = ${changes.url}`);
      if (changes.secret !== undefined) sets.push(sql`secret = ${changes.secret}`);
      if (changes.eventTypes !== undefined) sets.push(sql`event_types = ${jsonb(changes.eventTypes)}`);
      if (changes.description !== undefined) sets.push(sql`description = ${changes.description}`);
      if (changes.active !== undefined) sets.push(sql`active = ${changes.active}`);
      if (changes.scannedSeq !== undefined) sets.push(sql`scanned_seq = ${changes.scannedSeq}`);
      return sets;
    };
    const deliverySets = (changes: Partial<Omit<Delivery, "seq">>) => {
      const columns: Record<string, [string, string | null]> = {
        status: ["status", null],
        attempts: ["attempts", null],
        firstAttemptAt: ["first_attempt_at", "timestamptz"],
        nextAttemptAt: ["next_attempt_at", "timestamptz"],
        lastAttemptAt: ["last_attempt_at", "timestamptz"],
        lastStatus: ["last_status", null],
        lastError: ["last_error", null],
        deliveredAt: ["delivered_at", "timestamptz"],
      };
      return Object.entries(changes)
        .filter(([key, value]) => columns[key] && value !== undefined)
        .map(([key, value]) => {
          const [column, cast] = columns[key];
          return cast ? sql`${sql.raw(column)} = ${value}::${sql.raw(cast)}` : sql`${sql.raw(column)} = ${value}`;
        });
    };
    const leaseMs = this.shared.options.deliveryLeaseMs ?? 60_000;
    return {
      insert: async (e) =>
        endpointOf(
          (await this.one<Record<string, unknown>>(
            sql`insert into link_tracker.webhook_endpoints (id, url, secret, event_types, description, active, created_at, scanned_seq)
                values (${e.id}, ${e.url}, ${e.secret}, ${jsonb(e.eventTypes)}, ${e.description}, ${e.active}, ${e.createdAt}::timestamptz, ${e.scannedSeq})
                returning ${endpointColumns}`,
          ))!,
        ),
      list: async () => (await this.all<Record<string, unknown>>(sql`select ${endpointColumns} from link_tracker.webhook_endpoints order by created_at, id`)).map(endpointOf),
      find: async (id) => {
        const r = await this.one<Record<string, unknown>>(sql`select ${endpointColumns} from link_tracker.webhook_endpoints where id = ${id}`);
        return r ? endpointOf(r) : undefined;
      },
      update: async (id, changes) => {
        const sets = endpointSets(changes);
        const r = sets.length
          ? await this.one<Record<string, unknown>>(sql`update link_tracker.webhook_endpoints set ${sql.join(sets, sql`, `)} where id = ${id} returning ${endpointColumns}`)
          : await this.one<Record<string, unknown>>(sql`select ${endpointColumns} from link_tracker.webhook_endpoints where id = ${id}`);
        return r ? endpointOf(r) : undefined;
      },
      delete: (id) =>
        this.transaction(async (tx) => {
          await this.all(sql`delete from link_tracker.webhook_deliveries where endpoint_id = ${id}`, tx);
          return (await this.all(sql`delete from link_tracker.webhook_endpoints where id = ${id} returning 1 as one`, tx)).length > 0;
        }),
      // One instance schedules at a time; its cursor is read (and locked) from the database, not from the caller's copy.
      schedule: (endpoint, now) =>
        this.transaction(async (tx) => {
          const [lock] = await this.all<{ ok: boolean }>(sql`select pg_try_advisory_xact_lock(${LOCKS.schedule}) as ok`, tx);
          if (!lock?.ok) return;
          const current = await this.one<{ scanned: unknown; types: string[] }>(
            sql`select scanned_seq as scanned, event_types as types from link_tracker.webhook_endpoints where id = ${endpoint.id} and active for update`,
            tx,
          );
          if (!current) return;
          const events = await this.all<{ seq: unknown; type: string; trackingId: string }>(
            sql`select seq, type, tracking_id as "trackingId" from link_tracker.signal_events
                where seq > ${num(current.scanned)} and cancelled_at is null and deliver_after <= ${now}::timestamptz order by seq limit 500`,
            tx,
          );
          if (events.length === 0) return;
          const wanted = events.filter((e) => current.types.includes(e.type)).map((e) => ({ event_seq: num(e.seq), tracking_id: e.trackingId }));
          if (wanted.length > 0) {
            await this.all(
              sql`insert into link_tracker.webhook_deliveries (event_seq, endpoint_id, tracking_id, next_attempt_at)
                  select r.event_seq, ${endpoint.id}, r.tracking_id, ${now}::timestamptz from jsonb_to_recordset(${jsonb(wanted)}) as r(event_seq bigint, tracking_id text)
                  order by r.event_seq
                  on conflict do nothing`,
              tx,
            );
          }
          await this.all(sql`update link_tracker.webhook_endpoints set scanned_seq = ${num(events.at(-1)!.seq)} where id = ${endpoint.id}`, tx);
        }),
      // Claimed for this instance until the lease ends: no other instance sends them meanwhile.
      dueDeliveries: async (now, limit) => {
        const rows = await this.all<Record<string, unknown>>(
          sql`with due as (
                select seq from link_tracker.webhook_deliveries w
                where status = 'pending' and next_attempt_at <= ${now}::timestamptz and (leased_until is null or leased_until < now())
                  and not exists (select 1 from link_tracker.webhook_deliveries d2 where d2.endpoint_id = w.endpoint_id
                    and d2.tracking_id = w.tracking_id and d2.status = 'pending' and d2.event_seq < w.event_seq)
                order by event_seq limit ${limit} for update skip locked)
              update link_tracker.webhook_deliveries d set leased_until = now() + ${leaseMs} * interval '1 millisecond', leased_by = ${this.shared.instanceId}
              from due where d.seq = due.seq
              returning ${deliveryColumns("d")}`,
        );
        return rows.map(deliveryOf).sort((a, b) => a.eventSeq - b.eventSeq);
      },
      recordAttempt: async (seq, changes) => {
        const sets = [...deliverySets(changes), sql`leased_until = null`, sql`leased_by = null`];
        await this.all(sql`update link_tracker.webhook_deliveries set ${sql.join(sets, sql`, `)} where seq = ${seq}`);
      },
      deliveriesOf: async (id, limit) =>
        (
          await this.all<Record<string, unknown>>(
            sql`select ${deliveryColumns("d")}, s.event_id as "eventId", s.type from link_tracker.webhook_deliveries d
                join link_tracker.signal_events s on s.seq = d.event_seq
                where d.endpoint_id = ${id} order by d.seq desc limit ${limit}`,
          )
        ).map((r) => ({ delivery: deliveryOf(r), eventId: r.eventId as string, type: r.type as SignalType })),
      findDelivery: async (id, seq) => {
        const r = await this.one<Record<string, unknown>>(sql`select ${deliveryColumns("d")} from link_tracker.webhook_deliveries d where d.endpoint_id = ${id} and d.seq = ${seq}`);
        return r ? deliveryOf(r) : undefined;
      },
    };
  }

  private keyRepository(): KeyRepository {
    const columns = sql.raw(`id, name, scope, key_hash as "keyHash", created_at as "createdAt", last_used_at as "lastUsedAt", revoked_at as "revokedAt"`);
    const keyOf = (r: Record<string, unknown>): ApiKey => ({ ...r, createdAt: iso(r.createdAt), lastUsedAt: isoOrNull(r.lastUsedAt), revokedAt: isoOrNull(r.revokedAt) }) as ApiKey;
    return {
      findActiveByHash: async (hash) => {
        const r = await this.one<Record<string, unknown>>(sql`select ${columns} from link_tracker.api_keys where key_hash = ${hash} and revoked_at is null`);
        return r ? keyOf(r) : undefined;
      },
      countActive: async () => num((await this.one<{ n: unknown }>(sql`select count(*) as n from link_tracker.api_keys where revoked_at is null`))?.n),
      insert: async (k) => {
        try {
          await this.db.execute(
            sql`insert into link_tracker.api_keys (id, name, scope, key_hash, created_at) values (${k.id}, ${k.name}, ${k.scope}, ${k.keyHash}, ${k.createdAt}::timestamptz)`,
          );
        } catch (error) {
          if (pgErrorCode(error) === "23505") throw new Conflict(`a key named "${k.name}" already exists`);
          throw asStoreError(error);
        }
      },
      list: async () => (await this.all<Record<string, unknown>>(sql`select ${columns} from link_tracker.api_keys order by created_at, id`)).map(keyOf),
      findByName: async (name) => {
        const r = await this.one<Record<string, unknown>>(sql`select ${columns} from link_tracker.api_keys where name = ${name}`);
        return r ? keyOf(r) : undefined;
      },
      revoke: async (name, at) =>
        (await this.all(sql`update link_tracker.api_keys set revoked_at = ${at}::timestamptz where name = ${name} and revoked_at is null returning 1 as one`)).length > 0,
      touch: async (id, at) => {
        await this.all(sql`update link_tracker.api_keys set last_used_at = ${at}::timestamptz where id = ${id}`);
      },
    };
  }

  private applicationRepository(): ApplicationRepository {
    const columns = sql.raw(`application_id::text as "applicationId", company, role, job_id::text as "jobId", sent_at as "sentAt", notes,
      created_at as "createdAt", updated_at as "updatedAt"`);
    const applicationOf = (r: Record<string, unknown>): Application =>
      ({ ...r, sentAt: isoOrNull(r.sentAt), createdAt: iso(r.createdAt), updatedAt: iso(r.updatedAt) }) as Application;
    const given = (v: unknown) => v !== undefined;
    return {
      put: async (id, changes, at) => {
        const { company, role, jobId, sentAt, notes } = changes;
        // A field left out keeps its value; one given as null is cleared.
        const r = await this.one<Record<string, unknown>>(
          sql`insert into link_tracker.applications as a (application_id, company, role, job_id, sent_at, notes, created_at, updated_at)
              values (${id}::uuid, ${company ?? null}, ${role ?? null}, ${jobId ?? null}::uuid, ${sentAt ?? null}::timestamptz, ${notes ?? null},
                ${at}::timestamptz, ${at}::timestamptz)
              on conflict (application_id) do update set
                company = case when ${given(company)}::boolean then excluded.company else a.company end,
                role = case when ${given(role)}::boolean then excluded.role else a.role end,
                job_id = case when ${given(jobId)}::boolean then excluded.job_id else a.job_id end,
                sent_at = case when ${given(sentAt)}::boolean then excluded.sent_at else a.sent_at end,
                notes = case when ${given(notes)}::boolean then excluded.notes else a.notes end,
                updated_at = excluded.updated_at
              returning ${columns}`,
        );
        return applicationOf(r!);
      },
      find: async (id) => {
        if (!isUuid(id)) return undefined;
        const r = await this.one<Record<string, unknown>>(sql`select ${columns} from link_tracker.applications where application_id = ${id}::uuid`);
        return r ? applicationOf(r) : undefined;
      },
      list: async (ids) => {
        const filter = ids ? sql`where application_id in (select (jsonb_array_elements_text(${jsonb(ids.filter(isUuid))}))::uuid)` : sql``;
        return (await this.all<Record<string, unknown>>(sql`select ${columns} from link_tracker.applications ${filter} order by created_at, application_id`)).map(applicationOf);
      },
      page: async (limit, after) => {
        const since = after?.since ?? null;
        const rows = await this.all<{ applicationId: string; since: unknown; jobId: string | null; links: unknown; firstLinkAt: unknown }>(
          sql`with linked as (
                select application_id, max(job_id::text) as job_id, count(*) as links, min(created_at) as first_link_at
                from link_tracking where application_id is not null group by application_id
              ),
              listed as (
                select l.application_id, l.job_id, l.links, l.first_link_at, date_trunc('milliseconds', coalesce(a.sent_at, l.first_link_at)) as since
                from linked l left join link_tracker.applications a on a.application_id = l.application_id
                union all
                select a.application_id, null, 0, null, date_trunc('milliseconds', coalesce(a.sent_at, a.created_at))
                from link_tracker.applications a where not exists (select 1 from link_tracking t where t.application_id = a.application_id)
              )
              select application_id::text as "applicationId", since, job_id as "jobId", links, first_link_at as "firstLinkAt" from listed
              where ${since}::timestamptz is null or since < ${since}::timestamptz
                or (since = ${since}::timestamptz and application_id < ${after?.applicationId ?? null}::uuid)
              order by since desc, application_id desc limit ${limit}`,
        );
        return rows.map((r) => ({ ...r, since: iso(r.since), links: num(r.links), firstLinkAt: isoOrNull(r.firstLinkAt) }));
      },
      count: async () => {
        const r = await this.one<{ n: unknown }>(
          sql`select (select count(distinct application_id) from link_tracking where application_id is not null)
                   + (select count(*) from link_tracker.applications a where not exists (select 1 from link_tracking t where t.application_id = a.application_id)) as n`,
        );
        return num(r?.n);
      },
    };
  }

  private settingRepository(): SettingRepository {
    return {
      getOrCreate: async (key, make) => {
        const found = await this.one<{ value: string }>(sql`select value from link_tracker.settings where key = ${key}`);
        if (found) return found.value;
        // Another instance may make it at the same moment: the first insert wins, everyone reads it.
        await this.all(sql`insert into link_tracker.settings (key, value) values (${key}, ${make()}) on conflict do nothing`);
        return (await this.one<{ value: string }>(sql`select value from link_tracker.settings where key = ${key}`))!.value;
      },
      // The first redirect of the day waits for it: on the redirect's own connections.
      saltForDay: async (day) => {
        const q = this.redirectDb();
        const found = await this.one<{ salt: string }>(sql`select salt from link_tracker.daily_salts where day = ${day}`, q);
        if (found) return found.salt;
        const salt = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
        return this.transaction(async (tx) => {
          await this.all(sql`insert into link_tracker.daily_salts (day, salt) values (${day}, ${salt}) on conflict do nothing`, tx);
          await this.all(sql`delete from link_tracker.daily_salts where day <> ${day}`, tx);
          return (await this.one<{ salt: string }>(sql`select salt from link_tracker.daily_salts where day = ${day}`, tx))!.salt;
        }, q);
      },
    };
  }

  /** Runs `work` in one transaction on one connection: its writes land together, or none does. */
  tx<T>(work: (store: Store) => Promise<T>): Promise<T> {
    return this.guard(() => this.db.transaction((tx) => work(new PostgresStore(tx as unknown as Q, this.shared, true))));
  }

  async probe(): Promise<void> {
    await this.all(sql`select count(*) from link_tracking`);
    // A real write (a new row version): it needs the server writable and with room.
    await this.all(sql`update link_tracker.links_version set version = version where id = 1`);
    const size = await this.one<{ bytes: unknown }>(sql`select pg_database_size(current_database()) as bytes`);
    this.shared.sizeBytes = num(size?.bytes);
  }

  linkCache(): { entries: number; reads: number; drops: number } {
    const { links } = this.shared;
    return { entries: links.size(), reads: links.reads, drops: links.drops };
  }

  size(): number {
    return this.shared.sizeBytes;
  }

  async close(ms = 1000): Promise<void> {
    if (this.shared.closed) return;
    this.shared.closed = true;
    for (const stop of this.shared.stops) stop();
    await this.shared.options.end?.(Math.max(1, Math.ceil(ms / 1000)));
  }
}

/** An edge keeps its outbox in SQLite (DATABASE_PATH) whatever the central store is. */
const unsupported = () => Promise.reject(new Error("the edge outbox is kept in SQLite, not in PostgreSQL"));
const unsupportedOutbox: OutboxRepository = { enqueue: unsupported, peek: unsupported, acknowledge: unsupported, status: unsupported };
