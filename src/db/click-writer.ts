/**
 * Where the redirect's clicks are written: by default the click inbox (inbox.ts), through
 * the same connection, on the calling thread. (A writer on a worker thread with its own
 * connection was measured slower: every commit of its connection empties the main
 * connection's page cache, and passing clicks between threads costs more than the
 * insert saves on a 2-core machine.)
 */
import { clicksRewritten, type ClickInsert } from "./clicks";
import { queueClicks } from "./inbox";
import type { Db } from "./index";

export interface ClickWriter {
  /** Resolves once the clicks are committed; rejects if they could not be. */
  write(clicks: ClickInsert[]): Promise<void>;
}

/** `after` runs in the clicks' transaction with them (see queueClicks). */
export function inboxClickWriter(db: Db, after?: (queued: ClickInsert[]) => void): ClickWriter {
  return {
    async write(clicks) {
      try {
        queueClicks(db, clicks, after);
      } catch (error) {
        // Rolled back: what `after` noted of these clicks must be forgotten too.
        clicksRewritten(db);
        throw error;
      }
    },
  };
}
