/**
 * The click inbox: where a redirect's click is committed before its 302 is sent.
 *
 * It is a database file of its own (the database's path + "-inbox", attached to the
 * connection as `inbox`): a redirect's commit takes that file's lock only, so it never
 * waits for a write to the main database (an ingest batch on the writer thread, a move).
 * A move spans both files, which SQLite commits one after the other in WAL mode: a
 * crash between the two leaves the clicks in both, and the next move inserts only the
 * ones link_clicks does not have (by click_id) and counts only those.
 *
 * link_clicks is indexed per link (tracking_id, clicked_at), so each click written there
 * lands on its own page of that index, and a commit of N clicks from N links writes N
 * pages to the WAL: three quarters of what a redirect cost. The inbox is a plain
 * append-only table; a commit of N clicks writes a page or two. The clicks move on to
 * link_clicks in bulk, sorted by link (so that a link's clicks share their index pages),
 * described as they move (the roll-ups count them next, rollups.ts):
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
import { describeAdded, lastClickRowid } from "./rollups";
import { perDb, type Db } from "./index";
import { moveSignals } from "./signals";

const COLUMNS = CLICK_COLUMNS.join(", ");

/**
 * The inbox file's one table (made at open by index.ts; a queue, not part of the
 * migrated schema). seq is the rowid (no AUTOINCREMENT, which writes a page of its own
 * to every commit): a new click always gets a higher one than every click still waiting.
 * Click ids are time-ordered (UUIDv7), so the click_id index only grows at its end; it
 * finds the clicks of a burst to reclassify.
 */
export const INBOX_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS inbox.click_inbox (
    seq integer PRIMARY KEY NOT NULL, click_id text NOT NULL, tracking_id text NOT NULL, clicked_at text NOT NULL,
    received_at text NOT NULL, ip_address text, user_agent text, referrer_url text, session_id text, click_source text,
    metadata text NOT NULL, is_bot integer NOT NULL, visitor_kind text NOT NULL, visitor_reason text, origin text NOT NULL,
    outcome text NOT NULL, country text, city text, asn integer, network text
  )`,
  "CREATE INDEX IF NOT EXISTS inbox.click_inbox_click_idx ON click_inbox (click_id)",
  // The events of those clicks (signals.ts), waiting with them.
  `CREATE TABLE IF NOT EXISTS inbox.signal_inbox (
    seq integer PRIMARY KEY NOT NULL, event_id text NOT NULL, type text NOT NULL, created_at text NOT NULL,
    deliver_after text NOT NULL, click_id text NOT NULL, tracking_id text NOT NULL, subject text NOT NULL,
    payload text NOT NULL, cancelled_at text
  )`,
  "CREATE INDEX IF NOT EXISTS inbox.signal_inbox_subject_idx ON signal_inbox (type, subject)",
];

/** Columns added to the inbox since it was first made: added to an older inbox file at open. */
export const INBOX_ADDED_COLUMNS = ["country text", "city text", "asn integer", "network text"];

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
    const insert = sqlite.prepare(`insert into inbox.click_inbox (${COLUMNS}) values (${CLICK_COLUMNS.map(() => "?").join(", ")})`);
    // Each end of the inbox read from its end of the rowid's b-tree.
    const first = sqlite.prepare<{ seq: number }, []>("select seq from inbox.click_inbox order by seq limit 1");
    const last = sqlite.prepare<{ seq: number }, []>("select seq from inbox.click_inbox order by seq desc limit 1");
    // Both ends in one statement (one snapshot): the writer thread may empty the inbox between two.
    // Two subqueries, not min() and max() together, which SQLite would answer with a scan.
    const span = sqlite.prepare<{ first: number | null; last: number | null }, []>(
      "select (select seq from inbox.click_inbox order by seq limit 1) as first, (select seq from inbox.click_inbox order by seq desc limit 1) as last",
    );
    const nth = sqlite.prepare<{ seq: number }, [number]>("select seq from inbox.click_inbox order by seq limit 1 offset ?");
    // Sorted by link: the per-link index then takes each link's clicks on one page.
    const move = sqlite.prepare(
      `insert into main.link_clicks (${COLUMNS}) select ${COLUMNS} from inbox.click_inbox where seq <= ? order by tracking_id, clicked_at
       on conflict (click_id) do nothing`,
    );
    const remove = sqlite.prepare("delete from inbox.click_inbox where seq <= ?");
    // Deferred: the first insert takes the inbox file's lock alone. (Signals stored with
    // the clicks take the main database's too; only a link's first human click has one.)
    const queue = sqlite.transaction((clicks: ClickInsert[], after?: (queued: ClickInsert[]) => void) => {
      for (const c of clicks) insert.run(...clickValues(c));
      after?.(clicks);
    });
    const settle = sqlite.transaction((limit: number): number => {
      // The waiting events first (a few, whatever their click's place in the queue).
      moveSignals(db);
      const upTo = Number.isFinite(limit) ? (nth.get(limit - 1)?.seq ?? last.get()?.seq) : last.get()?.seq;
      if (upTo == null) return 0;
      const after = lastClickRowid(db);
      move.run(upTo);
      describeAdded(db, after);
      return remove.run(upTo).changes;
    });
    return { first, last, span, queue, settle, arrivals: { n: 0 } };
  });
}

/**
 * Commits redirect clicks to the inbox in one transaction; `after` runs in it with them
 * (their signals are stored with them).
 */
export function queueClicks(db: Db, clicks: ClickInsert[], after?: (queued: ClickInsert[]) => void): void {
  const s = statements(db);
  s.queue(clicks, after);
  s.arrivals.n += clicks.length;
}

/** How many clicks wait in the inbox (rows are only ever removed from its start). */
export function inboxBacklog(db: Db): number {
  const { first, last } = statements(db).span.get()!;
  return first === null || last === null ? 0 : last - first + 1;
}

/**
 * Moves up to `limit` of the oldest waiting clicks (all by default) into link_clicks,
 * described; returns how many moved. Costs one indexed read when the inbox is empty.
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
  options: {
    onQuiet?: () => void;
    maxBacklog?: number;
    /** A read is moving the inbox in its own slices: leave it to that read. */
    paused?: () => boolean;
    /** How a slice is moved: here by default; the store gives its writer thread's. */
    move?: (limit: number) => Promise<number>;
    slice?: number;
  } = {},
): { stop(): void } {
  const maxBacklog = options.maxBacklog ?? MAX_BACKLOG;
  const slice = options.slice ?? SLICE;
  const move = options.move ?? (async (limit: number) => settleClicks(db, limit));
  const s = statements(db);
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;
  let busy = false;
  let freeSince = performance.now();
  const tick = async () => {
    const window = Math.max(performance.now() - freeSince, 1);
    const arrived = s.arrivals.n;
    const quiet = (arrived * 1000) / window <= BUSY_RATE;
    s.arrivals.n = 0;
    if (busy && quiet) options.onQuiet?.();
    busy = !quiet;
    let moved = 0;
    try {
      // While a read moves the inbox in its small slices, the mover leaves it to that read.
      if (!options.paused?.() && (quiet || inboxBacklog(db) >= maxBacklog)) moved = await move(slice);
    } catch (error) {
      log.warn({ err: error }, "waiting clicks could not be moved yet; they stay in the inbox");
    }
    if (stopped) return;
    freeSince = performance.now();
    // Quiet and more to move: the next slice soon. Busy (a backlog past the limit): one
    // slice a tick, so that redirects keep most of the time. Nothing at all: a slow tick.
    const idle = quiet && moved === 0 && arrived === 0;
    timer = setTimeout(tick, quiet && moved === slice ? GAP_MS : idle ? IDLE_TICK_MS : TICK_MS);
  };
  timer = setTimeout(tick, 0);
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
