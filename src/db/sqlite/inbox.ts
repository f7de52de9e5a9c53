/**
 * The click inbox: where a redirect's click is committed before its 302 is sent.
 *
 * link_clicks is indexed per link (tracking_id, clicked_at), so each click written there
 * lands on its own page of that index, and a commit of N clicks from N links writes N
 * pages to the WAL: three quarters of what a redirect cost. The inbox is a plain
 * append-only table; a commit of N clicks writes a page or two. The clicks move on to
 * link_clicks in bulk, sorted by link (so that a link's clicks share their index pages),
 * and are counted in click_daily as they move:
 *   - before the store reads or changes clicks (store.ts, in slices that let redirects
 *     go on), so no reader ever misses a committed click;
 *   - in the background, in slices, whenever the server is not busy (startInboxMover),
 *     or once the backlog passes MAX_BACKLOG even when it is.
 * A move is one transaction: a click is in the inbox or in link_clicks, never both.
 * Only redirect clicks (which carry no idempotency key) wait here.
 */
import type { Logger } from "../../lib/log";
import type { NewClick as ClickInsert } from "../store";
import { CLICK_COLUMNS, clickValues } from "./click-row";
import { perDb, type Db } from "./index";

const COLUMNS = CLICK_COLUMNS.join(", ");

/** Background moves: slices of at most SLICE clicks, looked at every TICK_MS, while fewer than BUSY_RATE clicks a second come in. */
const TICK_MS = 50;
/** When nothing came in and nothing waits: a wake-up a second is enough. */
const IDLE_TICK_MS = 1000;
/** Between two slices: time for the event loop to take the requests that came in meanwhile, and count them. */
export const GAP_MS = 5;
const SLICE = 4000;
/**
 * An API read's slices are smaller: it moves while redirects may be pouring in (a
 * flood fills the inbox, and reads are what then move it). Measured on two cores under
 * a wrk flood: a slice of 4000 held the event loop 30 to 80 ms, one of 1000 15 to 65 ms,
 * one of 250 a few. 250 every 5 ms still moves 25,000 clicks a second.
 */
export const READ_SLICE = 250;
const BUSY_RATE = 2000;
/** Past this many waiting clicks (about 300 MB) the mover works even while the server is busy. */
const MAX_BACKLOG = 1_000_000;

function statements(db: Db) {
  return perDb(db, "click-inbox", () => {
    const sqlite = db.$client;
    const insert = sqlite.prepare(`insert into click_inbox (${COLUMNS}) values (${CLICK_COLUMNS.map(() => "?").join(", ")})`);
    // Each end of the inbox read from its end of the rowid's b-tree.
    const first = sqlite.prepare<{ seq: number }, []>("select seq from click_inbox order by seq limit 1");
    const last = sqlite.prepare<{ seq: number }, []>("select seq from click_inbox order by seq desc limit 1");
    const nth = sqlite.prepare<{ seq: number }, [number]>("select seq from click_inbox order by seq limit 1 offset ?");
    // Sorted by link: the per-link index then takes each link's clicks on one page.
    const move = sqlite.prepare(`insert into link_clicks (${COLUMNS}) select ${COLUMNS} from click_inbox where seq <= ? order by tracking_id, clicked_at`);
    const count = sqlite.prepare(
      `insert into click_daily (day, tracking_id, visitor_kind, outcome, clicks)
       select substr(clicked_at, 1, 10), tracking_id, visitor_kind, outcome, count(*) from click_inbox where seq <= ? group by 1, 2, 3, 4
       on conflict (day, tracking_id, visitor_kind, outcome) do update set clicks = clicks + excluded.clicks`,
    );
    const remove = sqlite.prepare("delete from click_inbox where seq <= ?");
    const queue = sqlite.transaction((clicks: ClickInsert[], after?: (queued: ClickInsert[]) => void) => {
      for (const c of clicks) insert.run(...clickValues(c));
      after?.(clicks);
    });
    const settle = sqlite.transaction((limit: number): number => {
      const upTo = Number.isFinite(limit) ? (nth.get(limit - 1)?.seq ?? last.get()?.seq) : last.get()?.seq;
      if (upTo == null) return 0;
      move.run(upTo);
      count.run(upTo);
      return remove.run(upTo).changes;
    });
    return { first, last, queue, settle, arrivals: { n: 0 } };
  });
}

/**
 * Commits redirect clicks to the inbox in one immediate transaction; `after` runs in it
 * with them (their signals are stored with them, or neither is).
 */
export function queueClicks(db: Db, clicks: ClickInsert[], after?: (queued: ClickInsert[]) => void): void {
  const s = statements(db);
  s.queue.immediate(clicks, after);
  s.arrivals.n += clicks.length;
}

/** How many clicks wait in the inbox (rows are only ever removed from its start). */
export function inboxBacklog(db: Db): number {
  const s = statements(db);
  const first = s.first.get();
  return first ? s.last.get()!.seq - first.seq + 1 : 0;
}

/**
 * Moves up to `limit` of the oldest waiting clicks (all by default) into link_clicks and
 * click_daily; returns how many moved. Costs one indexed read when the inbox is empty.
 */
export function settleClicks(db: Db, limit = Number.POSITIVE_INFINITY): number {
  const s = statements(db);
  if (!s.first.get()) return 0;
  return db.$client.inTransaction ? s.settle(limit) : s.settle.immediate(limit);
}

/** Moves waiting clicks for at most `ms` (shutdown: the rest move at the next start). */
export function settleWithin(db: Db, ms: number): void {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline && settleClicks(db, SLICE) > 0);
}


/**
 * Moves the inbox over in the background, in slices, while the server is quiet: fewer
 * than BUSY_RATE clicks a second came in since the last slice ended (arrivals are
 * counted only while the event loop is free, so a slice cannot hide the load it
 * delays), or whatever the load once the backlog passes maxBacklog. Between slices the
 * loop is free for GAP_MS: a redirect that arrives in the middle of a move waits for
 * that slice only, and the ones that came with it stop the next. `onQuiet` runs when a
 * busy spell ends.
 */
export function startInboxMover(
  db: Db,
  log: Logger,
  options: { onQuiet?: () => void; maxBacklog?: number; /** A read is moving the inbox in its own slices: leave it to that read. */ paused?: () => boolean } = {},
): { stop(): void } {
  const maxBacklog = options.maxBacklog ?? MAX_BACKLOG;
  const s = statements(db);
  let timer: ReturnType<typeof setTimeout> | null = null;
  let busy = false;
  let freeSince = performance.now();
  const tick = () => {
    const window = Math.max(performance.now() - freeSince, 1);
    const arrived = s.arrivals.n;
    const quiet = (arrived * 1000) / window <= BUSY_RATE;
    s.arrivals.n = 0;
    if (busy && quiet) options.onQuiet?.();
    busy = !quiet;
    let moved = 0;
    try {
      // While a read moves the inbox in its small slices, the mover leaves it to that read.
      if (!options.paused?.() && (quiet || inboxBacklog(db) >= maxBacklog)) moved = settleClicks(db, SLICE);
    } catch (error) {
      log.warn({ err: error }, "waiting clicks could not be moved yet; they stay in the inbox");
    }
    freeSince = performance.now();
    // Quiet and more to move: the next slice soon. Busy (a backlog past the limit): one
    // slice a tick, so that redirects keep most of the time. Nothing at all: a slow tick.
    const idle = quiet && moved === 0 && arrived === 0;
    timer = setTimeout(tick, quiet && moved === SLICE ? GAP_MS : idle ? IDLE_TICK_MS : TICK_MS);
  };
  timer = setTimeout(tick, 0);
  return {
    stop() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
