/**
 * click_daily, the clicks per day, link, visitor kind and outcome that the overview and
 * roll-ups read instead of counting link_clicks: kept here, and only here, by every
 * change to link_clicks, in that change's transaction.
 *   - New clicks (an ingest write, a move from the inbox) are counted from the rows really
 *     added: link_clicks is a rowid table, so they are the rows past its last rowid before
 *     the insert (a duplicate that was not inserted is not counted).
 *   - Deleted clicks are uncounted before they go; changed clicks (a reclassification, an
 *     attribution) move from their old group to their new one.
 */
import type { SQLQueryBindings } from "bun:sqlite";
import { perDb, type Db } from "./index";

const UPSERT = `insert into main.click_daily (day, tracking_id, visitor_kind, outcome, clicks) values (?, ?, ?, ?, ?)
  on conflict (day, tracking_id, visitor_kind, outcome) do update set clicks = clicks + excluded.clicks`;

const statements = (db: Db) =>
  perDb(db, "click-daily", () => ({
    last: db.$client.prepare<{ rowid: number | null }, []>("select max(rowid) as rowid from main.link_clicks"),
    countAdded: db.$client.prepare(
      `insert into main.click_daily (day, tracking_id, visitor_kind, outcome, clicks)
       select substr(clicked_at, 1, 10), tracking_id, visitor_kind, outcome, count(*) from main.link_clicks where rowid > ? group by 1, 2, 3, 4
       on conflict (day, tracking_id, visitor_kind, outcome) do update set clicks = clicks + excluded.clicks`,
    ),
    upsert: db.$client.prepare<unknown, [string, string, string, string, number]>(UPSERT),
  }));

/** The last rowid of link_clicks now: what countAddedClicks counts from. */
export const lastClickRowid = (db: Db): number => statements(db).last.get()?.rowid ?? 0;

/** Counts the clicks inserted since `afterRowid` into click_daily (in the inserting transaction). */
export function countAddedClicks(db: Db, afterRowid: number): void {
  statements(db).countAdded.run(afterRowid);
}

type Group = { day: string; tracking_id: string; visitor_kind: string; outcome: string; n: number };

/** The clicks `where` matches (SQL on link_clicks, with its parameters), by click_daily's groups. */
function groupsOf(db: Db, where: string, params: SQLQueryBindings[]): Group[] {
  return db.$client
    .query<Group, SQLQueryBindings[]>(
      `select substr(clicked_at, 1, 10) as day, tracking_id, visitor_kind, outcome, count(*) as n from main.link_clicks where ${where} group by 1, 2, 3, 4`,
    )
    .all(...params);
}

/** Before deleting the clicks `where` matches: they are uncounted. */
export function uncountClicks(db: Db, where: string, params: SQLQueryBindings[]): void {
  const { upsert } = statements(db);
  for (const g of groupsOf(db, where, params)) upsert.run(g.day, g.tracking_id, g.visitor_kind, g.outcome, -g.n);
}

/**
 * Before changing the clicks `where` matches: each group they are counted in moves to the
 * group `change` gives it (a new link, kind or outcome; the day stays).
 */
export function recountClicks(db: Db, where: string, params: SQLQueryBindings[], change: (g: Group) => Partial<Pick<Group, "tracking_id" | "visitor_kind" | "outcome">>): void {
  const { upsert } = statements(db);
  for (const g of groupsOf(db, where, params)) {
    const to = { ...g, ...change(g) };
    upsert.run(g.day, g.tracking_id, g.visitor_kind, g.outcome, -g.n);
    upsert.run(to.day, to.tracking_id, to.visitor_kind, to.outcome, g.n);
  }
}
