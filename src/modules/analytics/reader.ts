/**
 * Worker thread: a link's analytics, read on a connection of its own. Over a million
 * clicks its breakdowns take seconds of CPU; on the server's thread every recruiter's
 * redirect would wait for them. WAL lets this read-only connection read while the
 * server writes. The server moves waiting redirect clicks out of the inbox before it
 * asks (this connection cannot write).
 */
import { Database } from "bun:sqlite";
import { drizzle } from "drizzle-orm/bun-sqlite";
import { BUSY_TIMEOUT_MS, schema, type Db } from "../../db";
import { AppError } from "../../lib/errors";
import type { AnalyticsQuery } from "./model";
import { linkAnalytics } from "./service";

declare const self: Worker;

export type ReadRequest = { id: number; path: string; trackingId: string; query: AnalyticsQuery; now: number };
export type ReadAnswer =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { code: AppError["code"] | null; message: string; details: Record<string, unknown> } };

let db: Db | null = null;

function open(path: string): Db {
  const sqlite = new Database(path, { readonly: true });
  sqlite.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  return drizzle({ client: sqlite, schema }) as unknown as Db;
}

self.onmessage = (event: MessageEvent<ReadRequest>) => {
  const { id, path, trackingId, query, now } = event.data;
  let answer: ReadAnswer;
  try {
    db ??= open(path);
    answer = { id, ok: true, value: linkAnalytics(db, trackingId, query, now) };
  } catch (error) {
    answer =
      error instanceof AppError
        ? { id, ok: false, error: { code: error.code, message: error.message, details: error.details } }
        : { id, ok: false, error: { code: null, message: (error as Error)?.message ?? String(error), details: {} } };
  }
  self.postMessage(answer);
};
