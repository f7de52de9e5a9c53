/**
 * The link_clicks table on PostgreSQL: clicks written (a redirect's group commit, an
 * ingest batch), counted from the roll-ups (tallies.ts) and the indexes, exported a page
 * at a time.
 */
import { isIP } from "node:net";
import { and, desc, eq, sql, type SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import {
  EXPORT_COLUMNS,
  FULL_EXPORT_COLUMNS,
  type ClickFilter,
  type ClickRepository,
  type ExportFilter,
  type NewClick,
  type VisitorKind,
  isBotKind,
} from "../store";
import { describe } from "../describe";
import type { Logger } from "../../lib/log";
import { iso, isoOrNull, isUuid, jsonb, jsonWithoutNul, num } from "./rows";
import { LOCKS, PgContext, type Q } from "./context";
import { decidesNothing, readFacts, remember, insertSignals } from "./signal-facts";
import { cancelSignalsOf } from "./signals";
import * as tallies from "./tallies";
import { unnestInsert, type ColumnArrays } from "./columns";
import { linkClicks } from "./schema";

export const EXPORT_PAGE_ROWS = 1000;

const c = linkClicks;
/** A stored click's columns (StoredClick), as drizzle reads them. */
const STORED = {
  clickId: c.clickId, trackingId: c.trackingId, clickedAt: c.clickedAt, receivedAt: c.receivedAt, origin: c.origin, ipAddress: c.ipAddress,
  userAgent: c.userAgent, referrerUrl: c.referrerUrl, sessionId: c.sessionId, clickSource: c.clickSource, metadata: c.metadata, isBot: c.isBot,
  visitorKind: c.visitorKind, visitorReason: c.visitorReason, outcome: c.outcome, idempotencyKey: c.idempotencyKey, country: c.country, city: c.city,
  asn: c.asn, network: c.network,
};
const AGENT = { browser: c.browser, os: c.os, device: c.device };
const PLACE = { country: c.country, asn: c.asn, network: c.network };

/** A referrer's domain: the one worked out when the click was stored, or (a row written by another program) read from the URL. */
export const REFERRER_DOMAIN = sql.raw(`coalesce(referrer_domain, lower(substring(referrer_url from '^[a-zA-Z][a-zA-Z0-9+.-]*://(?:[^@/]*@)?(?:www\\.)?([^/:?#]+)')), '')`);

/** Turns a query into its text and parameters, for the driver's prepared statements. */
export const dialect = new PgDialect();

/**
 * Writes clicks in one transaction: all, or none. With `idempotent`, a click whose key
 * is stored already is skipped (per click: whether it was new). Their signals are
 * decided from what the database holds (the facts read before the insert, in the
 * transaction) and stored with them.
 */
export async function writeClicks(ctx: PgContext, clicks: NewClick[], idempotent: boolean): Promise<boolean[]> {
  if (clicks.length === 0) return [];
  const text = (v: string | null | undefined) => (v === null || v === undefined ? null : v.includes("\u0000") ? v.replaceAll("\u0000", "") : v);
  const described = clicks.map((c) => describe(c.userAgent, c.referrerUrl));
  // One array per column of link_clicks (schema.ts), unnested into rows (columns.ts).
  const arrays: ColumnArrays<typeof linkClicks> = {
    clickId: clicks.map((c) => c.clickId),
    trackingId: clicks.map((c) => text(c.trackingId)),
    clickedAt: clicks.map((c) => c.clickedAt),
    receivedAt: clicks.map((c) => c.receivedAt),
    ipAddress: clicks.map((c) => (c.ipAddress && isIP(c.ipAddress) ? c.ipAddress : null)),
    userAgent: clicks.map((c) => text(c.userAgent)),
    referrerUrl: clicks.map((c) => text(c.referrerUrl)),
    sessionId: clicks.map((c) => text(c.sessionId)),
    clickSource: clicks.map((c) => text(c.clickSource)),
    metadata: clicks.map((c) => jsonWithoutNul(c.metadata ?? {})),
    isBot: clicks.map((c) => isBotKind(c.visitorKind)),
    visitorKind: clicks.map((c) => c.visitorKind),
    visitorReason: clicks.map((c) => text(c.visitorReason)),
    origin: clicks.map((c) => c.origin),
    outcome: clicks.map((c) => c.outcome),
    idempotencyKey: clicks.map((c) => text(c.idempotencyKey)),
    country: clicks.map((c) => c.country ?? null),
    city: clicks.map((c) => text(c.city)),
    asn: clicks.map((c) => c.asn ?? null),
    network: clicks.map((c) => text(c.network)),
    browser: described.map((d) => d.browser),
    os: described.map((d) => d.os),
    device: described.map((d) => d.device),
    referrerDomain: described.map((d) => text(d.referrerDomain)),
  };
  const rule = ctx.shared.options.signals?.rule;
  ctx.shared.clicksWritten += clicks.length;
  // A redirect's group commit has connections of its own (driver.ts): no read or ingest batch leaves it waiting.
  const writes = idempotent ? ctx.db : ctx.redirectDb();
  // Redirect clicks are all new (fresh ids, no key): nothing to return.
  const statement = unnestInsert(
    linkClicks,
    arrays,
    idempotent ? sql`on conflict (idempotency_key) where idempotency_key is not null do nothing returning click_id::text as id` : sql``,
  );
  const insert = (q: Q) => ctx.all<{ id: string }>(statement, q);
  const newOf = (inserted: { id: string }[]) => {
    if (!idempotent) return clicks.map(() => true);
    const fresh = new Set(inserted.map((r) => r.id));
    return clicks.map((c) => fresh.has(c.clickId.toLowerCase()));
  };
  // Most batches decide no signal from what this instance remembers: then the insert
  // alone, one statement (prepared, where the driver can), is the whole transaction.
  if (!rule || decidesNothing(ctx, rule, clicks)) {
    const prepared = ctx.inTx ? undefined : ctx.shared.options.prepared;
    const inserted = prepared
      ? await ctx.guard(async () => {
          const { sql: text, params } = dialect.sqlToQuery(statement);
          return (await prepared(idempotent ? "lt_insert_clicks_once" : "lt_insert_clicks", text, params, !idempotent)) as { id: string }[];
        })
      : await ctx.guard(() => insert(writes));
    const isNew = newOf(inserted);
    remember(ctx, clicks.filter((_, i) => isNew[i]));
    return isNew;
  }
  return ctx.transaction(async (tx) => {
    const facts = await readFacts(ctx, tx, clicks);
    const isNew = newOf(await insert(tx));
    const stored = clicks.filter((_, i) => isNew[i]);
    const signals = stored.length > 0 ? rule(facts.with(stored), stored) : [];
    if (signals.length > 0) await insertSignals(ctx, tx, signals);
    facts.remember(stored);
    return isNew;
  }, writes);
}

/** About the number of clicks countPending counts in one transaction (whole transactions of them). */
export const PENDING_SLICE = 5000;

/**
 * Counts, in the roll-ups, about `limit` of the clicks not counted yet (the database's
 * link_tracker.count_clicks, drizzle-pg/0008_click_count_mark.sql): the backlog of clicks
 * stored before the count's mark existed first, then the clicks of the transactions ended
 * since the last count, read and never written again. One instance counts at a time (0
 * when another is counting); a transaction still open is left for a later turn. The
 * number counted.
 */
export async function countPending(ctx: PgContext, limit = PENDING_SLICE): Promise<number> {
  const n = num((await ctx.one<{ n: unknown }>(countPendingSql(limit)))?.n);
  if (ctx.shared.mark) ctx.shared.mark.at = 0;
  return n;
}

/** countPending's statement, for copy-store, which has no store: its row `n` is the number counted. */
export const countPendingSql = (limit = PENDING_SLICE) => sql`select link_tracker.count_clicks(${limit}::int) as n`;

/**
 * Counts the pending clicks once a second, a slice at a time until none is left; a
 * backlog (the clicks of a database from before the roll-ups) says in the log how far it
 * has got. Returns a function that stops it.
 */
export function countInBackground(ctx: PgContext, log: Logger): () => void {
  let running = false;
  let stopped = false;
  let backlog: { started: number; counted: number; told: number } | null = null;
  const tick = async () => {
    if (running || stopped) return;
    running = true;
    try {
      for (;;) {
        const n = await countPending(ctx);
        if (n >= PENDING_SLICE && !backlog) {
          backlog = { started: Date.now(), counted: 0, told: Date.now() };
          log.info("counting the clicks the roll-ups do not hold yet; the analytics count them meanwhile from link_clicks");
        }
        if (backlog) {
          backlog.counted += n;
          if (Date.now() - backlog.told > 10_000) {
            backlog.told = Date.now();
            log.info({ counted: backlog.counted }, "counting clicks into the roll-ups");
          }
        }
        if (n < PENDING_SLICE || stopped) break;
      }
      if (backlog) {
        // The planner learns that almost no click is left uncounted: reads of the pending ones take their indexes again.
        await ctx.all(sql`analyze link_clicks (counted, written)`);
        log.info({ counted: backlog.counted, seconds: Math.round((Date.now() - backlog.started) / 1000) }, "the roll-ups hold every click");
        backlog = null;
      }
    } catch (error) {
      log.warn({ err: error }, "cannot count clicks into the roll-ups now; the analytics count them from link_clicks meanwhile");
    } finally {
      running = false;
    }
  };
  const timer = setInterval(tick, 1000);
  timer.unref?.();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}

export function clickRepository(ctx: PgContext): ClickRepository {
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
      await writeClicks(ctx, batch, false);
    },
    insert: (batch) => writeClicks(ctx, batch, true),
    count: async () => num((await ctx.one<{ n: unknown }>(sql`select count(*) as n from link_clicks`))?.n),
    settle: async () => {
      while ((await countPending(ctx)) > 0);
    },
    findByKey: async (key) => {
      const [r] = await ctx.guard(() => ctx.db.select(STORED).from(linkClicks).where(eq(linkClicks.idempotencyKey, key)));
      return r ? { ...r, clickedAt: iso(r.clickedAt), receivedAt: iso(r.receivedAt) } : undefined;
    },
    totals: async (filter, since24h, since7d) => {
      const total = async (f: ClickFilter) => (await tallies.kindCounts(ctx, f)).reduce((n, r) => n + r.clicks, 0);
      const since = (at: string) => total({ ...filter, from: filter.from && filter.from > at ? filter.from : at });
      const [all, sessions, span, last24h, last7d] = await Promise.all([
        total(filter),
        tallies.sessions(ctx, filter),
        filter.trackingIds ? repository.span({ ...filter, trackingIds: filter.trackingIds }) : { first: null, last: null },
        since(since24h),
        since(since7d),
      ]);
      return { total: all, sessions, ...span, last24h, last7d };
    },
    countsBy: async (filter, by) => (await tallies.breakdowns(ctx, filter, [by]))[by]!,
    applicationActivity: (returnDays, ids) => tallies.applicationActivity(ctx, returnDays, ids),
    applicationStandings: (returnDays) => tallies.applicationStandings(ctx, returnDays),
    breakdowns: (filter, by) => tallies.breakdowns(ctx, filter, by),
    span: async (filter) => {
      const r = await ctx.one<{ first: unknown; last: unknown }>(
        sql`select (select clicked_at from link_clicks where ${where(filter)} order by clicked_at limit 1) as first,
                   (select clicked_at from link_clicks where ${where(filter)} order by clicked_at desc limit 1) as last`,
      );
      return { first: isoOrNull(r?.first), last: isoOrNull(r?.last) };
    },
    perDay: (filter, tz) => tallies.perDay(ctx, filter, tz),
    recentOf: async (id, limit) =>
      (
        await ctx.guard(() =>
          ctx.db
            .select({ clickedAt: c.clickedAt, clickSource: c.clickSource, visitorKind: c.visitorKind, visitorReason: c.visitorReason, ...AGENT, referrerDomain: sql<string>`${REFERRER_DOMAIN}`, ...PLACE })
            .from(linkClicks)
            .where(and(eq(c.trackingId, id), eq(c.outcome, "redirected")))
            .orderBy(desc(c.clickedAt))
            .limit(limit),
        )
      ).map((r) => ({ ...r, clickedAt: iso(r.clickedAt) })),
    exportPages: (filter) => exportPages(ctx, filter),
    reclassify: async (ids, kind, reason, at = new Date().toISOString(), from = "human") => {
      const clickIds = uuids(ids);
      if (clickIds.length === 0) return 0;
      const isBot = isBotKind(kind);
      const changed = await ctx.transaction(async (tx) => {
        await ctx.all(cancelSignalsOf(clickIds, at), tx);
        return ctx.all<{ trackingId: string }>(
          sql`update link_clicks set visitor_kind = ${kind}, visitor_reason = ${reason}, is_bot = ${isBot}
              where click_id in (select (jsonb_array_elements_text(${jsonb(clickIds)}))::uuid) and visitor_kind = ${from}
              returning tracking_id as "trackingId"`,
          tx,
        );
      });
      ctx.shared.memo.forget(new Set(changed.map((c) => c.trackingId)), (id) => ctx.shared.links.peek(id)?.applicationId);
      return changed.length;
    },
    ofKind: async (kind, after) => {
      // 20,000 clicks a slice by the primary key, the kind's among them sent back.
      const r = await ctx.one<{ next: string | null; clicks: { clickId: string; userAgent: string | null }[] }>(
        sql`with s as (select click_id, user_agent, visitor_kind from link_clicks
                       where click_id > ${after ?? "00000000-0000-0000-0000-000000000000"}::uuid order by click_id limit 20000)
            select case when count(*) = 20000 then max(click_id::text) end as next,
                   coalesce(jsonb_agg(jsonb_build_object('clickId', click_id::text, 'userAgent', user_agent)) filter (where visitor_kind = ${kind}), '[]') as clicks
            from s`,
      );
      return { clicks: r?.clicks ?? [], next: r?.next ?? null };
    },
    unlocated: async (after, limit) =>
      ctx.all<{ clickId: string; ipAddress: string }>(
        sql`select click_id::text as "clickId", host(ip_address) as "ipAddress" from link_clicks
            where click_id > ${after ?? "00000000-0000-0000-0000-000000000000"}::uuid and ip_address is not null and country is null and asn is null
            order by click_id limit ${limit}`,
      ),
    setPlaces: async (places) => {
      if (places.length === 0) return 0;
      const changed = await ctx.all<{ one: number }>(
        sql`update link_clicks c set country = p.country, city = p.city, asn = p.asn, network = p.network
            from jsonb_to_recordset(${jsonb(places.map((p) => ({ click_id: p.clickId, country: p.country, city: p.city, asn: p.asn, network: p.network })))})
              as p(click_id uuid, country text, city text, asn integer, network text)
            where c.click_id = p.click_id returning 1 as one`,
      );
      return changed.length;
    },
    perLinkKindCounts: async (ids) => {
      if (ids.length === 0) return [];
      const rows = await ctx.all<{ trackingId: string; kind: VisitorKind; clicks: unknown; first: unknown; last: unknown }>(
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
      const rows = await ctx.guard(() =>
        ctx.db
          .select({ clickId: c.clickId, trackingId: c.trackingId, clickedAt: c.clickedAt, clickSource: c.clickSource, sessionId: c.sessionId, ...AGENT, ...PLACE })
          .from(linkClicks)
          .where(and(sql`${c.trackingId} = any(${sql.param(ids)}::text[])`, eq(c.outcome, "redirected"), eq(c.visitorKind, "human")))
          .orderBy(desc(c.clickedAt))
          .limit(limit),
      );
      return rows.map((r) => ({ ...r, clickedAt: iso(r.clickedAt) })).reverse();
    },
    topLinksIn: async (p, limit) => {
      const rows = await ctx.all<{ trackingId: string; clicks: unknown }>(
        sql`select g as "trackingId", sum(clicks) as clicks from (${await tallies.perLinkIn(ctx, p, ["human"])}) c
            where g in (select tracking_id from link_tracking)
            group by g having sum(clicks) > 0 order by clicks desc, g collate "C" limit ${limit}`,
      );
      return rows.map((r) => ({ trackingId: r.trackingId, clicks: num(r.clicks) }));
    },
    recentIn: async (p, limit) =>
      (
        await ctx.guard(() =>
          ctx.db
            .select({ clickedAt: c.clickedAt, trackingId: c.trackingId, clickSource: c.clickSource, visitorKind: c.visitorKind, visitorReason: c.visitorReason, outcome: c.outcome })
            .from(linkClicks)
            .where(sql`${c.clickedAt} >= ${p.from}::timestamptz and ${c.clickedAt} <= ${p.to}::timestamptz`)
            .orderBy(desc(c.clickedAt))
            .limit(limit),
        )
      ).map((r) => ({ ...r, clickedAt: iso(r.clickedAt) })),
    orphansIn: async (p, limit) => {
      const ranked = await ctx.all<{ tracking_id: string; hits: unknown; near: boolean; first_seen: unknown; last_seen: unknown }>(
        sql`with ranked as (
              select d.g as tracking_id, sum(d.clicks) as hits,
                (exists (select 1 from link_tracker.signal_events s where s.type = 'link.orphan_hit' and s.subject = 'orphan:' || d.g)
                 or (length(d.g) >= 4 and exists (
                   select 1 from link_tracking l where starts_with(l.tracking_id, d.g) and l.tracking_id <> d.g))) as near
              from (${await tallies.perLinkIn(ctx, p, undefined, true)}) d
              where not exists (select 1 from link_tracking l where l.tracking_id = d.g)
              group by d.g having sum(d.clicks) > 0
              order by near desc, hits desc, d.g collate "C" limit ${limit})
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
      const rows = await ctx.all<{ clickId: string; trackingId: string; applicationId: string; ipAddress: string; clickedAt: unknown; visitorKind: VisitorKind }>(
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
        await ctx.all(
          sql`update link_clicks set tracking_id = ${id}, outcome = 'redirected', metadata = metadata || jsonb_build_object('attributed_from', ${orphan}::text)
              where tracking_id = ${orphan} and not exists (select 1 from link_tracking where tracking_id = ${orphan}) returning 1 as one`,
        )
      ).length,
    deleteFromIp: async (ip) => {
      if (!isIP(ip)) return 0;
      const deleted = (await ctx.all(sql`delete from link_clicks where ip_address = ${ip}::inet returning 1 as one`)).length;
      ctx.shared.memo.clear();
      return deleted;
    },
    // Retention: one instance at a time; the others find the lock taken and leave it to it.
    deleteBefore: (before, limit) =>
      ctx.transaction(async (tx) => {
        const [lock] = await ctx.all<{ ok: boolean }>(sql`select pg_try_advisory_xact_lock(${LOCKS.retention}) as ok`, tx);
        if (!lock?.ok) return 0;
        const deleted = await ctx.all(
          sql`delete from link_clicks where click_id in (select click_id from link_clicks where clicked_at < ${before}::timestamptz order by clicked_at limit ${limit})
              returning 1 as one`,
          tx,
        );
        if (deleted.length > 0) ctx.shared.memo.clear();
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
export async function* exportPages(ctx: PgContext, filter: ExportFilter): AsyncIterable<unknown[][]> {
  const names = filter.everything ? FULL_EXPORT_COLUMNS : EXPORT_COLUMNS;
  const conditions = [
    filter.everything ? sql`true` : sql`c.outcome = 'redirected'`,
    filter.from ? sql`c.clicked_at >= ${filter.from}::timestamptz` : undefined,
    filter.to ? sql`c.clicked_at <= ${filter.to}::timestamptz` : undefined,
    filter.kinds ? sql`c.visitor_kind in (select jsonb_array_elements_text(${jsonb(filter.kinds)}))` : undefined,
  ].filter((c): c is SQL => c !== undefined);
  const page = (scope: SQL, after: { at: string; id: string } | null) =>
    ctx.all<Record<string, unknown>>(
      sql`select c.click_id::text as click_id, c.tracking_id, l.job_id::text as job_id, l.application_id::text as application_id, l.link_function,
            c.clicked_at, c.click_source, c.visitor_kind, c.ip_address, c.user_agent, c.referrer_url, c.session_id, c.metadata::text as metadata, c.origin,
            c.country, c.city, c.asn, c.network, c.outcome, c.visitor_reason, c.received_at, c.idempotency_key
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
      yield rows.map((r) => names.map((column) => (column === "clicked_at" || column === "received_at" ? iso(r[column]) : (r[column] ?? null))));
      if (rows.length < EXPORT_PAGE_ROWS) return;
    }
  };
  if (filter.trackingId || filter.jobId || filter.applicationId) {
    if ((filter.jobId && !isUuid(filter.jobId)) || (filter.applicationId && !isUuid(filter.applicationId))) return;
    const ids =
      filter.trackingId && !filter.jobId && !filter.applicationId
        ? [filter.trackingId]
        : (
            await ctx.all<{ id: string }>(
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
