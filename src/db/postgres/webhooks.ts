/**
 * Webhook endpoints and their deliveries on PostgreSQL: claimed with a lease, one instance each.
 */
import { and, asc, eq, sql } from "drizzle-orm";
import type { Delivery, Endpoint, SignalType, WebhookRepository } from "../store";
import { iso, isoOrNull, jsonb, num } from "./rows";
import { LOCKS, PgContext } from "./context";
import { webhookEndpoints } from "./schema";

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
  const deliveryColumns = (prefix: string) =>
    sql.raw(
      ["seq", "event_seq as \"eventSeq\"", "endpoint_id as \"endpointId\"", "tracking_id as \"trackingId\"", "status", "attempts",
        "first_attempt_at as \"firstAttemptAt\"", "next_attempt_at as \"nextAttemptAt\"", "last_attempt_at as \"lastAttemptAt\"",
        "last_status as \"lastStatus\"", "last_error as \"lastError\"", "delivered_at as \"deliveredAt\""]
        .map((c) => `${prefix}.${c}`)
        .join(", "),
    );
  const deliveryOf = (r: Record<string, unknown>): Delivery => ({
    seq: num(r.seq),
    eventSeq: num(r.eventSeq),
    endpointId: r.endpointId as string,
    trackingId: r.trackingId as string,
    status: r.status as Delivery["status"],
    attempts: num(r.attempts),
    firstAttemptAt: isoOrNull(r.firstAttemptAt),
    nextAttemptAt: iso(r.nextAttemptAt),
    lastAttemptAt: isoOrNull(r.lastAttemptAt),
    lastStatus: r.lastStatus === null ? null : num(r.lastStatus),
    lastError: (r.lastError as string | null) ?? null,
    deliveredAt: isoOrNull(r.deliveredAt),
  });
  const deliverySets = (changes: Partial<Omit<Delivery, "seq">>) => {
    const columns: Record<string, [string, string | null]> = {
      status: ["status", null],
      attempts: ["attempts", null],
      firstAttemptAt: ["first_attempt_at", "timestamptz"],
      nextAttemptAt: ["next_attempt_at", "timestamptz"],
      lastAttemptAt: ["last_attempt_at", "timestamptz"],
      lastStatus: ["last_status", null],
      lastError: ["last_error", null],
      deliveredAt: ["delivered_at", "timestamptz"],
    };
    return Object.entries(changes)
      .filter(([key, value]) => columns[key] && value !== undefined)
      .map(([key, value]) => {
        const [column, cast] = columns[key];
        return cast ? sql`${sql.raw(column)} = ${value}::${sql.raw(cast)}` : sql`${sql.raw(column)} = ${value}`;
      });
  };
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
        await ctx.all(sql`delete from link_tracker.webhook_deliveries where endpoint_id = ${id}`, tx);
        return (await ctx.all(sql`delete from link_tracker.webhook_endpoints where id = ${id} returning 1 as one`, tx)).length > 0;
      }),
    // One instance schedules at a time; its cursor is read (and locked) from the database, not from the caller's copy.
    schedule: (endpoint, now) =>
      ctx.transaction(async (tx) => {
        const [lock] = await ctx.all<{ ok: boolean }>(sql`select pg_try_advisory_xact_lock(${LOCKS.schedule}) as ok`, tx);
        if (!lock?.ok) return;
        const current = await ctx.one<{ scanned: unknown; types: string[] }>(
          sql`select scanned_seq as scanned, event_types as types from link_tracker.webhook_endpoints where id = ${endpoint.id} and active for update`,
          tx,
        );
        if (!current) return;
        const events = await ctx.all<{ seq: unknown; type: string; trackingId: string }>(
          sql`select seq, type, tracking_id as "trackingId" from link_tracker.signal_events
              where seq > ${num(current.scanned)} and cancelled_at is null and deliver_after <= ${now}::timestamptz order by seq limit 500`,
          tx,
        );
        if (events.length === 0) return;
        const wanted = events.filter((e) => current.types.includes(e.type)).map((e) => ({ event_seq: num(e.seq), tracking_id: e.trackingId }));
        if (wanted.length > 0) {
          await ctx.all(
            sql`insert into link_tracker.webhook_deliveries (event_seq, endpoint_id, tracking_id, next_attempt_at)
                select r.event_seq, ${endpoint.id}, r.tracking_id, ${now}::timestamptz from jsonb_to_recordset(${jsonb(wanted)}) as r(event_seq bigint, tracking_id text)
                order by r.event_seq
                on conflict do nothing`,
            tx,
          );
        }
        await ctx.all(sql`update link_tracker.webhook_endpoints set scanned_seq = ${num(events.at(-1)!.seq)} where id = ${endpoint.id}`, tx);
      }),
    // Claimed for this instance until the lease ends: no other instance sends them meanwhile.
    dueDeliveries: async (now, limit) => {
      const rows = await ctx.all<Record<string, unknown>>(
        sql`with due as (
              select seq from link_tracker.webhook_deliveries w
              where status = 'pending' and next_attempt_at <= ${now}::timestamptz and (leased_until is null or leased_until < now())
                and exists (select 1 from link_tracker.webhook_endpoints e where e.id = w.endpoint_id and e.active and e.paused_at is null)
                and not exists (select 1 from link_tracker.webhook_deliveries d2 where d2.endpoint_id = w.endpoint_id
                  and d2.tracking_id = w.tracking_id and d2.status = 'pending' and d2.event_seq < w.event_seq)
              order by event_seq limit ${limit} for update skip locked)
            update link_tracker.webhook_deliveries d set leased_until = now() + ${leaseMs} * interval '1 millisecond', leased_by = ${ctx.shared.instanceId}
            from due where d.seq = due.seq
            returning ${deliveryColumns("d")}`,
      );
      return rows.map(deliveryOf).sort((a, b) => a.eventSeq - b.eventSeq);
    },
    recordAttempt: async (seq, changes) => {
      const sets = [...deliverySets(changes), sql`leased_until = null`, sql`leased_by = null`];
      await ctx.all(sql`update link_tracker.webhook_deliveries set ${sql.join(sets, sql`, `)} where seq = ${seq}`);
    },
    deliveriesOf: async (id, limit) =>
      (
        await ctx.all<Record<string, unknown>>(
          sql`select ${deliveryColumns("d")}, s.event_id as "eventId", s.type from link_tracker.webhook_deliveries d
              join link_tracker.signal_events s on s.seq = d.event_seq
              where d.endpoint_id = ${id} order by d.seq desc limit ${limit}`,
        )
      ).map((r) => ({ delivery: deliveryOf(r), eventId: r.eventId as string, type: r.type as SignalType })),
    findDelivery: async (id, seq) => {
      const r = await ctx.one<Record<string, unknown>>(sql`select ${deliveryColumns("d")} from link_tracker.webhook_deliveries d where d.endpoint_id = ${id} and d.seq = ${seq}`);
      return r ? deliveryOf(r) : undefined;
    },
  };
}
