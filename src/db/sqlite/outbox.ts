/** The edge_outbox and edge_dead_letters tables (edge mode). */
import { asc, count, inArray, min, sql } from "drizzle-orm";
import { perDb, type Db } from "./index";
import { edgeDeadLetters, edgeOutbox } from "./schema";

export type OutboxEvent = Record<string, unknown> & { event_id: string };
export type OutboxRow = { seq: number; eventId: string; event: OutboxEvent };

/** Adds events in one transaction; an event already queued (same event_id) is not added twice. */
export function enqueue(db: Db, events: OutboxEvent[], at: string): void {
  const insert = perDb(db, "outbox-insert", () =>
    db.$client.prepare("insert into edge_outbox (event_id, event, created_at) values (?, ?, ?) on conflict (event_id) do nothing"),
  );
  db.$client.transaction(() => {
    for (const e of events) insert.run(e.event_id, JSON.stringify(e), at);
  }).immediate();
}

/** The oldest `limit` events, in order. */
export function peek(db: Db, limit: number): OutboxRow[] {
  return db
    .select({ seq: edgeOutbox.seq, eventId: edgeOutbox.eventId, event: edgeOutbox.event })
    .from(edgeOutbox)
    .orderBy(asc(edgeOutbox.seq))
    .limit(limit)
    .all() as OutboxRow[];
}

/**
 * Settles a shipped batch in one transaction: the acknowledged leave the outbox, the
 * rejected move to the dead letters with the upstream's reason.
 */
export function settle(db: Db, acknowledged: number[], rejected: { row: OutboxRow; reason: string }[], at: string): void {
  db.transaction(
    (tx) => {
      const done = [...acknowledged, ...rejected.map((r) => r.row.seq)];
      for (let i = 0; i < done.length; i += 500) tx.delete(edgeOutbox).where(inArray(edgeOutbox.seq, done.slice(i, i + 500))).run();
      for (const { row, reason } of rejected) {
        tx.insert(edgeDeadLetters).values({ eventId: row.eventId, event: row.event, reason: reason.slice(0, 1000), failedAt: at }).run();
      }
    },
    { behavior: "immediate" },
  );
}

export function outboxStatus(db: Db) {
  const pending = db.select({ n: count(), oldest: min(edgeOutbox.createdAt) }).from(edgeOutbox).get()!;
  const dead = db.select({ n: count() }).from(edgeDeadLetters).get()!;
  const recent = db
    .select({ event_id: edgeDeadLetters.eventId, reason: edgeDeadLetters.reason, failed_at: edgeDeadLetters.failedAt })
    .from(edgeDeadLetters)
    .orderBy(sql`${edgeDeadLetters.seq} desc`)
    .limit(10)
    .all();
  return { pending: pending.n, oldest_pending: pending.oldest, dead_letters: dead.n, recent_dead_letters: recent };
}
