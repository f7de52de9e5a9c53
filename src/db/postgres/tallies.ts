/**
 * The analytics' counts on PostgreSQL, read from the roll-ups the trigger keeps
 * (drizzle-pg/0007_click_rollups.sql, schema.ts), never by counting a period's clicks: a
 * period is cut where its grains allow (tally-plan.ts), whole UTC days from the daily
 * roll-ups, quarter-hours or hours at its ends from the finer ones, and only the pieces
 * shorter than those from link_clicks itself, by its time indexes. Where a roll-up the
 * trigger keeps covers a piece, the piece's clicks not counted in it yet (written at
 * or after the count's mark, a moment's worth, or of the backlog: clicks.ts
 * countPending) are added from link_clicks by their own indexes. The shards of a group are summed; a group whose
 * clicks were all uncounted keeps a row of 0. click_daily is counted as clicks are
 * written (its own triggers), so what reads it alone needs no pending clicks.
 */
import { sql, type SQL } from "drizzle-orm";
import { dayRuns, localDay } from "../../lib/zone";
import type { ClickFilter, CountDimension, Period, VisitorKind } from "../store";
import { cut, DAY_MS, edgesNeeded, HOUR_MS, keptFor, QUARTER_MS, rangeOf, shownFrom, split, standingsOf, type HumanDay, type Kept, type Piece, type Range } from "../tally-plan";
import type { PgContext } from "./context";
import { iso as isoOf, isUuid, num } from "./rows";

const iso = (ms: number) => new Date(ms).toISOString();
const and = (parts: SQL[]) => sql.join(parts, sql` and `);

/**
 * A roll-up and its unit: `day` of click_daily is a date, every other time column a whole
 * number of units since the epoch. `everyClick`: it counts each click as it is written
 * (click_daily); the others count a click once the count reaches it (clicks.ts countPending).
 */
type Grain = { table: string; column: "day" | "quarter" | "hour"; unitMs: number; links?: boolean; date?: boolean; where?: SQL; everyClick?: boolean };

/**
 * A filter of clicks; orphan hits (not_found) are counted only when asked for. `mark`:
 * the count's mark as this instance last read it (markOf).
 */
type Filter = ClickFilter & { anyOutcome?: boolean; mark: number };

/**
 * The count's mark (link_tracker.click_count_mark), read at most once a second: it only
 * moves forward, so a value read a moment ago is a lower bound of the one a query sees.
 */
export async function markOf(ctx: PgContext): Promise<number> {
  const known = ctx.shared.mark;
  if (known && Date.now() - known.at < 1000) return known.value;
  const row = await ctx.one<{ mark: unknown }>(sql`select mark from link_tracker.click_count_mark where id = 1`);
  ctx.shared.mark = { value: num(row?.mark), at: Date.now() };
  return ctx.shared.mark.value;
}

/**
 * The clicks the roll-ups do not count yet, as two conditions, each read by its own index:
 * written since the mark (the mark the query itself sees; the one read before, a value to
 * plan with, makes the planner take the index of `written`), and the backlog.
 */
const uncounted = (mark: number): SQL[] => [
  sql`written >= ${mark}::bigint and written >= (select mark from link_tracker.click_count_mark where id = 1)`,
  sql`written is null and not counted`,
];

/** Conditions every grain shares: links, kinds, redirected only. */
function common(f: Filter, links = true): SQL[] {
  const w = f.anyOutcome ? [] : [sql`outcome = 'redirected'`];
  if (f.kinds) w.push(sql`visitor_kind = any(${sql.param(f.kinds)}::text[])`);
  if (links && f.trackingIds) w.push(sql`tracking_id = any(${sql.param(f.trackingIds)}::text[])`);
  return w;
}

const during = (r: Range) => sql`clicked_at >= ${iso(r.from)}::timestamptz and clicked_at < ${iso(r.to)}::timestamptz`;
/** Every click of a piece no roll-up covers. */
const rawWhere = (f: Filter, r: Range) => [...common(f), during(r)];
/** The clicks of a piece a trigger-kept roll-up covers that it does not count yet: each list of conditions a part of them. */
const pendingWhere = (f: Filter, r: Range) => uncounted(f.mark).map((u) => [...common(f), during(r), u]);

function unitsWhere(f: Filter, g: Grain, r: Range): SQL {
  const w = common(f, g.links ?? true);
  if (g.date) w.push(sql`day >= ${iso(r.from).slice(0, 10)}::date and day < ${iso(r.to).slice(0, 10)}::date`);
  else w.push(sql`${sql.identifier(g.column)} >= ${r.from / g.unitMs} and ${sql.identifier(g.column)} < ${r.to / g.unitMs}`);
  if (g.where) w.push(g.where);
  return w.length > 0 ? and(w) : sql`true`;
}

/**
 * Rows of (g, clicks) from every grain that covers part of the range, to be summed, and
 * (unless `skipRaw`) link_clicks' rows for the rest; `expr` is the grouped expression in
 * the roll-ups, `rawExpr` in link_clicks.
 */
function pieces(f: Filter, grains: Grain[], expr: SQL, rawExpr: SQL, options: { rawExtra?: SQL; skipRaw?: boolean } = {}): { query: SQL; left: Piece[] } {
  const { whole, left } = cut(rangeOf(f), grains);
  const extra = options.rawExtra ? [options.rawExtra] : [];
  const fromClicks = (where: SQL[], sign: 1 | -1 = 1) => sql`select ${rawExpr} as g, ${sql.raw(String(sign))} as clicks from link_clicks where ${and([...where, ...extra])}`;
  const selects: SQL[] = [];
  for (const { grain, range, sign } of whole) {
    selects.push(sql`select ${expr} as g, ${sql.raw(sign === 1 ? "" : "-")}clicks as clicks from ${sql.raw(`link_tracker.${grain.table}`)} where ${unitsWhere(f, grain, range)}`);
    if (!grain.everyClick) for (const where of pendingWhere(f, range)) selects.push(fromClicks(where, sign));
  }
  if (!options.skipRaw) for (const piece of left) selects.push(fromClicks(rawWhere(f, piece), piece.sign));
  return { query: selects.length > 0 ? sql.join(selects, sql` union all `) : sql`select null::text as g, 0::bigint as clicks where false`, left };
}

/** The pieces' rows summed by group; those of no clicks left out, unless `all` (a part of a sum, which may be less than nothing). */
async function summed(ctx: PgContext, query: SQL, all = false): Promise<{ g: string | null; clicks: number }[]> {
  const rows = await ctx.all<{ g: string | null; clicks: unknown }>(sql`select g, sum(clicks) as clicks from (${query}) p group by g ${all ? sql`` : sql`having sum(clicks) > 0`}`);
  return rows.map((r) => ({ g: r.g, clicks: num(r.clicks) }));
}

/** The grains of counts: per link (some links, or each link of a period), or every link's together. */
const countGrains = (perLink: boolean): Grain[] =>
  perLink
    ? [
        { table: "click_daily", column: "day", unitMs: DAY_MS, date: true, everyClick: true },
        { table: "click_hours", column: "hour", unitMs: HOUR_MS },
        { table: "click_quarters", column: "quarter", unitMs: QUARTER_MS },
      ]
    : [{ table: "click_quarters_all", column: "quarter", unitMs: QUARTER_MS, links: false }];

/**
 * Per tracking_id, the clicks of a period (redirected ones, or every outcome's: orphan
 * hits are not_found): a subquery of (g = tracking_id, clicks) rows to be summed.
 */
export const perLinkIn = async (ctx: PgContext, p: Period, kinds: VisitorKind[] | undefined, anyOutcome = false): Promise<SQL> =>
  pieces({ from: p.from, to: p.to, kinds, anyOutcome, mark: await markOf(ctx) }, countGrains(true), sql`tracking_id`, sql`tracking_id`).query;

/** Clicks by visitor kind. */
export async function kindCounts(ctx: PgContext, filter: ClickFilter): Promise<{ kind: VisitorKind; clicks: number }[]> {
  const f = { ...filter, mark: await markOf(ctx) };
  const rows = await summed(ctx, pieces(f, countGrains(!!f.trackingIds), sql`visitor_kind`, sql`visitor_kind`).query);
  return rows.map((r) => ({ kind: r.g as VisitorKind, clicks: r.clicks }));
}

/** A click's kept breakdown values in link_clicks (the trigger's own functions). */
const VALUE_IN_CLICKS: Record<Kept, SQL> = {
  visit: sql`link_tracker.click_visit(click_source, referrer_domain, referrer_url, browser, os, device)`,
  place: sql`link_tracker.click_place(country::text, asn, network)`,
};

/**
 * The raw values of some kept breakdowns, each summed by value: the roll-ups' whole
 * units one breakdown at a time, the period's edges from link_clicks in one pass for all
 * of them (a link's edge can be a day of its clicks).
 */
async function dimensions(ctx: PgContext, filter: ClickFilter, ds: Kept[]): Promise<Map<Kept, { g: string | null; clicks: number }[]>> {
  const f = { ...filter, mark: await markOf(ctx) };
  const totals = new Map(ds.map((d) => [d, new Map<string | null, number>()]));
  const add = (d: Kept, g: string | null, n: number) => totals.get(d)!.set(g, (totals.get(d)!.get(g) ?? 0) + n);
  const byEdges = new Map<string, { edges: Piece[]; ds: Kept[] }>();
  for (const d of ds) {
    const only = sql`dimension = ${d}`;
    // Across every link, places from their all-link roll-ups; otherwise every link's, summed.
    const grains: Grain[] =
      f.trackingIds || d !== "place"
        ? [{ table: "click_dimensions", column: "day", unitMs: DAY_MS, where: only }]
        : [
            { table: "click_dimensions_daily", column: "day", unitMs: DAY_MS, where: only, links: false },
            { table: "click_dimensions_hourly", column: "hour", unitMs: HOUR_MS, where: only, links: false },
          ];
    const p = pieces(f, grains, sql`value`, VALUE_IN_CLICKS[d], { skipRaw: true });
    for (const r of await summed(ctx, p.query, true)) add(d, r.g, r.clicks);
    const key = JSON.stringify(p.left);
    const group = byEdges.get(key) ?? { edges: p.left, ds: [] };
    group.ds.push(d);
    byEdges.set(key, group);
  }
  for (const { edges, ds: these } of byEdges.values()) {
    for (const piece of edges) {
      const rows = await ctx.all<Record<string, string | null> & { n: unknown }>(
        sql`select ${sql.join(these.map((d) => sql`${VALUE_IN_CLICKS[d]} as ${sql.identifier(d)}`), sql`, `)}, count(*) as n
            from link_clicks where ${and(rawWhere(f, piece))} group by ${sql.raw(these.map((_, i) => i + 1).join(", "))}`,
      );
      for (const r of rows) for (const d of these) add(d, r[d], piece.sign * num(r.n));
    }
  }
  return new Map([...totals].map(([d, m]) => [d, [...m].filter(([, n]) => n > 0).map(([g, clicks]) => ({ g, clicks }))]));
}

/** Clicks by some breakdowns at once, each largest first (tally-plan.ts SHOWN). */
export async function breakdowns(ctx: PgContext, f: ClickFilter, by: CountDimension[]) {
  const [kept, kinds] = await Promise.all([dimensions(ctx, f, keptFor(by)), by.includes("kind") ? kindCounts(ctx, f) : null]);
  return shownFrom(by, kept, kinds);
}

/** Distinct sessions: the whole days' from click_sessions, the rest from link_clicks, as one set. */
export async function sessions(ctx: PgContext, filter: ClickFilter): Promise<number> {
  const f = { ...filter, mark: await markOf(ctx) };
  const p = pieces(f, [{ table: "click_sessions", column: "day", unitMs: DAY_MS }], sql`session_id`, sql`session_id`, { rawExtra: sql`session_id is not null` });
  const r = await ctx.one<{ n: unknown }>(sql`select count(*) as n from (select g from (${p.query}) p group by g having sum(clicks) > 0) s`);
  return num(r?.n);
}

/**
 * Clicks per day of the zone `tz` and kind, over the filter's range (which must have both
 * ends): whole quarter-hours from the roll-ups, summed into the zone's days run by run;
 * the minutes left at the range's ends from link_clicks.
 */
export async function perDay(ctx: PgContext, filter: ClickFilter & { from: string; to: string }, tz: string): Promise<{ day: string; kind: VisitorKind; clicks: number }[]> {
  const f = { ...filter, mark: await markOf(ctx) };
  const { inner, outer } = split(rangeOf(f), QUARTER_MS);
  const grain: Grain = f.trackingIds ? { table: "click_quarters", column: "quarter", unitMs: QUARTER_MS } : { table: "click_quarters_all", column: "quarter", unitMs: QUARTER_MS, links: false };
  const totals = new Map<string, number>();
  const add = (day: string, kind: string, clicks: number) => totals.set(`${day} ${kind}`, (totals.get(`${day} ${kind}`) ?? 0) + clicks);
  const reads: Promise<void>[] = [];
  if (inner) {
    for (const run of dayRuns(tz, inner.from, inner.to)) {
      const from = Math.max(run.start, inner.from);
      const to = Math.min(run.start + run.days.length * run.length, inner.to);
      const range = { from: Math.ceil(from / QUARTER_MS) * QUARTER_MS, to: Math.ceil(to / QUARTER_MS) * QUARTER_MS };
      reads.push(
        ctx
          .all<{ i: unknown; kind: string; clicks: unknown }>(
            sql`select (quarter::bigint * ${QUARTER_MS} - ${run.start}) / ${run.length} as i, visitor_kind as kind, sum(clicks) as clicks
                from ${sql.raw(`link_tracker.${grain.table}`)} where ${unitsWhere(f, grain, range)} group by 1, 2 having sum(clicks) > 0`,
          )
          .then((rows) => rows.forEach((row) => add(run.days[num(row.i)], row.kind, num(row.clicks)))),
      );
    }
  }
  for (const where of [...outer.map((piece) => rawWhere(f, piece)), ...(inner ? pendingWhere(f, inner) : [])]) {
    reads.push(
      ctx
        .all<{ at: unknown; kind: string }>(sql`select clicked_at as at, visitor_kind as kind from link_clicks where ${and(where)}`)
        .then((rows) => rows.forEach((row) => add(localDay(tz, Date.parse(isoOf(row.at))), row.kind, 1))),
    );
  }
  await Promise.all(reads);
  return [...totals]
    .map(([key, clicks]) => {
      const [day, kind] = key.split(" ");
      return { day, kind: kind as VisitorKind, clicks };
    })
    .sort((a, b) => a.day.localeCompare(b.day) || a.kind.localeCompare(b.kind));
}

/** Some applications (a page of them), or every one: the condition on link_tracking `l`. */
const someApplications = (ids?: string[]) => (ids ? sql`and l.application_id = any(${sql.param(ids.filter(isUuid))}::uuid[])` : sql``);

/** Per application, its human clicks and whether a human came back (tally-plan.ts standingsOf), from click_daily. */
async function humanStandings(ctx: PgContext, returnDays: number, ids?: string[]) {
  const days = (
    await ctx.all<{ applicationId: string; day: string; clicks: unknown }>(
      sql`select l.application_id::text as "applicationId", to_char(d.day, 'YYYY-MM-DD') as day, sum(d.clicks) as clicks
          from link_tracker.click_daily d join link_tracking l on l.tracking_id = d.tracking_id
          where d.visitor_kind = 'human' and d.outcome = 'redirected' and l.application_id is not null ${someApplications(ids)}
          group by 1, 2 having sum(d.clicks) > 0 order by 1, 2`,
    )
  ).map((d): HumanDay => ({ applicationId: d.applicationId, day: d.day, clicks: num(d.clicks) }));
  const edges = new Map<string, string | undefined>();
  await Promise.all(
    edgesNeeded(days, returnDays).map(async (e) => {
      // The day's first (or last) human click of each of the application's links, by its end of the link's index; the earliest (latest) of them.
      const r = await ctx.one<{ at: unknown }>(
        sql`select ${e.order === "asc" ? sql`min` : sql`max`}((select c.clicked_at from link_clicks c
              where c.tracking_id = l.tracking_id and c.clicked_at >= (${e.day}::date)::timestamp at time zone 'UTC' and c.clicked_at < (${e.day}::date + 1)::timestamp at time zone 'UTC'
                and c.visitor_kind = 'human' and c.outcome = 'redirected'
              order by c.clicked_at ${e.order === "asc" ? sql`asc` : sql`desc`} limit 1)) as at
            from link_tracking l where l.application_id = ${e.applicationId}::uuid`,
      );
      edges.set(`${e.applicationId} ${e.day} ${e.order}`, r?.at ? isoOf(r.at) : undefined);
    }),
  );
  return standingsOf(days, returnDays, (applicationId, day, order) => edges.get(`${applicationId} ${day} ${order}`));
}

/** See ClickRepository.applicationActivity: from application_sessions and click_daily, for these applications (all when absent). */
export async function applicationActivity(ctx: PgContext, returnDays: number, ids?: string[]) {
  const some = someApplications(ids);
  const mark = await markOf(ctx);
  const [sessions, standings] = await Promise.all([
    // One row per application, session and day (application_sessions, under the link's
    // application), with the clicks the count has not reached yet under the link's one now.
    ctx.all<{ applicationId: string; visitors: unknown; visits: unknown; clicks: unknown }>(
      sql`select "applicationId", count(distinct session_id) as visitors, count(*) as visits, sum(clicks) as clicks
          from (select "applicationId", session_id, day, sum(clicks) as clicks from (
                  select application_id::text as "applicationId", session_id, day, clicks from link_tracker.application_sessions
                  where visitor_kind = 'human' and outcome = 'redirected' ${ids ? sql`and application_id = any(${sql.param(ids.filter(isUuid))}::uuid[])` : sql``}
                  ${sql.join(
                    uncounted(mark).map(
                      (u) => sql`union all
                        select l.application_id::text, c.session_id, floor(extract(epoch from c.clicked_at) / 86400)::int, 1
                        from link_clicks c join link_tracking l on l.tracking_id = c.tracking_id
                        where ${u} and c.visitor_kind = 'human' and c.outcome = 'redirected' and c.session_id is not null and l.application_id is not null ${some}`,
                    ),
                    sql` `,
                  )}) p
                group by 1, 2, 3 having sum(clicks) > 0) s
          group by "applicationId"`,
    ),
    humanStandings(ctx, returnDays, ids),
  ]);
  const withSessions = new Map(sessions.map((s) => [s.applicationId, { visitors: num(s.visitors), visits: num(s.visits), clicks: num(s.clicks) }]));
  return standings.map((a) => {
    const s = withSessions.get(a.applicationId) ?? { visitors: 0, visits: 0, clicks: 0 };
    // Clicks without a session (Do Not Track) are each a visitor and a visit of their own.
    return { applicationId: a.applicationId, visitors: s.visitors + a.clicks - s.clicks, visits: s.visits + a.clicks - s.clicks, cameBack: a.cameBack };
  });
}

/** See ClickRepository.applicationStandings: every application's days with human clicks (no sessions). */
export async function applicationStandings(ctx: PgContext, returnDays: number) {
  const all = await humanStandings(ctx, returnDays);
  return { opened: all.length, cameBack: all.filter((a) => a.cameBack).length };
}
