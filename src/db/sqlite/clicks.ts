/**
 * The link_clicks table: every write and read of clicks goes through here. Redirect
 * clicks arrive through the inbox (inbox.ts); the store (store.ts) moves it over before
 * it calls any reader here, so these functions read link_clicks alone.
 */
import { and, desc, eq, gte, inArray, lte, sql } from "drizzle-orm";
import { CLICK_COLUMNS, clickValues } from "./click-row";
import type { SQLQueryBindings } from "bun:sqlite";
import { clicksDeleted, counted, DESCRIBED_COLUMNS, describedValues, rewriteClicks, uncountClicks } from "./rollups";
import * as tallies from "./tallies";
import { standingsOf } from "../tally-plan";
import { perDb, type Db } from "./index";
import { EXPORT_COLUMNS, FULL_EXPORT_COLUMNS, isBotKind, type BurstFilter, type NewClick as ClickInsert, type ClickFilter, type ClickPlace, type CountDimension, type ExportFilter, type Period, type VisitorKind } from "../store";
import { linkClicks } from "./schema";
import { cancelSignalsOf } from "./signals";

/**
 * Bumped by every change to clicks already stored (attributed, deleted, a write rolled
 * back): memos built from stored clicks (signals.ts) start over when it moves. A change
 * that knows which links it touched (a reclassification) reports them instead, and a
 * memo forgets only those (clicksTouched).
 */
const rewrites = new WeakMap<Db, number>();
export const clickRewrites = (db: Db): number => rewrites.get(db) ?? 0;
export const clicksRewritten = (db: Db): void => void rewrites.set(db, clickRewrites(db) + 1);

const touched = new WeakMap<Db, Set<string>>();
/** Links whose stored clicks changed since the last call (taken: a second call returns what came after). */
export function takeTouchedLinks(db: Db): Set<string> | null {
  const links = touched.get(db);
  if (!links || links.size === 0) return null;
  touched.set(db, new Set());
  return links;
}
const clicksTouched = (db: Db, trackingIds: Iterable<string>) => {
  let links = touched.get(db);
  if (!links) touched.set(db, (links = new Set()));
  for (const id of trackingIds) links.add(id);
  // Past this, forgetting everything is cheaper than remembering what to forget.
  if (links.size > 10_000) {
    links.clear();
    clicksRewritten(db);
  }
};


function writer(db: Db) {
  return perDb(db, "insert-clicks", () => {
    const columns = [...CLICK_COLUMNS, "idempotency_key", ...DESCRIBED_COLUMNS];
    const insert = db.$client.prepare(
      `insert into link_clicks (${columns.join(", ")}) values (${columns.map(() => "?").join(", ")})
       on conflict (idempotency_key) where idempotency_key is not null do nothing`,
    );
    return db.$client.transaction((clicks: ClickInsert[], after?: (stored: ClickInsert[]) => void) => {
      // Deferred, and its first statement a write: the transaction takes the main
      // database's lock at once (a read first could meet a newer commit and fail), and
      // never the inbox file's (a redirect's commit never waits for it).
      // Described as they are written; counted with the next read or quiet moment (rollups.ts countPending).
      const isNew = clicks.map((c) => insert.run(...clickValues(c), c.idempotencyKey ?? null, ...describedValues(c)).changes > 0);
      after?.(clicks.filter((_, i) => isNew[i]));
      return isNew;
    });
  });
}

/**
 * Writes all clicks in one transaction: either every one is stored (or found
 * already stored by its idempotency key) or none is. `after` runs in the same
 * transaction with the clicks that were new (what they cause is stored with them).
 * Returns, per click, whether it was new.
 */
export function insertClicks(db: Db, clicks: ClickInsert[], after?: (stored: ClickInsert[]) => void): boolean[] {
  return writer(db)(clicks, after);
}

export function countClicks(db: Db): number {
  const row = db.select({ n: sql<number>`count(*)` }).from(linkClicks).get();
  return row?.n ?? 0;
}

export function findClickByKey(db: Db, idempotencyKey: string) {
  return db.select().from(linkClicks).where(eq(linkClicks.idempotencyKey, idempotencyKey)).get();
}


const total = (rows: { clicks: number }[]) => rows.reduce((n, r) => n + r.clicks, 0);
const later = (a: string | null, b: string | null) => (a === null ? b : b === null || a >= b ? a : b);
const earlier = (a: string | null, b: string | null) => (a === null ? b : b === null || a <= b ? a : b);

/** The first and last counted click of some links. */
export function clickSpan(db: Db, filter: ClickFilter) {
  let first: string | null = null;
  let last: string | null = null;
  for (const id of filter.trackingIds ?? []) {
    const s = tallies.span(db, { ...filter, trackingIds: [id] });
    first = earlier(first, s.first);
    last = later(last, s.last);
  }
  return { first, last };
}

/** Counts, sessions, first and last click of a filter (one link's, usually), from the roll-ups. */
export function clickTotals(db: Db, filter: ClickFilter, since24h: string, since7d: string) {
  const since = (at: string) => total(tallies.kindCounts(db, { ...filter, from: filter.from && filter.from > at ? filter.from : at }));
  return { total: total(tallies.kindCounts(db, filter)), sessions: tallies.sessions(db, filter), ...clickSpan(db, filter), last24h: since(since24h), last7d: since(since7d) };
}

export const clickCountsBy = (db: Db, filter: ClickFilter, by: CountDimension) => tallies.countsBy(db, filter, by);
export const clickBreakdowns = (db: Db, filter: ClickFilter, by: CountDimension[]) => tallies.breakdowns(db, filter, by);
export const clicksPerDay = (db: Db, filter: ClickFilter & { from: string; to: string }, tz: string) => tallies.perDay(db, filter, tz);

/** Rows one page of an export looks at, matching or not: what bounds a page's time, whatever the filter. */
export const EXPORT_PAGE_ROWS = 1000;

type ExportCursor = { clickedAt: string; rowid: number };

/**
 * Redirected clicks a page at a time, each page one short query that looks at most at
 * EXPORT_PAGE_ROWS clicks in index order (clicked_at, then rowid), from where the last
 * page stopped. No sort of the whole table, no read transaction held between pages: the
 * caller may give the event loop back between pages. A link's clicks come from its own
 * index range; a job's or an application's link after link; everything in time order.
 */
export function* exportPages(db: Db, filter: ExportFilter): Generator<unknown[][]> {
  const kinds = filter.kinds ? new Set<string>(filter.kinds) : null;
  const from = filter.from ?? "";
  const linkColumns = db.$client.query<{ job_id: string | null; application_id: string | null; link_function: string | null }, [string]>(
    "select job_id, application_id, link_function from link_tracking where tracking_id = ?",
  );
  const names = filter.everything ? FULL_EXPORT_COLUMNS : EXPORT_COLUMNS;
  const rowOf = (c: Record<string, unknown>, link: { job_id: string | null; application_id: string | null; link_function: string | null } | null) =>
    names.map((column) => (column === "job_id" || column === "application_id" || column === "link_function" ? (link?.[column] ?? null) : c[column]));

  const columns = names.filter((c) => c !== "job_id" && c !== "application_id" && c !== "link_function" && c !== "outcome").join(", ");
  function* walk(next: (after: ExportCursor) => Record<string, unknown>[], link: (c: Record<string, unknown>) => ReturnType<typeof linkColumns.get>) {
    let after: ExportCursor = { clickedAt: from, rowid: -1 };
    for (;;) {
      const scanned = next(after);
      if (scanned.length === 0) return;
      const last = scanned.at(-1)!;
      after = { clickedAt: last.clicked_at as string, rowid: last.rowid as number };
      const rows = scanned
        .filter((c) => (filter.everything || c.outcome === "redirected") && (!kinds || kinds.has(c.visitor_kind as string)) && (!filter.to || (c.clicked_at as string) <= filter.to))
        .map((c) => rowOf(c, link(c) ?? null));
      if (rows.length > 0) yield rows;
      if (scanned.length < EXPORT_PAGE_ROWS || (filter.to && after.clickedAt > filter.to)) return;
    }
  }

  if (filter.trackingId || filter.jobId || filter.applicationId) {
    const conditions: [string, string][] = [];
    if (filter.trackingId) conditions.push(["tracking_id = ?", filter.trackingId]);
    if (filter.jobId) conditions.push(["job_id = ?", filter.jobId]);
    if (filter.applicationId) conditions.push(["application_id = ?", filter.applicationId]);
    // A tracking_id alone may be an orphan's (no link): its clicks are asked for all the same.
    const ids =
      filter.trackingId && !filter.jobId && !filter.applicationId
        ? [filter.trackingId]
        : db.$client
            .query<{ tracking_id: string }, string[]>(`select tracking_id from link_tracking where ${conditions.map(([c]) => c).join(" and ")} order by tracking_id`)
            .all(...conditions.map(([, v]) => v))
            .map((r) => r.tracking_id);
    const page = db.$client.query<Record<string, unknown>, [string, string, number, number]>(
      `select rowid, ${columns}, outcome from link_clicks
       where tracking_id = ? and (clicked_at, rowid) > (?, ?)
       order by clicked_at, rowid limit ?`,
    );
    for (const id of ids) {
      const link = linkColumns.get(id);
      yield* walk((a) => page.all(id, a.clickedAt, a.rowid, EXPORT_PAGE_ROWS), () => link);
    }
    return;
  }
  const page = db.$client.query<Record<string, unknown>, [string, number, number]>(
    `select rowid, ${columns}, outcome from link_clicks
     where (clicked_at, rowid) > (?, ?)
     order by clicked_at, rowid limit ?`,
  );
  yield* walk((a) => page.all(a.clickedAt, a.rowid, EXPORT_PAGE_ROWS), (c) => linkColumns.get(c.tracking_id as string));
}

/**
 * Gives clicks already stored another kind, e.g. when a burst shows them to be a
 * scanner's. Only human clicks change; the links whose clicks did are reported to the
 * memos (clicksTouched). Returns how many clicks changed.
 */
export function unlocatedClicks(db: Db, after: string | null, limit: number) {
  return db.$client
    .query<{ clickId: string; ipAddress: string }, [string, number]>(
      `select click_id as clickId, ip_address as ipAddress from link_clicks
       where click_id > ? and ip_address is not null and country is null and asn is null order by click_id limit ?`,
    )
    .all(after ?? "", limit);
}

export function setClickPlaces(db: Db, places: ({ clickId: string; city: string | null } & ClickPlace)[]): number {
  const update = db.$client.prepare("update link_clicks set country = ?, city = ?, asn = ?, network = ? where click_id = ?");
  const ids = JSON.stringify(places.map((p) => p.clickId));
  // A place is a breakdown: the clicks move to their new place's counts.
  return db.$client.transaction(() =>
    rewriteClicks(db, "click_id in (select value from json_each(?))", [ids], () => places.reduce((n, p) => n + update.run(p.country, p.city, p.asn, p.network, p.clickId).changes, 0)),
  )();
}

/**
 * Gives clicks of one kind (`from`: human unless said) another kind and withdraws their
 * signals still held (not due by `at`), in one transaction: a burst's clicks and their
 * events change together.
 */
export function reclassifyClicks(db: Db, clickIds: string[], kind: VisitorKind, reason: string, at: string, from: VisitorKind = "human"): number {
  if (clickIds.length === 0) return 0;
  if (!/^[a-z]+$/.test(from)) throw new Error(`not a visitor kind: ${from}`);
  const isBot = isBotKind(kind);
  let changed: { trackingId: string }[] = [];
  try {
    changed = db.$client.transaction(() => {
      const stored = `click_id in (${clickIds.map(() => "?").join(", ")}) and visitor_kind = '${from}'`;
      cancelSignalsOf(db, clickIds, at);
      return [
        ...rewriteClicks(db, stored, clickIds, (rowids) =>
          db.$client
            .query<{ trackingId: string }, (string | number)[]>(
              "update main.link_clicks set visitor_kind = ?, visitor_reason = ?, is_bot = ? where rowid in (select value from json_each(?)) returning tracking_id as trackingId",
            )
            .all(kind, reason, isBot ? 1 : 0, rowids),
        ),
        // The ones still waiting in the inbox are changed where they are (by its click_id
        // index); they are counted when they move.
        ...db.$client
          .query<{ trackingId: string }, (string | number)[]>(
            `update inbox.click_inbox set visitor_kind = ?, visitor_reason = ?, is_bot = ?
             where click_id in (${clickIds.map(() => "?").join(", ")}) and visitor_kind = '${from}' returning tracking_id as trackingId`,
          )
          .all(kind, reason, isBot ? 1 : 0, ...clickIds),
      ];
    }).immediate();
  } catch (error) {
    clicksRewritten(db);
    throw error;
  }
  clicksTouched(db, changed.map((c) => c.trackingId));
  return changed.length;
}

/** ClickRepository.ofKind: 5,000 rowids a slice (a bounded read whatever the kind's share). */
export function clicksOfKind(db: Db, kind: VisitorKind, after: string | null): { clicks: { clickId: string; userAgent: string | null }[]; next: string | null } {
  const from = after === null ? 0 : Number(after);
  const last = db.$client.query<{ m: number | null }, []>("select max(rowid) as m from link_clicks").get()?.m ?? 0;
  const to = from + OF_KIND_SLICE;
  const clicks = db.$client
    .query<{ clickId: string; userAgent: string | null }, [number, number, string]>(
      "select click_id as clickId, user_agent as userAgent from link_clicks where rowid > ? and rowid <= ? and visitor_kind = ? order by rowid",
    )
    .all(from, to, kind);
  return { clicks, next: to >= last ? null : String(to) };
}
const OF_KIND_SLICE = 5_000;

/**
 * Per link and visitor kind: counts (from click_daily) and, for human clicks, the first
 * and last: the day from click_daily, then the click in it from the per-link index. One
 * statement, whatever the number of links. Redirected clicks only.
 */
export function perLinkKindCounts(db: Db, trackingIds: string[]) {
  if (trackingIds.length === 0) return [];
  const ids = JSON.stringify(trackingIds);
  const human = `c.tracking_id = d.tracking_id and c.outcome = 'redirected' and c.visitor_kind = 'human' and ${counted("c.")}`;
  return db.$client
    .query<{ trackingId: string; kind: VisitorKind; clicks: number; first: string | null; last: string | null }, [string]>(
      `select d.tracking_id as trackingId, d.visitor_kind as kind, d.clicks,
         case when d.visitor_kind = 'human' then (select clicked_at from link_clicks c where ${human} and c.clicked_at >= d.first_day order by c.clicked_at limit 1) end as first,
         case when d.visitor_kind = 'human' then (select clicked_at from link_clicks c where ${human} and c.clicked_at < date(d.last_day, '+1 day') order by c.clicked_at desc limit 1) end as last
       from (select tracking_id, visitor_kind, sum(clicks) as clicks, min(case when clicks > 0 then day end) as first_day, max(case when clicks > 0 then day end) as last_day
             from click_daily where tracking_id in (select value from json_each(?)) and outcome = 'redirected'
             group by tracking_id, visitor_kind having sum(clicks) > 0) d`,
    )
    .all(ids);
}

/** Some applications (a page of them), or every one: the condition on link_tracking `l` and its parameters. */
function someApplications(applicationIds?: string[]) {
  return applicationIds ? { sql: "and l.application_id in (select value from json_each(?))", params: [JSON.stringify(applicationIds)] } : { sql: "", params: [] as string[] };
}

/**
 * Per application, its human clicks and whether a human came back more than `returnDays`
 * after the click before: from click_daily, with exact times only where two days with
 * clicks are within a day of `returnDays` apart.
 */
function humanDays(db: Db, returnDays: number, applicationIds?: string[]) {
  const some = someApplications(applicationIds);
  const days = db.$client
    .query<{ applicationId: string; day: string; clicks: number }, string[]>(
      `select l.application_id as applicationId, d.day, sum(d.clicks) as clicks
       from click_daily d join link_tracking l on l.tracking_id = d.tracking_id
       where d.visitor_kind = 'human' and d.outcome = 'redirected' and l.application_id is not null ${some.sql}
       group by 1, 2 having sum(d.clicks) > 0 order by 1, 2`,
    )
    .all(...some.params);
  // The day's first (or last) human click of each of the application's links, by its end of the link's index; the earliest (latest) of them.
  const edge = (applicationId: string, day: string, order: "asc" | "desc") =>
    db.$client
      .query<{ at: string | null }, [string, string, string]>(
        `select ${order === "asc" ? "min" : "max"}((select c.clicked_at from link_clicks c
           where c.tracking_id = l.tracking_id and c.clicked_at >= ? and c.clicked_at < date(?, '+1 day')
             and c.visitor_kind = 'human' and c.outcome = 'redirected' and ${counted("c.")}
           order by c.clicked_at ${order} limit 1)) as at
         from link_tracking l where l.application_id = ?`,
      )
      .get(day, day, applicationId)?.at ?? undefined;
  return standingsOf(days, returnDays, edge);
}

/** See ClickRepository.applicationActivity: from application_counts and click_daily, for these applications (all when absent). */
export function applicationActivity(db: Db, returnDays: number, applicationIds?: string[]) {
  const some = applicationIds ? { sql: "where application_id in (select value from json_each(?))", params: [JSON.stringify(applicationIds)] } : { sql: "", params: [] as string[] };
  // One row an application (rollups.ts countSession keeps them with application_sessions).
  const sessions = db.$client
    .query<{ applicationId: string; visitors: number; visits: number; clicks: number }, string[]>(
      `select application_id as applicationId, visitors, visits, clicks from application_counts ${some.sql}`,
    )
    .all(...some.params);
  const withSessions = new Map(sessions.map((s) => [s.applicationId, s]));
  return humanDays(db, returnDays, applicationIds).map((a) => {
    const s = withSessions.get(a.applicationId) ?? { visitors: 0, visits: 0, clicks: 0 };
    // Clicks without a session (Do Not Track) are each a visitor and a visit of their own.
    return { applicationId: a.applicationId, visitors: s.visitors + a.clicks - s.clicks, visits: s.visits + a.clicks - s.clicks, cameBack: a.cameBack };
  });
}

/** See ClickRepository.applicationStandings: every application's days with human clicks (no sessions), on the reader thread. */
export function applicationStandings(db: Db, returnDays: number) {
  const all = humanDays(db, returnDays);
  return { opened: all.length, cameBack: all.filter((a) => a.cameBack).length };
}

/** The latest `limit` human clicks of some links, in time order: the raw material of a timeline. */
export function humanClicksOf(db: Db, trackingIds: string[], limit: number) {
  if (trackingIds.length === 0) return [];
  // The day from which the latest `limit` come (click_daily, newest day first): only the
  // clicks since then are read and sorted, however many the links have.
  const days = db.$client
    .query<{ day: string; clicks: number }, [string]>(
      `select day, sum(clicks) as clicks from click_daily where tracking_id in (select value from json_each(?))
       and visitor_kind = 'human' and outcome = 'redirected' group by day having sum(clicks) > 0 order by day desc`,
    )
    .all(JSON.stringify(trackingIds));
  let counted = 0;
  const since = days.find((d) => (counted += d.clicks) >= limit)?.day;
  const latest = db
    .select({
      clickId: linkClicks.clickId,
      trackingId: linkClicks.trackingId,
      clickedAt: linkClicks.clickedAt,
      clickSource: linkClicks.clickSource,
      sessionId: linkClicks.sessionId,
      browser: linkClicks.browser,
      os: linkClicks.os,
      device: linkClicks.device,
      country: linkClicks.country,
      asn: linkClicks.asn,
      network: linkClicks.network,
    })
    .from(linkClicks)
    .where(
      and(
        inArray(linkClicks.trackingId, trackingIds),
        eq(linkClicks.outcome, "redirected"),
        eq(linkClicks.visitorKind, "human"),
        since ? gte(linkClicks.clickedAt, since) : undefined,
      ),
    )
    .orderBy(desc(linkClicks.clickedAt))
    .limit(limit)
    .all();
  return latest.reverse();
}


export function topLinksIn(db: Db, p: Period, limit: number) {
  const counts = tallies.perLinkIn(p, ["human"]);
  return db.$client
    .query<{ trackingId: string; clicks: number }, SQLQueryBindings[]>(
      `select g as trackingId, sum(clicks) as clicks from (${counts.sql})
       where g in (select tracking_id from link_tracking)
       group by g having sum(clicks) > 0 order by clicks desc, g limit ?`,
    )
    .all(...counts.params, limit);
}

export function recentClicksIn(db: Db, p: Period, limit: number) {
  return db
    .select({
      clickedAt: linkClicks.clickedAt,
      trackingId: linkClicks.trackingId,
      clickSource: linkClicks.clickSource,
      visitorKind: linkClicks.visitorKind,
      visitorReason: linkClicks.visitorReason,
      outcome: linkClicks.outcome,
    })
    .from(linkClicks)
    .where(and(gte(linkClicks.clickedAt, p.from), lte(linkClicks.clickedAt, p.to)))
    .orderBy(desc(linkClicks.clickedAt))
    .limit(limit)
    .all();
}

/**
 * Hits of a period on ids no link has: redirects that answered 404, and ingested events
 * for unknown ids. The place to spot a link a PDF line break cut short, so those come
 * first: ids that a hit found near one of our links (its link.orphan_hit signal) or
 * that begin one of our ids; then the most recent. Ranked and limited here, so that a
 * flood of random ids can neither hide a real truncated link nor make this slow.
 */
export function orphansIn(db: Db, p: Period, limit: number) {
  const counts = tallies.perLinkIn(p, undefined, true);
  const ranked = db.$client
    .query<{ tracking_id: string; hits: number; near: number }, SQLQueryBindings[]>(
      `select d.tracking_id, d.hits,
         (exists (select 1 from signal_events s where s.type = 'link.orphan_hit' and s.subject = 'orphan:' || d.tracking_id)
          or (length(d.tracking_id) >= 4 and exists (
            select 1 from link_tracking l where l.tracking_id > d.tracking_id and l.tracking_id < d.tracking_id || char(127)))) as near
       from (select g as tracking_id, sum(clicks) as hits from (${counts.sql})
             where g not in (select tracking_id from link_tracking) group by g having sum(clicks) > 0) d
       order by near desc, d.hits desc, d.tracking_id
       limit ?`,
    )
    .all(...counts.params, limit);
  // Each end read from its end of the per-link index (min and max in one query would read every hit).
  const firstSeen = db.$client.query<{ at: string }, [string]>("select clicked_at as at from link_clicks where tracking_id = ? order by clicked_at limit 1");
  const lastSeen = db.$client.query<{ at: string }, [string]>("select clicked_at as at from link_clicks where tracking_id = ? order by clicked_at desc limit 1");
  return ranked
    .map(({ near, ...o }) => ({ ...o, near: near === 1, first_seen: firstSeen.get(o.tracking_id)?.at ?? "", last_seen: lastSeen.get(o.tracking_id)?.at ?? "" }))
    .sort((a, b) => Number(b.near) - Number(a.near) || b.last_seen.localeCompare(a.last_seen))
    .map(({ near: _, ...o }) => o);
}

/** Moves an orphan's hits to the link they were meant for; they count as its clicks from then on. */
export function attributeOrphan(db: Db, orphanId: string, trackingId: string): number {
  clicksRewritten(db);
  const where = "tracking_id = ? and tracking_id not in (select tracking_id from link_tracking)";
  return db.$client.transaction(() =>
    rewriteClicks(db, where, [orphanId], (rowids) =>
      db.$client
        .query("update link_clicks set tracking_id = ?, outcome = 'redirected', metadata = json_set(metadata, '$.attributed_from', ?) where rowid in (select value from json_each(?))")
        .run(trackingId, orphanId, rowids).changes,
    ),
  )();
}

/** Deletes every click from one IP address (a person's request to be forgotten). */
/** Rows of link_clicks an erasure looks at per slice (no index has the address: the table is walked by rowid). */
export const ERASE_SLICE_ROWS = 20_000;

/**
 * Deletes the clicks from `ip` among the rows with rowid from `from` on, ERASE_SLICE_ROWS
 * of them: a few milliseconds whatever the table's size. `next` is where the next slice
 * starts, null once the table's end is passed.
 */
export function deleteClicksFromIpSlice(db: Db, ip: string, from: number): { deleted: number; next: number | null } {
  const to = from + ERASE_SLICE_ROWS;
  const where = "rowid >= ? and rowid < ? and ip_address = ?";
  const deleted = db.$client.transaction(() => {
    uncountClicks(db, where, [from, to, ip]);
    const n = db.$client.query(`delete from link_clicks where ${where}`).run(from, to, ip).changes;
    clicksDeleted(db);
    return n;
  })();
  if (deleted > 0) clicksRewritten(db);
  const last = db.$client.query<{ last: number | null }, []>("select max(rowid) as last from link_clicks").get()?.last ?? 0;
  return { deleted, next: to > last ? null : to };
}

/**
 * Deletes up to `limit` clicks older than `before`, oldest first; returns how many.
 * (Retention: days old. The inbox holds the newest clicks, which it leaves where they are.)
 */
export function deleteClicksBefore(db: Db, before: string, limit: number): number {
  const where = "rowid in (select rowid from link_clicks where clicked_at < ? order by clicked_at limit ?)";
  const deleted = db.$client.transaction(() => {
    uncountClicks(db, where, [before, limit]);
    const deleted = db.$client.query(`delete from link_clicks where ${where}`).run(before, limit).changes;
    clicksDeleted(db);
    return deleted;
  })();
  if (deleted > 0) clicksRewritten(db);
  return deleted;
}

/** The latest of all, when no click bounds it. */
const END_OF_TIME = "9999-12-31T23:59:59.999Z";

/**
 * The latest human click of a link, or of every link of an application, before `before`
 * (or the latest of all), stored or still waiting in the inbox (read where it is, so that
 * no write has to move the inbox first). One statement each: a backwards seek of the
 * link index per link, however many links the application has and however old the click
 * (a late ingested event). Clicks of the same millisecond are ordered by id (time-ordered
 * UUIDs).
 */
export function previousHumanClick(db: Db, of: { trackingId: string } | { applicationId: string }, before?: { clickedAt: string; clickId: string }): string | null {
  const [ofLink, ofApplication] = perDb(db, "previous-human", () => {
    const latest = (scope: string, links: string) =>
      db.$client.query<{ at: string | null }, [string, string, string]>(
        `select max(at) as at from (
           select (select c.clicked_at from link_clicks c
                   where c.tracking_id = l.tracking_id and c.outcome = 'redirected' and c.visitor_kind = 'human'
                     and c.clicked_at <= ?2 and not (c.clicked_at = ?2 and c.click_id >= ?3)
                   order by c.clicked_at desc limit 1) as at
           from ${links} l where ${scope}
           union all
           select max(i.clicked_at) from inbox.click_inbox i
           where i.tracking_id in (select l.tracking_id from ${links} l where ${scope}) and i.outcome = 'redirected' and i.visitor_kind = 'human'
             and i.clicked_at <= ?2 and not (i.clicked_at = ?2 and i.click_id >= ?3))`,
      );
    return [latest("l.tracking_id = ?1", "(select ?1 as tracking_id)"), latest("l.application_id = ?1", "link_tracking")] as const;
  });
  const at = before?.clickedAt ?? END_OF_TIME;
  const id = before?.clickId ?? "";
  const row = "trackingId" in of ? ofLink.get(of.trackingId, at, id) : ofApplication.get(of.applicationId, at, id);
  return row?.at ?? null;
}

/** A link's latest hits of every kind, for the dashboard (no IP). */
export function recentClicksOf(db: Db, trackingId: string, limit: number) {
  return db
    .select({
      clickedAt: linkClicks.clickedAt,
      clickSource: linkClicks.clickSource,
      visitorKind: linkClicks.visitorKind,
      visitorReason: linkClicks.visitorReason,
      browser: linkClicks.browser,
      os: linkClicks.os,
      device: linkClicks.device,
      referrerDomain: linkClicks.referrerDomain,
      country: linkClicks.country,
      asn: linkClicks.asn,
      network: linkClicks.network,
    })
    .from(linkClicks)
    .where(and(eq(linkClicks.trackingId, trackingId), eq(linkClicks.outcome, "redirected")))
    .orderBy(desc(linkClicks.clickedAt))
    .limit(limit)
    .all();
}

/** Redirected clicks of a window with an address, on links of an application, in time order (burst-sweep.ts). */
export function burstCandidates(db: Db, filter: BurstFilter, limit: number) {
  const conditions = ["c.clicked_at >= ?", "c.outcome = 'redirected'", "c.ip_address is not null", "l.application_id is not null"];
  const params: (string | number)[] = [filter.from];
  if (filter.to) {
    conditions.push("c.clicked_at <= ?");
    params.push(filter.to);
  }
  if (filter.applicationIds) {
    conditions.push(`l.application_id in (${filter.applicationIds.map(() => "?").join(", ") || "null"})`);
    params.push(...filter.applicationIds);
  }
  if (filter.ips) {
    conditions.push(`c.ip_address in (${filter.ips.map(() => "?").join(", ") || "null"})`);
    params.push(...filter.ips);
  }
  const order = filter.latest ? "desc" : "asc";
  return db.$client
    .query<{ clickId: string; trackingId: string; applicationId: string; ipAddress: string; clickedAt: string; visitorKind: VisitorKind }, (string | number)[]>(
      `select * from (
         select c.click_id as clickId, c.tracking_id as trackingId, l.application_id as applicationId, c.ip_address as ipAddress,
           c.clicked_at as clickedAt, c.visitor_kind as visitorKind
         from link_clicks c join link_tracking l on l.tracking_id = c.tracking_id
         where ${conditions.join(" and ")}
         order by c.clicked_at ${order}, c.click_id ${order} limit ?)
       order by clickedAt, clickId`,
    )
    .all(...params, limit);
}
