/**
 * The analytics' counts, read from the roll-ups (rollups.ts), never by counting a
 * period's clicks. A period [from, to] is cut where its grains allow: whole UTC days from
 * the daily roll-ups, the hours or quarter-hours left at its ends from the finer ones,
 * and only the pieces shorter than a quarter-hour (or, for one link's breakdowns, than a
 * day) from link_clicks itself, by its time indexes. So a read costs what the answer and
 * its edges hold, whatever the number of clicks. Only clicks counted in the roll-ups are
 * counted here (referrer_domain set: see rollups.ts), so an answer never mixes the two.
 */
import type { SQLQueryBindings } from "bun:sqlite";
import { dayRuns, localDay } from "../../lib/zone";
import type { ClickFilter, CountDimension, Period, VisitorKind } from "../store";
import type { Db } from "./index";
import { cut, DAY_MS, HOUR_MS, keptFor, QUARTER_MS, rangeOf, shownFrom, split, type Piece, type Range as PlanRange } from "../tally-plan";
import { ALL_LINK_DIMENSIONS, counted, DIMENSIONS, type Dimension } from "./rollups";

type Range = PlanRange;
const iso = (ms: number) => new Date(ms).toISOString();

/** A WHERE in parts: its SQL and parameters. */
class Where {
  readonly parts: string[] = [];
  readonly params: SQLQueryBindings[] = [];
  add(sql: string, ...params: SQLQueryBindings[]): this {
    this.parts.push(sql);
    this.params.push(...params);
    return this;
  }
  in(column: string, values: readonly string[] | undefined): this {
    if (values) this.add(`${column} in (${values.map(() => "?").join(", ") || "null"})`, ...values);
    return this;
  }
  get sql(): string {
    return this.parts.join(" and ") || "1";
  }
}

/** A filter of clicks; orphan hits (not_found) are counted only when asked for. */
type Filter = ClickFilter & { anyOutcome?: boolean };

/** Conditions every grain shares: links, kinds, redirected only. */
function common(f: Filter, links = true): Where {
  const w = new Where().in("visitor_kind", f.kinds);
  if (!f.anyOutcome) w.add("outcome = 'redirected'");
  return links ? w.in("tracking_id", f.trackingIds) : w;
}

const raw = (f: Filter, r: Range) => common(f).add(counted()).add("clicked_at >= ? and clicked_at < ?", iso(r.from), iso(r.to));
const units = (f: Filter, column: string, r: Range, unitMs: number, links = true) =>
  common(f, links).add(`${column} >= ? and ${column} < ?`, r.from / unitMs, r.to / unitMs);
const days = (f: Filter, r: Range) => common(f).add("day >= ? and day < ?", iso(r.from).slice(0, 10), iso(r.to).slice(0, 10));

/**
 * Rows of (group, clicks) from every grain that covers part of the range, to be summed:
 * `grains` lists, coarsest first, the roll-up and its unit; `expr` gives the grouped
 * expression in each (or in link_clicks, for the raw pieces).
 */
function pieces(
  f: Filter,
  r: Range,
  grains: { table: string; column: string; unitMs: number; where?: (w: Where) => Where; links?: boolean }[],
  expr: (table: string) => string,
  rawWhere?: (w: Where) => Where,
  skipRaw = false,
): { sql: string; params: SQLQueryBindings[]; raw: Piece[] } {
  const selects: string[] = [];
  const params: SQLQueryBindings[] = [];
  const { whole, left } = cut(r, grains);
  for (const { grain: g, range, sign } of whole) {
    let w = g.column === "day" && g.table === "click_daily" ? days(f, range) : units(f, g.column, range, g.unitMs, g.links ?? true);
    if (g.where) w = g.where(w);
    selects.push(`select ${expr(g.table)} as g, ${sign === 1 ? "" : "-"}clicks as clicks from ${g.table} where ${w.sql}`);
    params.push(...w.params);
  }
  for (const piece of skipRaw ? [] : left) {
    let w = raw(f, piece);
    if (rawWhere) w = rawWhere(w);
    selects.push(`select ${expr("link_clicks")} as g, ${piece.sign} as clicks from link_clicks where ${w.sql}`);
    params.push(...w.params);
  }
  return { sql: selects.join(" union all ") || "select null as g, 0 as clicks where 0", params, raw: left };
}

/** The pieces' rows summed by group; those of no clicks left out, unless `all` (a part of a sum, which may be less than nothing). */
function summed(db: Db, p: { sql: string; params: SQLQueryBindings[] }, all = false): { g: string | null; clicks: number }[] {
  return db.$client
    .query<{ g: string | null; clicks: number }, SQLQueryBindings[]>(`select g, sum(clicks) as clicks from (${p.sql}) group by g ${all ? "" : "having sum(clicks) > 0"}`)
    .all(...p.params);
}

/** The grains of counts: per link (some links, or each link of a period), or every link's together. */
function countGrains(perLink: boolean) {
  return perLink
    ? [
        { table: "click_daily", column: "day", unitMs: DAY_MS },
        { table: "click_hours", column: "hour", unitMs: HOUR_MS },
        { table: "click_quarters", column: "quarter", unitMs: QUARTER_MS },
      ]
    : [{ table: "click_quarters_all", column: "quarter", unitMs: QUARTER_MS }];
}

/** Clicks by visitor kind. */
export function kindCounts(db: Db, f: ClickFilter): { kind: VisitorKind; clicks: number }[] {
  return summed(db, pieces(f, rangeOf(f), countGrains(!!f.trackingIds), () => "visitor_kind")).map((r) => ({ kind: r.g as VisitorKind, clicks: r.clicks }));
}

/**
 * The raw values of some breakdowns (rollups.ts DIMENSIONS), each summed by value: the
 * roll-ups' whole units one breakdown at a time, the period's edges from link_clicks in
 * one pass for all of them (a link's edge can be a day of its clicks).
 */
function dimensions(db: Db, f: ClickFilter, ds: Dimension[]): Map<Dimension, { g: string | null; clicks: number }[]> {
  const totals = new Map(ds.map((d) => [d, new Map<string | null, number>()]));
  const add = (d: Dimension, g: string | null, n: number) => totals.get(d)!.set(g, (totals.get(d)!.get(g) ?? 0) + n);
  // Breakdowns cut at the same edges have those edges read from link_clicks in one pass.
  const byEdges = new Map<string, { edges: Piece[]; ds: Dimension[] }>();
  for (const d of ds) {
    const only = (w: Where) => w.add("dimension = ?", d);
    // Across every link, from the all-link roll-ups where they keep this breakdown (otherwise every link's, summed).
    const grains =
      f.trackingIds || !ALL_LINK_DIMENSIONS.includes(d)
        ? [{ table: "click_dimensions", column: "day", unitMs: DAY_MS, where: only }]
        : [
            { table: "click_dimensions_daily", column: "day", unitMs: DAY_MS, where: only, links: false },
            { table: "click_dimensions_hourly", column: "hour", unitMs: HOUR_MS, where: only, links: false },
          ];
    const p = pieces(f, rangeOf(f), grains, () => "value", undefined, true);
    for (const r of summed(db, p, true)) add(d, r.g, r.clicks);
    const key = JSON.stringify(p.raw);
    const group = byEdges.get(key) ?? { edges: p.raw, ds: [] };
    group.ds.push(d);
    byEdges.set(key, group);
  }
  for (const { edges, ds: these } of byEdges.values()) {
    for (const piece of edges) {
      const w = raw(f, piece);
      const rows = db.$client
        .query<Record<string, string | null> & { n: number }, SQLQueryBindings[]>(
          `select ${these.map((d) => `${DIMENSIONS[d]} as "${d}"`).join(", ")}, count(*) as n from link_clicks where ${w.sql} group by ${these.map((_, i) => i + 1).join(", ")}`,
        )
        .all(...w.params);
      for (const r of rows) for (const d of these) add(d, r[d], piece.sign * r.n);
    }
  }
  return new Map([...totals].map(([d, m]) => [d, [...m].filter(([, n]) => n > 0).map(([g, clicks]) => ({ g, clicks }))]));
}

/**
 * Clicks by some breakdowns at once, each largest first; null where the click has no
 * value. By "network", the value is "<asn> <organisation>".
 */
export function breakdowns(db: Db, f: ClickFilter, by: CountDimension[]): Partial<Record<CountDimension, { value: string | null; clicks: number }[]>> {
  return shownFrom(by, dimensions(db, f, keptFor(by)), by.includes("kind") ? kindCounts(db, f) : null);
}

/** Clicks by one breakdown (see breakdowns). */
export const countsBy = (db: Db, f: ClickFilter, by: CountDimension) => breakdowns(db, f, [by])[by]!;

/** Distinct sessions: the whole days' from click_sessions, the rest from link_clicks, as one set. */
export function sessions(db: Db, f: ClickFilter): number {
  const p = pieces(
    f,
    rangeOf(f),
    [{ table: "click_sessions", column: "day", unitMs: DAY_MS }],
    () => "session_id",
    (w) => w.add("session_id is not null"),
  );
  // A session whose clicks were all uncounted (deleted, reclassified) keeps a row of 0.
  return db.$client.query<{ n: number }, SQLQueryBindings[]>(`select count(*) as n from (select g from (${p.sql}) group by g having sum(clicks) > 0)`).get(...p.params)?.n ?? 0;
}

/** The first and last counted click of one link in the range: the quarter-hour that holds it, then the click in it. */
export function span(db: Db, f: ClickFilter & { trackingIds: [string] }): { first: string | null; last: string | null } {
  const r = rangeOf(f);
  const { inner, outer } = split(r, QUARTER_MS);
  const before = outer.filter((o) => !inner || o.from < inner.from);
  const after = outer.filter((o) => inner && o.from >= inner.to);
  const rawEnd = (piece: Range, order: "asc" | "desc") => {
    const w = raw(f, piece);
    return db.$client.query<{ at: string }, SQLQueryBindings[]>(`select clicked_at as at from link_clicks where ${w.sql} order by clicked_at ${order} limit 1`).get(...w.params)?.at ?? null;
  };
  const quarterEnd = (order: "asc" | "desc") => {
    if (!inner) return null;
    const w = units(f, "quarter", inner, QUARTER_MS).add("clicks > 0");
    const q = db.$client.query<{ q: number }, SQLQueryBindings[]>(`select quarter as q from click_quarters where ${w.sql} order by quarter ${order} limit 1`).get(...w.params)?.q;
    return q === undefined ? null : rawEnd({ from: q * QUARTER_MS, to: (q + 1) * QUARTER_MS }, order);
  };
  const firstOf = (list: (() => string | null)[]) => {
    for (const get of list) {
      const at = get();
      if (at !== null) return at;
    }
    return null;
  };
  return {
    first: firstOf([...before.map((p) => () => rawEnd(p, "asc")), () => quarterEnd("asc"), ...after.map((p) => () => rawEnd(p, "asc"))]),
    last: firstOf([...after.map((p) => () => rawEnd(p, "desc")), () => quarterEnd("desc"), ...before.map((p) => () => rawEnd(p, "desc"))]),
  };
}

/**
 * Clicks per day of the zone `tz` and kind, over the filter's range (which must have both
 * ends): whole quarter-hours from the roll-ups, summed into the zone's days run by run;
 * the minutes left at the range's ends from link_clicks.
 */
export function perDay(db: Db, f: ClickFilter & { from: string; to: string }, tz: string): { day: string; kind: VisitorKind; clicks: number }[] {
  const r = rangeOf(f);
  const { inner, outer } = split(r, QUARTER_MS);
  const table = f.trackingIds ? "click_quarters" : "click_quarters_all";
  const totals = new Map<string, number>();
  const add = (day: string, kind: string, clicks: number) => totals.set(`${day} ${kind}`, (totals.get(`${day} ${kind}`) ?? 0) + clicks);
  if (inner) {
    for (const run of dayRuns(tz, inner.from, inner.to)) {
      const from = Math.max(run.start, inner.from);
      const to = Math.min(run.start + run.days.length * run.length, inner.to);
      const w = units(f, "quarter", { from: Math.ceil(from / QUARTER_MS) * QUARTER_MS, to: Math.ceil(to / QUARTER_MS) * QUARTER_MS }, QUARTER_MS, !!f.trackingIds);
      const rows = db.$client
        .query<{ i: number; kind: string; clicks: number }, SQLQueryBindings[]>(
          `select (quarter * ${QUARTER_MS} - ?) / ? as i, visitor_kind as kind, sum(clicks) as clicks from ${table} where ${w.sql} group by 1, 2 having sum(clicks) > 0`,
        )
        .all(run.start, run.length, ...w.params);
      for (const row of rows) add(run.days[row.i], row.kind, row.clicks);
    }
  }
  for (const piece of outer) {
    const w = raw(f, piece);
    for (const row of db.$client.query<{ at: string; kind: string }, SQLQueryBindings[]>(`select clicked_at as at, visitor_kind as kind from link_clicks where ${w.sql}`).all(...w.params)) {
      add(localDay(tz, Date.parse(row.at)), row.kind, 1);
    }
  }
  return [...totals]
    .map(([key, clicks]) => {
      const [day, kind] = key.split(" ");
      return { day, kind: kind as VisitorKind, clicks };
    })
    .sort((a, b) => a.day.localeCompare(b.day) || a.kind.localeCompare(b.kind));
}

/**
 * Per tracking_id, the clicks of a period (redirected ones, or every outcome's: orphan
 * hits are not_found): the SQL of a subquery of (g = tracking_id, clicks) rows to be
 * summed, from click_daily's whole days, click_hours' hours, click_quarters' quarter-hours
 * and link_clicks' minutes.
 */
export function perLinkIn(p: Period, kinds: VisitorKind[] | undefined, anyOutcome = false): { sql: string; params: SQLQueryBindings[] } {
  const f: Filter = { from: p.from, to: p.to, kinds, anyOutcome };
  return pieces(f, rangeOf(f), countGrains(true), () => "tracking_id");
}
