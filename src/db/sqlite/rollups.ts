/**
 * The roll-ups: what the analytics read instead of counting link_clicks (schema.ts), kept
 * here, and only here, by every change to link_clicks, in that change's transaction.
 *   - New clicks (an ingest write, a move from the inbox) are described (describe.ts:
 *     browser, OS, device, referrer domain) and counted from the rows really added:
 *     link_clicks is a rowid table, so they are the rows past its last rowid before the
 *     insert (a duplicate that was not inserted is not counted).
 *   - Changed and deleted clicks are uncounted before the change and counted again after
 *     it (rewrite): a reclassification, an attribution, a place found later, an erasure.
 *   - A click is counted exactly when it is described (referrer_domain is not NULL): rows
 *     from before the roll-ups existed, or written by SQL, are described and counted by
 *     the backfill, a slice at a time, up to the rowid noted when it was asked for.
 */
import type { SQLQueryBindings } from "bun:sqlite";
import { describe } from "../describe";
import { perDb, type Db } from "./index";

/** Whole units since the epoch of clicked_at: quarter-hours, hours, UTC days. */
export const QUARTER_S = 900;
export const HOUR_S = 3600;
export const DAY_S = 86_400;
const unit = (seconds: number) => `(unixepoch(clicked_at) / ${seconds})`;

/** The breakdowns kept: a click has one value of each ('' for none). */
export const DIMENSIONS = {
  source: "coalesce(click_source, '')",
  referrer: "referrer_domain",
  agent: "coalesce(browser, '') || char(31) || coalesce(os, '') || char(31) || coalesce(device, '')",
  place: "coalesce(country, '') || char(31) || coalesce(cast(asn as text), '') || char(31) || coalesce(network, '')",
} as const;
export type Dimension = keyof typeof DIMENSIONS;
export const VALUE_SEPARATOR = "\u001f";

const dimensionValue = `case d.dimension ${Object.entries(DIMENSIONS)
  .map(([name, expr]) => `when '${name}' then ${expr}`)
  .join(" ")} end`;
const EACH_DIMENSION = `cross join (${Object.keys(DIMENSIONS)
  .map((name, i) => (i === 0 ? `select '${name}' as dimension` : `select '${name}'`))
  .join(" union all ")}) d`;

type Rollup = { table: string; keys: [string, string][]; join?: string; where?: string };

const ROLLUPS: Rollup[] = [
  { table: "click_daily", keys: [["day", "substr(clicked_at, 1, 10)"], ["tracking_id", "tracking_id"]] },
  { table: "click_quarters", keys: [["tracking_id", "tracking_id"], ["quarter", unit(QUARTER_S)]] },
  { table: "click_quarters_all", keys: [["quarter", unit(QUARTER_S)]] },
  {
    table: "click_dimensions",
    keys: [["tracking_id", "tracking_id"], ["dimension", "d.dimension"], ["day", unit(DAY_S)], ["value", dimensionValue]],
    join: EACH_DIMENSION,
  },
  { table: "click_dimensions_daily", keys: [["dimension", "d.dimension"], ["day", unit(DAY_S)], ["value", dimensionValue]], join: EACH_DIMENSION },
  { table: "click_dimensions_hourly", keys: [["dimension", "d.dimension"], ["hour", unit(HOUR_S)], ["value", dimensionValue]], join: EACH_DIMENSION },
  { table: "click_sessions", keys: [["tracking_id", "tracking_id"], ["day", unit(DAY_S)], ["session_id", "session_id"]], where: "session_id is not null" },
];

/** The statements that add `sign` × the clicks `where` matches (SQL on link_clicks) to every roll-up. */
function counters(db: Db, where: string) {
  return perDb(db, `rollups:${where}`, () =>
    ROLLUPS.map((r) => {
      const columns = [...r.keys.map(([c]) => c), "visitor_kind", "outcome"];
      const exprs = [...r.keys.map(([, e]) => e), "visitor_kind", "outcome"];
      return db.$client.prepare(
        `insert into main.${r.table} (${columns.join(", ")}, clicks)
         select ${exprs.join(", ")}, ? * count(*) from main.link_clicks ${r.join ?? ""}
         where (${where}) and referrer_domain is not null${r.where ? ` and ${r.where}` : ""}
         group by ${exprs.map((_, i) => i + 1).join(", ")}
         on conflict (${columns.join(", ")}) do update set clicks = clicks + excluded.clicks`,
      );
    }),
  );
}

function count(db: Db, where: string, params: SQLQueryBindings[], sign: 1 | -1): void {
  for (const statement of counters(db, where)) statement.run(sign, ...params);
}

const describeStatements = (db: Db) =>
  perDb(db, "rollups:describe", () => ({
    last: db.$client.prepare<{ rowid: number | null }, []>("select max(rowid) as rowid from main.link_clicks"),
    undescribed: db.$client.prepare<{ rowid: number; user_agent: string | null; referrer_url: string | null }, [number, number, number]>(
      "select rowid, user_agent, referrer_url from main.link_clicks where rowid > ? and rowid <= ? and referrer_domain is null order by rowid limit ?",
    ),
    set: db.$client.prepare<unknown, [string | null, string | null, string | null, string, number]>(
      "update main.link_clicks set browser = ?, os = ?, device = ?, referrer_domain = ? where rowid = ?",
    ),
  }));

/** Describes the clicks of (after, upTo] not described yet, at most `limit`, in rowid order; their rowids. */
function describeRows(db: Db, after: number, upTo: number, limit: number): number[] {
  const s = describeStatements(db);
  const rows = s.undescribed.all(after, upTo, limit);
  for (const row of rows) {
    const d = describe(row.user_agent, row.referrer_url);
    s.set.run(d.browser, d.os, d.device, d.referrerDomain, row.rowid);
  }
  return rows.map((r) => r.rowid);
}

const THESE_ROWS = "rowid in (select value from json_each(?))";

/** The last rowid of link_clicks now: what countAddedClicks counts from. */
export const lastClickRowid = (db: Db): number => describeStatements(db).last.get()?.rowid ?? 0;

/** Describes and counts the clicks inserted since `afterRowid` (in the inserting transaction). */
export function countAddedClicks(db: Db, afterRowid: number): void {
  if (describeRows(db, afterRowid, Number.MAX_SAFE_INTEGER, -1).length === 0) return;
  count(db, "rowid > ?", [afterRowid], 1);
}

/** Before deleting the clicks `where` matches: they are uncounted. */
export function uncountClicks(db: Db, where: string, params: SQLQueryBindings[]): void {
  count(db, where, params, -1);
}

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
 * requestBackfill) noted, in rowid order; true while some are left.
 */
const BACKFILL_KEY = "rollups:backfill";
type Backfill = { up_to: number; done: number };

export function backfillState(db: Db): Backfill | null {
  const row = db.$client.query<{ value: string }, [string]>("select value from main.settings where key = ?").get(BACKFILL_KEY);
  return row ? (JSON.parse(row.value) as Backfill) : null;
}

/** Asks for every click not counted yet to be counted (clicks written into link_clicks by SQL). */
export function requestBackfill(db: Db): void {
  db.$client.run(
    `insert into main.settings (key, value) select ?, json_object('up_to', max(rowid), 'done', 0) from main.link_clicks having count(*) > 0
     on conflict (key) do update set value = json_object('up_to', max(json_extract(value, '$.up_to'), json_extract(excluded.value, '$.up_to')), 'done', 0)`,
    [BACKFILL_KEY],
  );
}

export const BACKFILL_SLICE = 2000;

/** One slice of the backfill, in its own transaction; how many clicks it counted, or null when nothing is left to do. */
export function backfillSlice(db: Db, limit = BACKFILL_SLICE): number | null {
  return db.$client.transaction((): number | null => {
    const state = backfillState(db);
    if (!state) return null;
    const rowids = describeRows(db, state.done, state.up_to, limit);
    if (rowids.length === 0) {
      db.$client.run("delete from main.settings where key = ?", [BACKFILL_KEY]);
      return null;
    }
    // Only the rows described here: a row counted when it was written is not counted twice.
    count(db, THESE_ROWS, [JSON.stringify(rowids)], 1);
    db.$client.run("update main.settings set value = ? where key = ?", [JSON.stringify({ ...state, done: rowids.at(-1) }), BACKFILL_KEY]);
    return rowids.length;
  }).immediate();
}
