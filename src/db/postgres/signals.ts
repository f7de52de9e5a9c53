/**
 * The events signal_events holds on PostgreSQL: withdrawn, due, by seq, since a time.
 */
import { sql, type SQL } from "drizzle-orm";
import type { Signal, SignalRepository } from "../store";
import { iso, isoOrNull, isUuid, jsonb, num } from "./rows";
import type { PgContext } from "./context";

/** Withdraws the events of these clicks not yet due at `at`: a row per event withdrawn. */
export function cancelSignalsOf(clickIds: string[], at: string): SQL {
  return sql`update link_tracker.signal_events set cancelled_at = ${at}::timestamptz
    where click_id in (select (jsonb_array_elements_text(${jsonb(clickIds)}))::uuid) and cancelled_at is null and deliver_after > ${at}::timestamptz
    returning 1 as one`;
}

export function signalRepository(ctx: PgContext): SignalRepository {
  const columns = sql.raw(`seq, event_id as "eventId", type, created_at as "createdAt", deliver_after as "deliverAfter", click_id::text as "clickId",
    tracking_id as "trackingId", subject, payload, cancelled_at as "cancelledAt"`);
  const signalOf = (r: Record<string, unknown>): Signal =>
    ({ ...r, seq: num(r.seq), createdAt: iso(r.createdAt), deliverAfter: iso(r.deliverAfter), cancelledAt: isoOrNull(r.cancelledAt) }) as Signal;
  return {
    cancelOf: async (ids, at) => {
      const clickIds = ids.filter(isUuid);
      return clickIds.length === 0 ? 0 : (await ctx.all(cancelSignalsOf(clickIds, at))).length;
    },
    due: async (after, now, limit) =>
      (
        await ctx.all<Record<string, unknown>>(
          sql`select ${columns} from link_tracker.signal_events
              where seq > ${after} and cancelled_at is null and deliver_after <= ${now}::timestamptz order by seq limit ${limit}`,
        )
      ).map(signalOf),
    maxSeq: async () => num((await ctx.one<{ m: unknown }>(sql`select coalesce(max(seq), 0) as m from link_tracker.signal_events`))?.m),
    firstSeqSince: async (at) => {
      const r = await ctx.one<{ seq: unknown }>(
        sql`select seq from link_tracker.signal_events where created_at >= ${at}::timestamptz order by created_at, seq limit 1`,
      );
      return r ? num(r.seq) : null;
    },
    ofClick: async (clickId) =>
      isUuid(clickId)
        ? (await ctx.all<Record<string, unknown>>(sql`select ${columns} from link_tracker.signal_events where click_id = ${clickId}::uuid order by seq`)).map(signalOf)
        : [],
    bySeq: async (seq) => {
      const r = await ctx.one<Record<string, unknown>>(sql`select ${columns} from link_tracker.signal_events where seq = ${seq}`);
      return r ? signalOf(r) : undefined;
    },
  };
}
