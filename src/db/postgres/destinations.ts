/**
 * The link_destinations table on PostgreSQL: the last check of each link's destination,
 * its down or up event, and the background checks' turn (one instance at a time).
 */
import { and, asc, eq, gt, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { DestinationRepository, DestinationState, Store } from "../store";
import { LOCKS, type PgContext, type Q } from "./context";
import { linkOf } from "./links";
import { iso, isoOrNull } from "./rows";
import { linkDestinations, linkTracking } from "./schema";
import { insertSignals } from "./signal-facts";

type Row = typeof linkDestinations.$inferSelect;

const stateOf = (r: Row): DestinationState => ({ ...r, checkedAt: iso(r.checkedAt), downSince: isoOrNull(r.downSince) });

const live = (now: string) => and(eq(linkTracking.isActive, true), or(isNull(linkTracking.expiresAt), gt(linkTracking.expiresAt, now)));

/** `storeOf` makes the store of a transaction (the background checks' turn runs in one). */
export function destinationRepository(ctx: PgContext, storeOf: (tx: Q) => Store): DestinationRepository {
  const of = async (ids: string[], q: Q = ctx.db) =>
    ids.length === 0
      ? new Map<string, DestinationState>()
      : new Map((await ctx.guard(() => q.select().from(linkDestinations).where(inArray(linkDestinations.trackingId, ids)))).map((r) => [r.trackingId, stateOf(r)]));
  return {
    of: (ids) => of(ids),
    record: (trackingId, next) =>
      ctx.transaction(async (tx) => {
        const [link] = await ctx.guard(() => tx.select().from(linkTracking).where(eq(linkTracking.trackingId, trackingId)).for("share"));
        if (!link) return undefined;
        // Another instance's check of the same link waits here, and then sees this one's.
        const [before] = await ctx.guard(() => tx.select().from(linkDestinations).where(eq(linkDestinations.trackingId, trackingId)).for("update"));
        const decided = next(before && stateOf(before), linkOf(link));
        if (!decided) return before && stateOf(before);
        const { state, signal } = decided;
        await ctx.guard(() => tx.insert(linkDestinations).values(state).onConflictDoUpdate({ target: linkDestinations.trackingId, set: state }));
        if (signal) await insertSignals(ctx, tx, [signal]);
        return state;
      }, ctx.inTx ? ctx.db : undefined),
    down: async (now, limit) => {
      const rows = await ctx.guard(() =>
        ctx.db
          .select({ state: linkDestinations, link: linkTracking })
          .from(linkDestinations)
          .innerJoin(linkTracking, eq(linkTracking.trackingId, linkDestinations.trackingId))
          .where(and(sql`${linkDestinations.down}`, live(now)))
          .orderBy(asc(linkDestinations.downSince), asc(linkDestinations.trackingId))
          .limit(limit),
      );
      return rows.map((r) => ({ link: linkOf(r.link), state: stateOf(r.state) }));
    },
    forget: async (trackingId) => {
      await ctx.guard(() => ctx.db.delete(linkDestinations).where(eq(linkDestinations.trackingId, trackingId)));
    },
    failing: (before, limit, now) =>
      ctx.guard(() =>
        ctx.db
          .select({ trackingId: linkTracking.trackingId, originalUrl: linkTracking.originalUrl })
          .from(linkDestinations)
          .innerJoin(linkTracking, eq(linkTracking.trackingId, linkDestinations.trackingId))
          .where(and(sql`not ${linkDestinations.ok} and not ${linkDestinations.down}`, lt(linkDestinations.checkedAt, before), live(now)))
          .orderBy(asc(linkDestinations.checkedAt))
          .limit(limit),
      ),
    activeAfter: (after, limit, now) =>
      ctx.guard(() =>
        ctx.db
          .select({ trackingId: linkTracking.trackingId, originalUrl: linkTracking.originalUrl })
          .from(linkTracking)
          .where(and(after === null ? sql`true` : gt(linkTracking.trackingId, after), live(now)))
          .orderBy(asc(linkTracking.trackingId))
          .limit(limit),
      ),
    inTurn: (work) =>
      ctx.transaction(async (tx) => {
        const [turn] = await ctx.all<{ taken: boolean }>(sql`select pg_try_advisory_xact_lock(${LOCKS.destinations}) as taken`, tx);
        return turn?.taken ? work(storeOf(tx)) : null;
      }),
  };
}
