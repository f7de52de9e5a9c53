import { sql } from "drizzle-orm";
import { BUSY_TIMEOUT_MS, type Db } from "../../db";

/**
 * Whether writes are getting through. The click recorder and the ingest API report
 * each write; health answers unhealthy while the last one failed, and recovers with
 * the next that succeeds.
 */
export class WriteHealth {
  private failing = false;
  ok(): void {
    this.failing = false;
  }
  failed(): void {
    this.failing = true;
  }
  get writesFailing(): boolean {
    return this.failing;
  }
}

const PROBE_BUSY_MS = 200;

/**
 * Asks the database something real: a read, and a write that changes nothing (it
 * fails when the file is read-only or a lock is held elsewhere); and the last real
 * write must have gone through (a full disk can still rewrite a page it has, but not
 * add one). A health check that never touches the database proves nothing.
 */
export function checkDatabase(db: Db, health?: WriteHealth): boolean {
  const sqlite = db.$client;
  try {
    db.get(sql`select count(*) from link_tracking`);
    sqlite.run(`PRAGMA busy_timeout = ${PROBE_BUSY_MS}`);
    try {
      sqlite.run("UPDATE links_version SET version = version WHERE id = 1");
    } finally {
      sqlite.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
    return !health?.writesFailing;
  } catch {
    return false;
  }
}

/** The seed's health answer (tracking-ingest-guide.md), after a real check of the database. */
export function healthAnswer(db: Db, health: WriteHealth) {
  const healthy = checkDatabase(db, health);
  return {
    status: healthy ? 200 : 503,
    body: { status: healthy ? "healthy" : "unhealthy", service: "tracking_ingest_api", version: INGEST_API_VERSION, timestamp: new Date().toISOString() },
  };
}

export const INGEST_API_VERSION = "1.0.0";
