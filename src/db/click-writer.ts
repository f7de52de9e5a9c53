/**
 * Where the redirect's clicks are written: by default the link_clicks table, through
 * the same connection, on the calling thread. (A writer on a worker thread with its own
 * connection was measured slower: every commit of its connection empties the main
 * connection's page cache, and passing clicks between threads costs more than the
 * insert saves on a 2-core machine.)
 */
import { insertClicks, type ClickInsert } from "./clicks";
import type { Db } from "./index";

export interface ClickWriter {
  /** Resolves once the clicks are committed; rejects if they could not be. */
  write(clicks: ClickInsert[]): Promise<void>;
}

/** `after` runs in the clicks' transaction with the ones that were new (see insertClicks). */
export function inlineClickWriter(db: Db, after?: (stored: ClickInsert[]) => void): ClickWriter {
  return {
    async write(clicks) {
      insertClicks(db, clicks, after);
    },
  };
}
