/**
 * click_daily, the clicks per day, link, visitor kind and outcome that the overview and
 * roll-ups read instead of counting link_clicks. New clicks are counted here, by both
 * ways they enter link_clicks (an ingest write, a move from the inbox), from the rows
 * that were really added: link_clicks is a rowid table, so they are the rows past its
 * last rowid before the insert (a duplicate that was not inserted is not counted).
 * Deletions and changes of stored clicks, rare, are counted by the triggers of
 * drizzle/0007 (a trigger per inserted row halved ingest).
 */
import { perDb, type Db } from "./index";

const statements = (db: Db) =>
  perDb(db, "click-daily", () => ({
    last: db.$client.prepare<{ rowid: number | null }, []>("select max(rowid) as rowid from main.link_clicks"),
    count: db.$client.prepare(
      `insert into main.click_daily (day, tracking_id, visitor_kind, outcome, clicks)
       select substr(clicked_at, 1, 10), tracking_id, visitor_kind, outcome, count(*) from main.link_clicks where rowid > ? group by 1, 2, 3, 4
       on conflict (day, tracking_id, visitor_kind, outcome) do update set clicks = clicks + excluded.clicks`,
    ),
  }));

/** The last rowid of link_clicks now: what countAddedClicks counts from. */
export const lastClickRowid = (db: Db): number => statements(db).last.get()?.rowid ?? 0;

/** Counts the clicks inserted since `afterRowid` into click_daily (in the inserting transaction). */
export function countAddedClicks(db: Db, afterRowid: number): void {
  statements(db).count.run(afterRowid);
}
