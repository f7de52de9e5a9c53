/**
 * Worker thread: the reads that can touch a million rows (a link's totals and
 * breakdowns, an export's pages), on a read-only connection of its own. On the server's
 * thread every recruiter's redirect would wait for them; WAL lets this connection read
 * while the server writes. The store moves waiting redirect clicks out of the inbox
 * before it asks, so these read link_clicks alone.
 *
 * The thread runs at the lowest CPU priority (nice 19, this thread only): on a small VPS
 * it takes what the server's thread leaves, never the other way round.
 */
import { Database } from "bun:sqlite";
import { setPriority } from "node:os";
import { drizzle } from "drizzle-orm/bun-sqlite";
import type { ExportFilter } from "../store";
import { exportPages } from "./clicks";
import { BUSY_TIMEOUT_MS, schema, type Db } from "./index";
import { serveLane } from "./lane";
import { READS, type ReadName } from "./reads";

declare const self: Worker;

export type ReadRequest =
  | { id: number; type: "read"; name: ReadName; args: unknown[] }
  /** The next page of export `stream` (the first call starts it); null when it has ended. */
  | { id: number; type: "export-next"; stream: number; filter: ExportFilter }
  | { id: number; type: "export-cancel"; stream: number };

try {
  setPriority(19);
} catch {
  // Not allowed here: the thread runs at the server's priority.
}

let db: Db | null = null;
const streams = new Map<number, Generator<unknown[][]>>();

function open(path: string): Db {
  // link_clicks only: the store moved the inbox's clicks over before it asked.
  const sqlite = new Database(path, { readonly: true });
  sqlite.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  return drizzle({ client: sqlite, schema }) as unknown as Db;
}

serveLane<ReadRequest>(
  self,
  (init: { path: string }) => {
    db = open(init.path);
  },
  (request) => {
    switch (request.type) {
      case "read":
        return (READS[request.name] as (db: Db, ...args: unknown[]) => unknown)(db!, ...request.args);
      case "export-next": {
        let pages = streams.get(request.stream);
        if (!pages) streams.set(request.stream, (pages = exportPages(db!, request.filter)));
        const next = pages.next();
        if (!next.done) return next.value;
        streams.delete(request.stream);
        return null;
      }
      case "export-cancel":
        streams.get(request.stream)?.return(undefined);
        streams.delete(request.stream);
        return null;
    }
  },
);
