/**
 * Worker thread: writes ingested and API clicks on a connection of its own, and moves the
 * click inbox into link_clicks. A batch of a thousand events is one transaction of 10 to
 * 30 ms, with its signals, and a move of a few thousand waiting clicks as long; on the
 * server's thread each one held every redirect waiting behind it. Here they hold only
 * SQLite's locks: an ingest batch the main database's alone (a redirect's commit, which
 * takes the inbox file's, goes on meanwhile), a move both, one slice at a time.
 */
import type { NewClick, SignalRule } from "../store";
import { insertClicks } from "./clicks";
import { createDb, type Db } from "./index";
import { settleClicks } from "./inbox";
import { backfillSlice, countPending } from "./rollups";
import { serveLane } from "./lane";
import { ClickFacts, storeSignals } from "./signal-facts";

declare const self: Worker;

export type WriterInit = {
  path: string;
  signals: { returnDays: number; holdSeconds: number } | null;
  /** A checkpointer thread keeps the WAL short: this connection checkpoints only as a last resort. */
  checkpointer: boolean;
};
export type WriteRequest =
  | { id: number; type: "insert"; clicks: NewClick[] }
  /** Moves up to `limit` waiting clicks from the inbox into link_clicks; answers how many. */
  | { id: number; type: "move"; limit: number }
  /** Counts the next slice of clicks the roll-ups do not have yet (rollups.ts); answers how many, or null when none are left. */
  | { id: number; type: "backfill" }
  /** Counts the clicks stored since the roll-ups last counted (rollups.ts countPending); answers how many. */
  | { id: number; type: "count" };
/** Per click whether it was new, and the links whose human clicks were stored (the server's memo forgets them). */
export type WriteAnswer = { isNew: boolean[]; touched: string[] };

const RETRY_FOR_MS = 5000;

/**
 * A transaction SQLite refused without waiting (a snapshot another connection's commit
 * made stale: it reads the inbox's file, then writes it), tried again from the start;
 * this thread may block while it waits.
 */
function retryWhileBusy<T>(work: () => T): T {
  const deadline = performance.now() + RETRY_FOR_MS;
  for (let wait = 1; ; wait = Math.min(wait * 2, 20)) {
    try {
      return work();
    } catch (error) {
      const code = String((error as { code?: unknown })?.code ?? "");
      if (!/^SQLITE_(BUSY|LOCKED)/.test(code) || performance.now() >= deadline) throw error;
    }
    Bun.sleepSync(wait);
  }
}

/** Serves writes with the signal rule the composition gives (the entry point is src/click-writer.ts). */
export function serveClickWriter(makeRule: (signals: NonNullable<WriterInit["signals"]>) => SignalRule): void {
  let db: Db | null = null;
  let rule: SignalRule | undefined;
  serveLane<WriteRequest>(
    self,
    (init: WriterInit) => {
      db = createDb(init.path, { migrate: false, checkpointer: init.checkpointer });
      rule = init.signals ? makeRule(init.signals) : undefined;
    },
    (request): WriteAnswer | number | null =>
      retryWhileBusy(() => {
        if (request.type === "move") return settleClicks(db!, request.limit);
        if (request.type === "backfill") return backfillSlice(db!);
        if (request.type === "count") return countPending(db!);
        const touched = new Set<string>();
        const facts = ClickFacts.oneTransaction(db!);
        facts.prime(request.clicks);
        const isNew = insertClicks(db!, request.clicks, (stored) => {
          storeSignals(db!, rule, facts, stored);
          for (const c of stored) if (c.visitorKind === "human" && facts.link(c.trackingId)) touched.add(c.trackingId);
        });
        return { isNew, touched: [...touched] };
      }),
  );
}
