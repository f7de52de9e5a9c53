/** The signal_events, webhook_endpoints and webhook_deliveries tables. */
import { and, asc, desc, eq, gt, gte, inArray, isNull, lte, sql } from "drizzle-orm";
import { changes, perDb, type Db } from "./index";
import { signalEvents, webhookDeliveries, webhookEndpoints } from "./schema";

export type SignalRow = typeof signalEvents.$inferSelect;
export type EndpointRow = typeof webhookEndpoints.$inferSelect;
export type DeliveryRow = typeof webhookDeliveries.$inferSelect;

const SIGNAL_COLUMNS = "event_id, type, created_at, deliver_after, click_id, tracking_id, subject, payload, cancelled_at";

/**
 * The events of redirect clicks wait with their clicks in the inbox's file
 * (inbox.signal_inbox, made by inbox.ts): a redirect's commit, a link's first human click
 * included, never takes the main database's lock. They move into signal_events with the
 * inbox's clicks, and whenever the events are read (moveSignals). Ingested clicks' events
 * go straight to signal_events.
 */
const statements = (db: Db) =>
  perDb(db, "signal-events", () => ({
    insert: db.$client.prepare(`insert into main.signal_events (${SIGNAL_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    insertWaiting: db.$client.prepare(`insert into inbox.signal_inbox (${SIGNAL_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    exists: db.$client.prepare<{ one: number }, [string, string, string, string]>(
      `select 1 as one from main.signal_events where type = ? and subject = ? and cancelled_at is null
       union all select 1 from inbox.signal_inbox where type = ? and subject = ? and cancelled_at is null limit 1`,
    ),
    anyWaiting: db.$client.prepare<{ one: number }, []>("select 1 as one from inbox.signal_inbox limit 1"),
    move: db.$client.prepare(
      `insert into main.signal_events (${SIGNAL_COLUMNS}) select ${SIGNAL_COLUMNS} from inbox.signal_inbox where true order by seq
       on conflict (event_id) do nothing`,
    ),
    removeWaiting: db.$client.prepare("delete from inbox.signal_inbox"),
  }));

export const hasWaitingSignals = (db: Db): boolean => statements(db).anyWaiting.get() !== null;

/** Moves the events waiting in the inbox's file into signal_events (in the caller's transaction, or one of its own). */
export function moveSignals(db: Db): void {
  const s = statements(db);
  if (!s.anyWaiting.get()) return;
  const move = () => {
    s.move.run();
    s.removeWaiting.run();
  };
  if (db.$client.inTransaction) move();
  else db.$client.transaction(move).immediate();
}

/** Stores an event: in signal_events, or (`waiting`: a redirect's commit) beside its click in the inbox's file. */
export function insertSignal(db: Db, row: typeof signalEvents.$inferInsert, waiting = false): void {
  const s = statements(db);
  (waiting ? s.insertWaiting : s.insert).run(
    row.eventId,
    row.type,
    row.createdAt,
    row.deliverAfter,
    row.clickId,
    row.trackingId,
    row.subject,
    JSON.stringify(row.payload),
    row.cancelledAt ?? null,
  );
}

export const signalExists = (db: Db, type: SignalRow["type"], subject: string): boolean => statements(db).exists.get(type, subject, type, subject) !== null;

/** Withdraws the events of clicks found to be a scanner's; events already delivered stay delivered. */
export function cancelSignalsOf(db: Db, clickIds: string[], at: string): number {
  if (clickIds.length === 0) return 0;
  moveSignals(db);
  return changes(
    db
      .update(signalEvents)
      .set({ cancelledAt: at })
      .where(and(inArray(signalEvents.clickId, clickIds), isNull(signalEvents.cancelledAt), sql`${signalEvents.deliverAfter} > ${at}`))
      .run(),
  );
}

/** Events that are due (held long enough, not withdrawn), after a cursor, in order. */
export function dueSignals(db: Db, afterSeq: number, now: string, limit: number): SignalRow[] {
  return db
    .select()
    .from(signalEvents)
    .where(and(gt(signalEvents.seq, afterSeq), isNull(signalEvents.cancelledAt), lte(signalEvents.deliverAfter, now)))
    .orderBy(asc(signalEvents.seq))
    .limit(limit)
    .all();
}

export const maxSignalSeq = (db: Db): number => db.select({ m: sql<number>`coalesce(max(${signalEvents.seq}), 0)` }).from(signalEvents).get()!.m;

export function firstSignalSeqSince(db: Db, at: string): number | null {
  return db.select({ seq: signalEvents.seq }).from(signalEvents).where(gte(signalEvents.createdAt, at)).orderBy(asc(signalEvents.createdAt)).limit(1).get()?.seq ?? null;
}

export function signalBySeq(db: Db, seq: number): SignalRow | undefined {
  return db.select().from(signalEvents).where(eq(signalEvents.seq, seq)).get();
}

export function signalsOfClick(db: Db, clickId: string): SignalRow[] {
  return db.select().from(signalEvents).where(eq(signalEvents.clickId, clickId)).orderBy(asc(signalEvents.seq)).all();
}

export function insertEndpoint(db: Db, row: typeof webhookEndpoints.$inferInsert): EndpointRow {
  return db.insert(webhookEndpoints).values(row).returning().get();
}

export const listEndpoints = (db: Db): EndpointRow[] => db.select().from(webhookEndpoints).orderBy(webhookEndpoints.createdAt).all();

export const findEndpoint = (db: Db, id: string): EndpointRow | undefined => db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)).get();

export function updateEndpoint(db: Db, id: string, changes: Partial<typeof webhookEndpoints.$inferInsert>): EndpointRow | undefined {
  return db.update(webhookEndpoints).set(changes).where(eq(webhookEndpoints.id, id)).returning().get();
}

export function deleteEndpoint(db: Db, id: string): boolean {
  return db.transaction((tx) => {
    tx.delete(webhookDeliveries).where(eq(webhookDeliveries.endpointId, id)).run();
    return changes(tx.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id)).run()) > 0;
  });
}

/** Creates the deliveries of the events an active endpoint has not seen yet. */
export function scheduleDeliveries(db: Db, endpoint: EndpointRow, now: string): void {
  moveSignals(db);
  const events = dueSignals(db, endpoint.scannedSeq, now, 500);
  if (events.length === 0) return;
  db.transaction((tx) => {
    for (const e of events) {
      if (!endpoint.eventTypes.includes(e.type)) continue;
      tx.insert(webhookDeliveries)
        .values({ eventSeq: e.seq, endpointId: endpoint.id, trackingId: e.trackingId, nextAttemptAt: now })
        .onConflictDoNothing()
        .run();
    }
    tx.update(webhookEndpoints).set({ scannedSeq: events[events.length - 1].seq }).where(eq(webhookEndpoints.id, endpoint.id)).run();
  });
}

/**
 * Deliveries due now, oldest event first, and only the first pending one of each
 * (endpoint, link): a link's events reach a receiver in the order they happened.
 */
export function dueDeliveries(db: Db, now: string, limit: number): DeliveryRow[] {
  return db
    .select()
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.status, "pending"),
        lte(webhookDeliveries.nextAttemptAt, now),
        sql`not exists (select 1 from webhook_deliveries d2 where d2.endpoint_id = ${webhookDeliveries.endpointId}
          and d2.tracking_id = ${webhookDeliveries.trackingId} and d2.status = 'pending' and d2.event_seq < ${webhookDeliveries.eventSeq})`,
        // A paused or switched-off endpoint's deliveries wait, and keep no other endpoint's from their turn.
        sql`exists (select 1 from webhook_endpoints e where e.id = ${webhookDeliveries.endpointId} and e.active = 1 and e.paused_at is null)`,
      ),
    )
    .orderBy(asc(webhookDeliveries.eventSeq))
    .limit(limit)
    .all();
}

export function recordAttempt(db: Db, seq: number, changes: Partial<typeof webhookDeliveries.$inferInsert>): void {
  db.update(webhookDeliveries).set(changes).where(eq(webhookDeliveries.seq, seq)).run();
}

export function deliveriesOf(db: Db, endpointId: string, limit: number) {
  return db
    .select({ delivery: webhookDeliveries, eventId: signalEvents.eventId, type: signalEvents.type })
    .from(webhookDeliveries)
    .innerJoin(signalEvents, eq(signalEvents.seq, webhookDeliveries.eventSeq))
    .where(eq(webhookDeliveries.endpointId, endpointId))
    .orderBy(desc(webhookDeliveries.seq))
    .limit(limit)
    .all();
}

export function findDelivery(db: Db, endpointId: string, seq: number): DeliveryRow | undefined {
  return db.select().from(webhookDeliveries).where(and(eq(webhookDeliveries.endpointId, endpointId), eq(webhookDeliveries.seq, seq))).get();
}

export function claimDigest(db: Db, id: string, day: string): boolean {
  return (
    changes(
      db
        .update(webhookEndpoints)
        .set({ digestDay: day })
        .where(and(eq(webhookEndpoints.id, id), sql`(${webhookEndpoints.digestDay} is null or ${webhookEndpoints.digestDay} < ${day})`))
        .run(),
    ) > 0
  );
}
