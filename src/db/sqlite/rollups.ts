/**
 * The roll-ups: what the analytics read instead of counting link_clicks (schema.ts), kept
 * here, and only here.
 *   - New clicks are stored described (describe.ts: browser, OS, device, referrer domain,
 *     clicked_at's epoch second): an ingest write describes them as it inserts them, a
 *     move from the inbox right after, in its transaction. They are counted later, many
 *     batches at once (countPending): every row past the `rollups:counted_through` mark,
 *     before any read of clicks (store.ts) and when the server is quiet. A crash leaves
 *     them past the mark, counted at the next chance.
 *   - Changed and deleted clicks are uncounted before the change and counted again after
 *     it (rewriteClicks), in the change's transaction: a reclassification, an attribution,
 *     a place found later, an erasure, retention.
 *   - A click is counted exactly when it is described and at or before the mark
 *     (counted()): rows from before the roll-ups existed are described and counted by the
 *     backfill, a slice at a time, up to the rowid the migration noted.
 */
import type { SQLQueryBindings } from "bun:sqlite";
import { describe } from "../describe";
import type { NewClick } from "../store";
import { VALUE_SEPARATOR } from "../tally-plan";
import { perDb, type Db } from "./index";

/** Whole units since the epoch of clicked_at: quarter-hours, hours, UTC days. */
export const QUARTER_S = 900;
export const HOUR_S = 3600;
export const DAY_S = 86_400;

/**
 * The breakdowns kept: a click has one value of each ('' for none), as SQL on link_clicks
 * (what a period's edges are counted with, tallies.ts) and as the same value from a row.
 */
export const DIMENSIONS = {
  // Source, referrer domain, browser, OS and device together: few combinations, and one row to count instead of five.
  visit:
    "coalesce(click_source, '') || char(31) || referrer_domain || char(31) || coalesce(browser, '') || char(31) || coalesce(os, '') || char(31) || coalesce(device, '')",
  place: "coalesce(country, '') || char(31) || coalesce(cast(asn as text), '') || char(31) || coalesce(network, '')",
} as const;
export type Dimension = keyof typeof DIMENSIONS;

/** The columns of a click the roll-ups count it by. */
type Counted = {
  tracking_id: string;
  clicked_at: string;
  clicked_epoch: number;
  visitor_kind: string;
  outcome: string;
  session_id: string | null;
  click_source: string | null;
  referrer_domain: string;
  browser: string | null;
  os: string | null;
  device: string | null;
  country: string | null;
  asn: number | null;
  network: string | null;
};
const COUNTED_COLUMNS = "tracking_id, clicked_at, clicked_epoch, visitor_kind, outcome, session_id, click_source, referrer_domain, browser, os, device, country, asn, network";

const or = (v: string | number | null) => (v === null ? "" : String(v));
const VALUE_OF: Record<Dimension, (c: Counted) => string> = {
  visit: (c) => [or(c.click_source), c.referrer_domain, or(c.browser), or(c.os), or(c.device)].join(VALUE_SEPARATOR),
  place: (c) => [or(c.country), or(c.asn), or(c.network)].join(VALUE_SEPARATOR),
};
const DIMENSION_NAMES = Object.keys(DIMENSIONS) as Dimension[];

/**
 * Breakdowns across every link are kept for places only: the overview shows no other
 * (each kept breakdown costs every click a row to count).
 */
export const ALL_LINK_DIMENSIONS: Dimension[] = ["place"];

/**
 * A roll-up: its key columns (visitor_kind and outcome follow), each key a click counts in
 * (`application`: its link's), and (`add`) how clicks are added to a key where more than
 * its row follows from them.
 */
type Rollup = {
  table: string;
  columns: string[];
  keys: (c: Counted, application: (trackingId: string) => string | null) => (string | number)[][];
  add?: (db: Db, key: (string | number)[], clicks: number) => void;
};

const unit = (c: Counted, seconds: number) => Math.floor(c.clicked_epoch / seconds);
// Key columns in each table's primary key order: a batch's groups are upserted in that
// order, so that they walk the table's b-tree once instead of jumping about in it.
const ROLLUPS: Rollup[] = [
  { table: "click_daily", columns: ["day", "tracking_id"], keys: (c) => [[c.clicked_at.slice(0, 10), c.tracking_id]] },
  { table: "click_hours", columns: ["tracking_id", "hour"], keys: (c) => [[c.tracking_id, unit(c, HOUR_S)]] },
  { table: "click_quarters", columns: ["tracking_id", "quarter"], keys: (c) => [[c.tracking_id, unit(c, QUARTER_S)]] },
  { table: "click_quarters_all", columns: ["quarter"], keys: (c) => [[unit(c, QUARTER_S)]] },
  {
    table: "click_dimensions",
    columns: ["tracking_id", "dimension", "day", "value"],
    keys: (c) => DIMENSION_NAMES.map((d) => [c.tracking_id, d, unit(c, DAY_S), VALUE_OF[d](c)]),
  },
  { table: "click_dimensions_daily", columns: ["dimension", "day", "value"], keys: (c) => ALL_LINK_DIMENSIONS.map((d) => [d, unit(c, DAY_S), VALUE_OF[d](c)]) },
  { table: "click_dimensions_hourly", columns: ["dimension", "hour", "value"], keys: (c) => ALL_LINK_DIMENSIONS.map((d) => [d, unit(c, HOUR_S), VALUE_OF[d](c)]) },
  { table: "click_sessions", columns: ["tracking_id", "day", "session_id"], keys: (c) => (c.session_id === null ? [] : [[c.tracking_id, unit(c, DAY_S), c.session_id]]) },
  {
    // A recruiter's visits of an application: human and redirected only, under the link's application now.
    table: "application_sessions",
    columns: ["application_id", "session_id", "day"],
    keys: (c, application) => {
      if (c.session_id === null || c.visitor_kind !== "human" || c.outcome !== "redirected") return [];
      const id = application(c.tracking_id);
      return id === null ? [] : [[id, c.session_id, unit(c, DAY_S)]];
    },
    add: (db, [applicationId, sessionId, day], clicks) => countSession(db, String(applicationId), String(sessionId), Number(day), clicks),
  },
];

const applicationStatements = (db: Db) =>
  perDb(db, "rollups:applications", () => ({
    day: db.$client.prepare<{ clicks: number }, [string, string, number, number]>(
      `insert into main.application_sessions (application_id, session_id, day, visitor_kind, outcome, clicks) values (?, ?, ?, 'human', 'redirected', ?)
       on conflict (application_id, session_id, day, visitor_kind, outcome) do update set clicks = clicks + excluded.clicks returning clicks`,
    ),
    visitor: db.$client.prepare<{ visits: number }, [string, string, number]>(
      `insert into main.application_visitors (application_id, session_id, visits) values (?, ?, ?)
       on conflict (application_id, session_id) do update set visits = visits + excluded.visits returning visits`,
    ),
    counts: db.$client.prepare<unknown, [string, number, number, number]>(
      `insert into main.application_counts (application_id, visitors, visits, clicks) values (?, ?, ?, ?)
       on conflict (application_id) do update set visitors = visitors + excluded.visitors, visits = visits + excluded.visits, clicks = clicks + excluded.clicks`,
    ),
  }));

const above = (n: number) => (n > 0 ? 1 : 0);

/**
 * Adds `clicks` (fewer, when below 0) to an application's session on a UTC day, and what
 * that changes: a visit is a day of the session with clicks, a visitor a session with a
 * visit. So the application's counts (application_counts) stay what a count of its
 * sessions' rows would give, one row an application.
 */
function countSession(db: Db, applicationId: string, sessionId: string, day: number, clicks: number): void {
  const s = applicationStatements(db);
  const now = s.day.get(applicationId, sessionId, day, clicks)!.clicks;
  const visits = above(now) - above(now - clicks);
  let visitors = 0;
  if (visits !== 0) {
    const v = s.visitor.get(applicationId, sessionId, visits)!.visits;
    visitors = above(v) - above(v - visits);
  }
  s.counts.run(applicationId, visitors, visits, clicks);
}

const byKey = (a: (string | number)[], b: (string | number)[]) => {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
};

const upserts = (db: Db) =>
  perDb(db, "rollups:upserts", () =>
    ROLLUPS.map((r) => {
      const columns = [...r.columns, "visitor_kind", "outcome"];
      return db.$client.prepare<unknown, SQLQueryBindings[]>(
        `insert into main.${r.table} (${columns.join(", ")}, clicks) values (${columns.map(() => "?").join(", ")}, ?)
         on conflict (${columns.join(", ")}) do update set clicks = clicks + excluded.clicks`,
      );
    }),
  );

/**
 * Adds `sign` × these clicks to every roll-up: summed here by key first, so that each
 * group a batch touches costs one upsert (a batch's clicks share their hours and days).
 */
function countRows(db: Db, rows: Counted[], sign: 1 | -1): void {
  if (rows.length === 0) return;
  const statements = upserts(db);
  const applications = new Map<string, string | null>();
  const ofLink = applicationOfLink(db);
  const application = (trackingId: string) => {
    let id = applications.get(trackingId);
    if (id === undefined) applications.set(trackingId, (id = ofLink.get(trackingId)?.id ?? null));
    return id;
  };
  ROLLUPS.forEach((r, i) => {
    const keys: (string | number)[][] = [];
    for (const c of rows) for (const key of r.keys(c, application)) keys.push(key.concat(c.visitor_kind, c.outcome));
    keys.sort(byKey);
    // Equal keys are next to each other now: each group is upserted once, in key order.
    for (let at = 0; at < keys.length; ) {
      let end = at + 1;
      while (end < keys.length && byKey(keys[at], keys[end]) === 0) end++;
      if (r.add) r.add(db, keys[at], sign * (end - at));
      else statements[i].run(...keys[at], sign * (end - at));
      at = end;
    }
  });
}

const applicationOfLink = (db: Db) =>
  perDb(db, "rollups:application", () => db.$client.prepare<{ id: string | null }, [string]>("select application_id as id from main.link_tracking where tracking_id = ?"));

/**
 * A link goes from application `from` to `to` (either null for none): its counted
 * sessions (click_sessions, exact per link, session and day) leave the one and join the
 * other in application_sessions, in the caller's transaction. Clicks not counted yet are
 * counted under the link's application of that moment.
 */
export function moveApplicationSessions(db: Db, trackingId: string, from: string | null, to: string | null): void {
  if (from === to) return;
  const sessions = db.$client
    .query<{ sessionId: string; day: number; clicks: number }, [string]>(
      "select session_id as sessionId, day, clicks from main.click_sessions where tracking_id = ? and visitor_kind = 'human' and outcome = 'redirected' and clicks <> 0",
    )
    .all(trackingId);
  for (const { sessionId, day, clicks } of sessions) {
    if (from !== null) countSession(db, from, sessionId, day, -clicks);
    if (to !== null) countSession(db, to, sessionId, day, clicks);
  }
}

/**
 * Which rows are counted: described (clicked_epoch set) and at or before the rowid the
 * roll-ups have counted through. New clicks (ingested, moved from the inbox) are stored
 * described and counted later, many batches at once (countPending): before any read, and
 * in the background when the server is quiet.
 */
const THROUGH_KEY = "rollups:counted_through";
export const counted = (alias = "") =>
  `${alias}clicked_epoch is not null and ${alias}rowid <= (select cast(value as integer) from main.settings where key = '${THROUGH_KEY}')`;

/** Adds `sign` × the counted clicks `where` matches (SQL on link_clicks, with its parameters) to every roll-up. */
function count(db: Db, where: string, params: SQLQueryBindings[], sign: 1 | -1): void {
  const rows = db.$client
    .query<Counted, SQLQueryBindings[]>(`select ${COUNTED_COLUMNS} from main.link_clicks where (${where}) and ${counted()}`)
    .all(...params);
  countRows(db, rows, sign);
}

const describeStatements = (db: Db) =>
  perDb(db, "rollups:describe", () => ({
    last: db.$client.prepare<{ rowid: number | null }, []>("select max(rowid) as rowid from main.link_clicks"),
    undescribed: db.$client.prepare<Undescribed, [number]>(
      `select rowid, user_agent, referrer_url, ${COUNTED_COLUMNS} from main.link_clicks where rowid > ? and referrer_domain is null order by rowid`,
    ),
    set: db.$client.prepare<unknown, [string | null, string | null, string | null, string, number, number]>(
      "update main.link_clicks set browser = ?, os = ?, device = ?, referrer_domain = ?, clicked_epoch = ? where rowid = ?",
    ),
  }));

type Undescribed = Counted & { rowid: number; user_agent: string | null; referrer_url: string | null };

/** Describes these clicks (not described yet), in the rows and in link_clicks. */
function describeRows(db: Db, rows: Undescribed[]): void {
  const s = describeStatements(db);
  for (const row of rows) {
    const d = describe(row.user_agent, row.referrer_url);
    row.browser = d.browser;
    row.os = d.os;
    row.device = d.device;
    row.referrer_domain = d.referrerDomain;
    row.clicked_epoch = Math.floor(Date.parse(row.clicked_at) / 1000);
    s.set.run(d.browser, d.os, d.device, d.referrerDomain, row.clicked_epoch, row.rowid);
  }
}

/** The described columns of a new click, as link_clicks stores them (clicks.ts inserts them with the click). */
export const DESCRIBED_COLUMNS = ["browser", "os", "device", "referrer_domain", "clicked_epoch"] as const;

export function describedValues(c: NewClick): [string | null, string | null, string | null, string, number] {
  const d = describe(c.userAgent, c.referrerUrl);
  return [d.browser, d.os, d.device, d.referrerDomain, Math.floor(Date.parse(c.clickedAt) / 1000)];
}

/** The last rowid of link_clicks now: what describeAdded describes from. */
export const lastClickRowid = (db: Db): number => describeStatements(db).last.get()?.rowid ?? 0;

/** Describes the clicks inserted since `afterRowid` without a description (moved from the inbox), in the inserting transaction. */
export function describeAdded(db: Db, afterRowid: number): void {
  describeRows(db, describeStatements(db).undescribed.all(afterRowid));
}

const pendingStatements = (db: Db) =>
  perDb(db, "rollups:pending", () => ({
    through: db.$client.prepare<{ n: number }, []>(`select cast(value as integer) as n from main.settings where key = '${THROUGH_KEY}'`),
    pending: db.$client.prepare<Undescribed, [number, number]>(
      `select rowid, user_agent, referrer_url, ${COUNTED_COLUMNS} from main.link_clicks where rowid > ? order by rowid limit ?`,
    ),
    set: db.$client.prepare<unknown, [number]>(`update main.settings set value = ? where key = '${THROUGH_KEY}'`),
  }));

/** Clicks countPending counts in one transaction: about 40 ms of the writer, which a first human click may wait behind. */
export const PENDING_SLICE = 1000;

/**
 * Counts the clicks stored since the roll-ups last counted, the oldest `limit` (in one transaction: the
 * (in one transaction: the caller's, or its own); how many. Many ingest batches counted
 * together cost one upsert a group they share.
 */
export function countPending(db: Db, limit = PENDING_SLICE): number {
  const run = () => {
    const s = pendingStatements(db);
    const through = s.through.get()?.n ?? 0;
    const rows = s.pending.all(through, limit);
    if (rows.length === 0) return 0;
    describeRows(db, rows.filter((r) => r.clicked_epoch === null));
    countRows(db, rows, 1);
    s.set.run(rows.at(-1)!.rowid);
    return rows.length;
  };
  return db.$client.inTransaction ? run() : db.$client.transaction(run).immediate();
}

/** Whether clicks wait to be counted (one indexed read). */
export function hasPending(db: Db): boolean {
  const s = pendingStatements(db);
  return db.$client.query<{ one: number }, [number]>("select 1 as one from main.link_clicks where rowid > ? limit 1").get(s.through.get()?.n ?? 0) !== null;
}

/**
 * After clicks were deleted: the rowids past the last remaining one may be given again,
 * to new clicks, which must not pass for counted ones.
 */
export function clicksDeleted(db: Db): void {
  db.$client.run(`update main.settings set value = min(cast(value as integer), coalesce((select max(rowid) from main.link_clicks), 0)) where key = '${THROUGH_KEY}'`);
}

/** Before deleting the clicks `where` matches: they are uncounted. */
export function uncountClicks(db: Db, where: string, params: SQLQueryBindings[]): void {
  count(db, where, params, -1);
}

const THESE_ROWS = "rowid in (select value from json_each(?))";

/**
 * Changes the clicks `where` matches with `change` (which gets the same rows as a JSON
 * array of rowids to write its UPDATE against): they are uncounted, changed, and counted
 * again as they are after. Returns what `change` returns.
 */
export function rewriteClicks<T>(db: Db, where: string, params: SQLQueryBindings[], change: (rowids: string) => T): T {
  const rowids = JSON.stringify(
    db.$client
      .query<{ rowid: number }, SQLQueryBindings[]>(`select rowid from main.link_clicks where ${where}`)
      .all(...params)
      .map((r) => r.rowid),
  );
  count(db, THESE_ROWS, [rowids], -1);
  const result = change(rowids);
  count(db, THESE_ROWS, [rowids], 1);
  return result;
}

/**
 * Backfill: counts, a slice at a time, the clicks up to the rowid a migration (or
 * treatAsUpgraded) noted that are not counted yet. It walks the per-link index (link, then
 * time), so that a slice's clicks share their links and days: each group it adds to is
 * one upsert, and the per-link roll-ups are written in their own order.
 */
const BACKFILL_KEY = "rollups:backfill";
/** `after`: the index position (tracking_id, clicked_at, outcome, visitor_kind, rowid) walked up to. */
type Backfill = { up_to: number; after?: [string, string, string, string, number] };

export function backfillState(db: Db): Backfill | null {
  const row = db.$client.query<{ value: string }, [string]>("select value from main.settings where key = ?").get(BACKFILL_KEY);
  return row ? (JSON.parse(row.value) as Backfill) : null;
}

/**
 * Leaves the database as migration 0014 leaves one that had clicks: counted through its
 * last click, every click not counted yet the backfill's (a test's older database).
 */
export function treatAsUpgraded(db: Db): void {
  db.$client.run(`update main.settings set value = coalesce((select max(rowid) from main.link_clicks), 0) where key = '${THROUGH_KEY}'`);
  db.$client.run(
    `insert into main.settings (key, value) select ?, json_object('up_to', max(rowid)) from main.link_clicks where true having count(*) > 0
     on conflict (key) do update set value = excluded.value`,
    [BACKFILL_KEY],
  );
}

/**
 * How long one backfill transaction may hold the main database's lock: a redirect whose
 * click carries a signal (a link's first human click) waits for it. A slice counts chunks
 * of clicks until the time is up.
 */
export const BACKFILL_SLICE_MS = 50;
const BACKFILL_CHUNK = 2000;

const walk = (db: Db) =>
  perDb(db, "rollups:walk", () => {
    const columns = `rowid, user_agent, referrer_url, ${COUNTED_COLUMNS}`;
    return {
      first: db.$client.prepare<Undescribed, [number]>(
        `select ${columns} from main.link_clicks indexed by link_clicks_tracking_clicked_idx
         where rowid <= ? order by tracking_id, clicked_at, outcome, visitor_kind, rowid limit ${BACKFILL_CHUNK}`,
      ),
      next: db.$client.prepare<Undescribed, [string, string, string, string, number, number]>(
        `select ${columns} from main.link_clicks indexed by link_clicks_tracking_clicked_idx
         where (tracking_id, clicked_at, outcome, visitor_kind, rowid) > (?, ?, ?, ?, ?) and rowid <= ?
         order by tracking_id, clicked_at, outcome, visitor_kind, rowid limit ${BACKFILL_CHUNK}`,
      ),
    };
  });

/** One slice of the backfill, in its own transaction; how many clicks it counted, or null when nothing is left to do. */
export function backfillSlice(db: Db, budgetMs = BACKFILL_SLICE_MS): number | null {
  return db.$client.transaction((): number | null => {
    const state = backfillState(db);
    if (!state) return null;
    const deadline = performance.now() + budgetMs;
    const w = walk(db);
    // Rows past the counted-through mark are countPending's (clicks stored since, or written by SQL).
    const upTo = Math.min(state.up_to, pendingStatements(db).through.get()?.n ?? 0);
    let after = state.after;
    let total = 0;
    for (;;) {
      const rows = after ? w.next.all(...after, upTo) : w.first.all(upTo);
      if (rows.length === 0) {
        db.$client.run("delete from main.settings where key = ?", [BACKFILL_KEY]);
        return total;
      }
      const last = rows.at(-1)!;
      after = [last.tracking_id, last.clicked_at, last.outcome, last.visitor_kind, last.rowid];
      // Only rows not described yet: a row counted when it was written is not counted twice.
      const undescribed = rows.filter((r) => r.clicked_epoch === null);
      describeRows(db, undescribed);
      countRows(db, undescribed, 1);
      total += undescribed.length;
      if (performance.now() >= deadline) break;
    }
    db.$client.run("update main.settings set value = ? where key = ?", [JSON.stringify({ ...state, after }), BACKFILL_KEY]);
    return total;
  }).immediate();
}
