/**
 * The events signal_events holds on PostgreSQL: withdrawn, due, by seq, since a time;
 * read through the drizzle table (schema.ts signalEvents).
 */
import { and, asc, eq, gt, gte, isNull, lte, max, sql, type SQL } from "drizzle-orm";
import type { Signal, SignalRepository } from "../store";
import { iso, isoOrNull, isUuid, jsonb } from "./rows";
import type { PgContext } from "./context";
import { signalEvents } from "./schema";

/** Withdraws the events of these clicks not yet due at `at`: a row per event withdrawn. */
export function cancelSignalsOf(clickIds: string[], at: string): SQL {
  return sql`update link_tracker.signal_events set cancelled_at = ${at}::timestamptz
    where click_id in (select (jsonb_array_elements_text(${jsonb(clickIds)}))::uuid) and cancelled_at is null and deliver_after > ${at}::timestamptz
    returning 1 as one`;
}

const signalOf = (r: typeof signalEvents.$inferSelect): Signal => ({ ...r, createdAt: iso(r.createdAt), deliverAfter: iso(r.deliverAfter), cancelledAt: isoOrNull(r.cancelledAt) });

export function signalRepository(ctx: PgContext): SignalRepository {
  const select = () => ctx.db.select().from(signalEvents);
  return {
    cancelOf: async (ids, at) => {
      const clickIds = ids.filter(isUuid);
      return clickIds.length === 0 ? 0 : (await ctx.all(cancelSignalsOf(clickIds, at))).length;
    },
    due: async (after, now, limit) =>
      (
        await ctx.guard(() =>
          select()
            .where(and(gt(signalEvents.seq, after), isNull(signalEvents.cancelledAt), lte(signalEvents.deliverAfter, now)))
            .orderBy(asc(signalEvents.seq))
            .limit(limit),
        )
      ).map(signalOf),
    maxSeq: async () => (await ctx.guard(() => ctx.db.select({ m: max(signalEvents.seq) }).from(signalEvents)))[0]?.m ?? 0,
    firstSeqSince: async (at) => {
      const [r] = await ctx.guard(() =>
        ctx.db.select({ seq: signalEvents.seq }).from(signalEvents).where(gte(signalEvents.createdAt, at)).orderBy(asc(signalEvents.createdAt), asc(signalEvents.seq)).limit(1),
      );
      return r ? r.seq : null;
    },
    ofClick: async (clickId) => (isUuid(clickId) ? (await ctx.guard(() => select().where(eq(signalEvents.clickId, clickId)).orderBy(asc(signalEvents.seq)))).map(signalOf) : []),
    bySeq: async (seq) => {
      const [r] = await ctx.guard(() => select().where(eq(signalEvents.seq, seq)));
      return r ? signalOf(r) : undefined;
    },
  };
}
