/** The link_destinations table: the last check of each link's destination, and its down or up event. */
import { and, asc, eq, gt, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { DestinationState, DestinationToCheck, Link, NewSignal } from "../store";
import type { Db } from "./index";
import { findLink } from "./links";
import { linkDestinations, linkTracking } from "./schema";
import { insertSignal } from "./signals";

const live = (now: string) => and(eq(linkTracking.isActive, true), or(isNull(linkTracking.expiresAt), gt(linkTracking.expiresAt, now)));

export function destinationsOf(db: Db, trackingIds: string[]): Map<string, DestinationState> {
  if (trackingIds.length === 0) return new Map();
  const rows = db.select().from(linkDestinations).where(inArray(linkDestinations.trackingId, trackingIds)).all();
  return new Map(rows.map((r) => [r.trackingId, r]));
}

/** The check stored and, with it, its event: in the caller's transaction, or one of its own. */
export function recordDestination(
  db: Db,
  trackingId: string,
  next: (before: DestinationState | undefined, link: Link) => { state: DestinationState; signal: NewSignal | null } | null,
): DestinationState | undefined {
  const work = () => {
    const link = findLink(db, trackingId);
    if (!link) return undefined;
    const before = destinationsOf(db, [trackingId]).get(trackingId);
    const decided = next(before, link);
    if (!decided) return before;
    const { state, signal } = decided;
    db.insert(linkDestinations).values(state).onConflictDoUpdate({ target: linkDestinations.trackingId, set: state }).run();
    if (signal) insertSignal(db, signal);
    return state;
  };
  return db.$client.inTransaction ? work() : db.$client.transaction(work).immediate();
}

export function downDestinations(db: Db, now: string, limit: number): { link: Link; state: DestinationState }[] {
  const rows = db
    .select({ state: linkDestinations, trackingId: linkTracking.trackingId })
    .from(linkDestinations)
    .innerJoin(linkTracking, eq(linkTracking.trackingId, linkDestinations.trackingId))
    // Literal, not a parameter: what lets SQLite use the partial index.
    .where(and(sql`${linkDestinations.down} = 1`, live(now)))
    .orderBy(asc(linkDestinations.downSince), asc(linkDestinations.trackingId))
    .limit(limit)
    .all();
  return rows.map((r) => ({ link: findLink(db, r.trackingId)!, state: r.state }));
}

export function forgetDestination(db: Db, trackingId: string): void {
  db.delete(linkDestinations).where(eq(linkDestinations.trackingId, trackingId)).run();
}

export function failingDestinations(db: Db, before: string, limit: number, now: string): DestinationToCheck[] {
  return db
    .select({ trackingId: linkTracking.trackingId, originalUrl: linkTracking.originalUrl })
    .from(linkDestinations)
    .innerJoin(linkTracking, eq(linkTracking.trackingId, linkDestinations.trackingId))
    .where(and(sql`${linkDestinations.ok} = 0 and ${linkDestinations.down} = 0`, lt(linkDestinations.checkedAt, before), live(now)))
    .orderBy(asc(linkDestinations.checkedAt))
    .limit(limit)
    .all();
}

/** The pass's next links, by the primary key: a slice costs what it returns, whatever the number of links. */
export function activeAfter(db: Db, after: string | null, limit: number, now: string): DestinationToCheck[] {
  return db
    .select({ trackingId: linkTracking.trackingId, originalUrl: linkTracking.originalUrl })
    .from(linkTracking)
    .where(and(after === null ? sql`true` : gt(linkTracking.trackingId, after), live(now)))
    .orderBy(asc(linkTracking.trackingId))
    .limit(limit)
    .all();
}
