/**
 * Worker thread: the heavy reads, on a connection of its own. A link's analytics over a
 * million clicks takes seconds of CPU, and a CSV export of them hundreds of megabytes of
 * formatting; on the server's thread every recruiter's redirect would wait for them. WAL
 * lets this read-only connection read while the server writes. The server moves waiting
 * redirect clicks out of the inbox before it asks (this connection cannot write).
 *
 * The thread runs at the lowest CPU priority (nice 19, this thread only): on a small VPS
 * it takes what the server's thread leaves, never the other way round.
 */
import { Database } from "bun:sqlite";
import { setPriority } from "node:os";
import { drizzle } from "drizzle-orm/bun-sqlite";
import { BUSY_TIMEOUT_MS, schema, type Db } from "../../db";
import type { ExportFilter } from "../../db/clicks";
import { AppError } from "../../lib/errors";
import { clicksCsv } from "./export";
import type { AnalyticsQuery } from "./model";
import { linkAnalytics } from "./service";

declare const self: Worker;

export type ReadRequest =
  | { id: number; type: "analytics"; path: string; trackingId: string; query: AnalyticsQuery; now: number }
  /** The next chunk of export `stream` as UTF-8 bytes (the first call starts it); null when it has ended. */
  | { id: number; type: "csv-next"; path: string; stream: number; filter: ExportFilter }
  | { id: number; type: "csv-cancel"; stream: number };

export type ReadAnswer =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { code: AppError["code"] | null; message: string; details: Record<string, unknown> } };

try {
  setPriority(19);
} catch {
  // Not allowed here: the thread runs at the server's priority.
}

let db: Db | null = null;
const streams = new Map<number, Generator<string>>();
const utf8 = new TextEncoder();

function open(path: string): Db {
  const sqlite = new Database(path, { readonly: true });
  sqlite.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  return drizzle({ client: sqlite, schema }) as unknown as Db;
}

function answer(request: ReadRequest): unknown {
  switch (request.type) {
    case "analytics":
      db ??= open(request.path);
      return linkAnalytics(db, request.trackingId, request.query, request.now);
    case "csv-next": {
      db ??= open(request.path);
      let chunks = streams.get(request.stream);
      if (!chunks) streams.set(request.stream, (chunks = clicksCsv(db, request.filter)));
      const next = chunks.next();
      // Encoded here and handed over (transferred, not copied): the server's thread only writes the bytes out.
      if (!next.done) return utf8.encode(next.value);
      streams.delete(request.stream);
      return null;
    }
    case "csv-cancel":
      streams.get(request.stream)?.return(undefined);
      streams.delete(request.stream);
      return null;
  }
}

self.onmessage = (event: MessageEvent<ReadRequest>) => {
  const { id } = event.data;
  let reply: ReadAnswer;
  try {
    reply = { id, ok: true, value: answer(event.data) };
  } catch (error) {
    reply =
      error instanceof AppError
        ? { id, ok: false, error: { code: error.code, message: error.message, details: error.details } }
        : { id, ok: false, error: { code: null, message: (error as Error)?.message ?? String(error), details: {} } };
  }
  self.postMessage(reply, reply.ok && reply.value instanceof Uint8Array ? [reply.value.buffer as ArrayBuffer] : []);
};
