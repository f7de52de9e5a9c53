/**
 * The link_tracking table: every write and read of links goes through here.
 */
import { and, desc, eq, lt, or, sql, type SQL } from "drizzle-orm";
import { changes, perDb, type Db } from "./index";
import { linkClicks, linkTracking, type LinkRow } from "./schema";

export type NewLink = typeof linkTracking.$inferInsert;

/** The redirect's lookup: one raw prepared primary-key read, mapped by hand (a hot path). */
export function findLink(db: Db, trackingId: string): LinkRow | undefined {
  const stmt = perDb(db, "find-link", () =>
    db.$client.prepare<RawLink, [string]>(
      `select tracking_id as trackingId, job_id as jobId, application_id as applicationId,
        link_function as linkFunction, link_type as linkType, original_url as originalUrl,
        redirect_url as redirectUrl, created_at as createdAt, updated_at as updatedAt,
        created_by as createdBy, is_active as isActive, description, expires_at as expiresAt
       from link_tracking where tracking_id = ?`,
    ),
  );
  const row = stmt.get(trackingId);
  return row ? { ...row, isActive: row.isActive === 1 } : undefined;
}

type RawLink = Omit<LinkRow, "isActive"> & { isActive: number };

export function linkExists(db: Db, trackingId: string): boolean {
  return findLink(db, trackingId) !== undefined;
}

/** Inserts all links in one transaction; throws on any taken id, leaving none written. */
export function insertLinks(db: Db, links: NewLink[]): LinkRow[] {
  return db.transaction((tx) => links.map((link) => tx.insert(linkTracking).values(link).returning().get()), {
    behavior: "immediate",
  });
}

export function updateLink(db: Db, trackingId: string, changes: Partial<NewLink>): LinkRow | undefined {
  return db.update(linkTracking).set(changes).where(eq(linkTracking.trackingId, trackingId)).returning().get();
}

/** Deletes the link and every click recorded for it; returns the number of clicks deleted, or null if no such link. */
export function deleteLinkAndClicks(db: Db, trackingId: string): number | null {
  return db.transaction(
    (tx) => {
      const deleted = tx.delete(linkTracking).where(eq(linkTracking.trackingId, trackingId)).returning().get();
      if (!deleted) return null;
      return changes(tx.delete(linkClicks).where(eq(linkClicks.trackingId, trackingId)).run());
    },
    { behavior: "immediate" },
  );
}

export type LinkFilter = {
  jobId?: string;
  applicationId?: string;
  linkFunction?: string;
  active?: boolean;
  /** Rows strictly after this (created_at, tracking_id) in newest-first order. */
  after?: { createdAt: string; trackingId: string };
  limit: number;
  now: string;
};

/** Newest first, each with its count of redirected human clicks. */
export function listLinks(db: Db, filter: LinkFilter): (LinkRow & { clicks: number })[] {
  const conditions: SQL[] = [];
  if (filter.jobId) conditions.push(eq(linkTracking.jobId, filter.jobId));
  if (filter.applicationId) conditions.push(eq(linkTracking.applicationId, filter.applicationId));
  if (filter.linkFunction) conditions.push(sql`lower(${linkTracking.linkFunction}) = lower(${filter.linkFunction})`);
  if (filter.active !== undefined) {
    const live = sql`(${linkTracking.isActive} = 1 and (${linkTracking.expiresAt} is null or ${linkTracking.expiresAt} > ${filter.now}))`;
    conditions.push(filter.active ? live : sql`not ${live}`);
  }
  if (filter.after) {
    const { createdAt, trackingId } = filter.after;
    conditions.push(
      or(lt(linkTracking.createdAt, createdAt), and(eq(linkTracking.createdAt, createdAt), lt(linkTracking.trackingId, trackingId)))!,
    );
  }
  const clicks = sql<number>`(select count(*) from ${linkClicks} where ${linkClicks.trackingId} = ${linkTracking.trackingId}
    and ${linkClicks.outcome} = 'redirected' and ${linkClicks.visitorKind} = 'human')`;
  return db
    .select({ link: linkTracking, clicks })
    .from(linkTracking)
    .where(and(...conditions))
    .orderBy(desc(linkTracking.createdAt), desc(linkTracking.trackingId))
    .limit(filter.limit)
    .all()
    .map((r) => ({ ...r.link, clicks: r.clicks }));
}

/** Whether some link's tracked URL uses `/{source}?uuid=`: a hit there without a uuid is a cut-off link. */
export function sourceInUse(db: Db, source: string): boolean {
  return (
    db
      .select({ one: sql`1` })
      .from(linkTracking)
      .where(sql`instr(${linkTracking.redirectUrl}, ${`/${source}?uuid=`}) > 0`)
      .limit(1)
      .get() !== undefined
  );
}
