/**
 * Webhook endpoints and their deliveries on PostgreSQL: claimed with a lease, one instance
 * each; read and written through the drizzle tables (schema.ts).
 */
import { and, asc, desc, eq, exists, getTableColumns, gt, inArray, isNull, lt, lte, notExists, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { Delivery, Endpoint, WebhookRepository } from "../store";
import { iso, isoOrNull } from "./rows";
import { LOCKS, PgContext } from "./context";
import { signalEvents, webhookDeliveries, webhookEndpoints } from "./schema";

/** A delivery's columns as the store shows them (the lease is the table's own). */
const { leasedUntil: _leasedUntil, leasedBy: _leasedBy, ...DELIVERY } = getTableColumns(webhookDeliveries);
type DeliveryRow = Omit<typeof webhookDeliveries.$inferSelect, "leasedUntil" | "leasedBy">;

export function webhookRepository(ctx: PgContext): WebhookRepository {
  const endpointOf = (r: typeof webhookEndpoints.$inferSelect): Endpoint => ({
    ...r,
    format: r.format as Endpoint["format"],
    createdAt: iso(r.createdAt),
    pausedAt: isoOrNull(r.pausedAt),
  });
  const endpoint = async (id: string) => {
    const [r] = await ctx.guard(() => ctx.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)));
    return r ? endpointOf(r) : undefined;
  };
  const deliveryOf = (r: DeliveryRow): Delivery => ({
    ...r,
    status: r.status as Delivery["status"],
    firstAttemptAt: isoOrNull(r.firstAttemptAt),
    nextAttemptAt: iso(r.nextAttemptAt),
    lastAttemptAt: isoOrNull(r.lastAttemptAt),
    deliveredAt: isoOrNull(r.deliveredAt),
  });
  const leaseMs = ctx.shared.options.deliveryLeaseMs ?? 60_000;
  return {
    insert: async (e) => endpointOf((await ctx.guard(() => ctx.db.insert(webhookEndpoints).values(e).returning()))[0]!),
    list: async () => (await ctx.guard(() => ctx.db.select().from(webhookEndpoints).orderBy(asc(webhookEndpoints.createdAt), asc(webhookEndpoints.id)))).map(endpointOf),
    find: endpoint,
    claimDigest: async (id, day) =>
      (await ctx.guard(() =>
        ctx.db
          .update(webhookEndpoints)
          .set({ digestDay: day })
          .where(and(eq(webhookEndpoints.id, id), sql`(${webhookEndpoints.digestDay} is null or ${webhookEndpoints.digestDay} < ${day})`))
          .returning({ id: webhookEndpoints.id }),
      )).length > 0,
    update: async (id, changes) => {
      if (Object.keys(changes).length === 0) return endpoint(id);
      const [r] = await ctx.guard(() => ctx.db.update(webhookEndpoints).set(changes).where(eq(webhookEndpoints.id, id)).returning());
      return r ? endpointOf(r) : undefined;
    },
    delete: (id) =>
      ctx.transaction(async (tx) => {
        await tx.delete(webhookDeliveries).where(eq(webhookDeliveries.endpointId, id));
        return (await tx.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id)).returning({ id: webhookEndpoints.id })).length > 0;
      }),
    // One instance schedules at a time; its cursor is read (and locked) from the database, not from the caller's copy.
    schedule: (endpoint, now) =>
      ctx.transaction(async (tx) => {
        const [lock] = await ctx.all<{ ok: boolean }>(sql`select pg_try_advisory_xact_lock(${LOCKS.schedule}) as ok`, tx);
        if (!lock?.ok) return;
        const [current] = await tx
          .select({ scanned: webhookEndpoints.scannedSeq, types: webhookEndpoints.eventTypes })
          .from(webhookEndpoints)
          .where(and(eq(webhookEndpoints.id, endpoint.id), eq(webhookEndpoints.active, true)))
          .for("update");
        if (!current) return;
        const events = await tx
          .select({ seq: signalEvents.seq, type: signalEvents.type, trackingId: signalEvents.trackingId })
          .from(signalEvents)
          .where(and(gt(signalEvents.seq, current.scanned), isNull(signalEvents.cancelledAt), lte(signalEvents.deliverAfter, now)))
          .orderBy(asc(signalEvents.seq))
          .limit(500);
        if (events.length === 0) return;
        const wanted = events.filter((e) => current.types.includes(e.type)).map((e) => ({ eventSeq: e.seq, endpointId: endpoint.id, trackingId: e.trackingId, nextAttemptAt: now }));
        if (wanted.length > 0) await tx.insert(webhookDeliveries).values(wanted).onConflictDoNothing();
        await tx.update(webhookEndpoints).set({ scannedSeq: events.at(-1)!.seq }).where(eq(webhookEndpoints.id, endpoint.id));
      }),
    // Claimed for this instance until the lease ends: no other instance sends them meanwhile.
    dueDeliveries: async (now, limit) => {
      const w = alias(webhookDeliveries, "w");
      const earlier = alias(webhookDeliveries, "d2");
      const due = ctx.db
        .select({ seq: w.seq })
        .from(w)
        .where(
          and(
            eq(w.status, "pending"),
            lte(w.nextAttemptAt, now),
            sql`(${w.leasedUntil} is null or ${w.leasedUntil} < now())`,
            exists(ctx.db.select({ one: sql`1` }).from(webhookEndpoints).where(and(eq(webhookEndpoints.id, w.endpointId), eq(webhookEndpoints.active, true), isNull(webhookEndpoints.pausedAt)))),
            // One at a time per link and endpoint, in the order of their events.
            notExists(
              ctx.db
                .select({ one: sql`1` })
                .from(earlier)
                .where(and(eq(earlier.endpointId, w.endpointId), eq(earlier.trackingId, w.trackingId), eq(earlier.status, "pending"), lt(earlier.eventSeq, w.eventSeq))),
            ),
          ),
        )
        .orderBy(asc(w.eventSeq))
        .limit(limit)
        .for("update", { skipLocked: true });
      const rows = await ctx.guard(() =>
        ctx.db
          .update(webhookDeliveries)
          .set({ leasedUntil: sql`now() + ${leaseMs} * interval '1 millisecond'`, leasedBy: ctx.shared.instanceId })
          .where(inArray(webhookDeliveries.seq, due))
          .returning(DELIVERY),
      );
      return rows.map(deliveryOf).sort((a, b) => a.eventSeq - b.eventSeq);
    },
    recordAttempt: async (seq, changes) => {
      await ctx.guard(() => ctx.db.update(webhookDeliveries).set({ ...changes, leasedUntil: null, leasedBy: null }).where(eq(webhookDeliveries.seq, seq)));
    },
    deliveriesOf: async (id, limit) =>
      (
        await ctx.guard(() =>
          ctx.db
            .select({ ...DELIVERY, eventId: signalEvents.eventId, type: signalEvents.type })
            .from(webhookDeliveries)
            .innerJoin(signalEvents, eq(signalEvents.seq, webhookDeliveries.eventSeq))
            .where(eq(webhookDeliveries.endpointId, id))
            .orderBy(desc(webhookDeliveries.seq))
            .limit(limit),
        )
      ).map(({ eventId, type, ...r }) => ({ delivery: deliveryOf(r), eventId, type })),
    findDelivery: async (id, seq) => {
      const [r] = await ctx.guard(() => ctx.db.select(DELIVERY).from(webhookDeliveries).where(and(eq(webhookDeliveries.endpointId, id), eq(webhookDeliveries.seq, seq))));
      return r ? deliveryOf(r) : undefined;
    },
  };
}
