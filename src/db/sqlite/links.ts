/**
 * The link_tracking table: every write and read of links goes through here.
 */
import { and, desc, eq, lt, or, sql, type SQL } from "drizzle-orm";
import { clicksRewritten } from "./clicks";
import { clicksDeleted, moveApplicationSessions, uncountClicks } from "./rollups";
import { changes, perDb, type Db } from "./index";
import type { Link as LinkRow, LinkChanges, LinkFilter } from "../store";
import { linkClicks, linkTracking } from "./schema";
import { frontHalf, MIN_ORPHAN_LENGTH, oneEditNeighbours, prefixEnd, probableLink } from "../../lib/probable";

/** One raw prepared primary-key read, mapped by hand. */
export function findLink(db: Db, trackingId: string): LinkRow | undefined {
  const stmt = perDb(db, "find-link", () =>
    db.$client.prepare<RawLink, [string]>(
      `select tracking_id as trackingId, job_id as jobId, application_id as applicationId,
        link_function as linkFunction, link_type as linkType, original_url as originalUrl,
        redirect_url as redirectUrl, created_at as createdAt, updated_at as updatedAt,
        created_by as createdBy, is_active as isActive, description, expires_at as expiresAt, short_code as shortCode
       from link_tracking where tracking_id = ?`,
    ),
  );
  const row = stmt.get(trackingId);
  return row ? { ...row, isActive: row.isActive === 1 } : undefined;
}

type RawLink = Omit<LinkRow, "isActive"> & { isActive: number };

/**
 * The redirect's lookup, from memory. A read of the database is slow exactly when it
 * matters: under load the click writer commits all the time, and each of its commits
 * empties this connection's page cache. Entries (unknown ids too) stay valid until a
 * link changes: this process's own writes drop them at once; another process's (the
 * CLI's) are seen through links_version, checked at most every CHECK_EVERY_MS.
 */
const CHECK_EVERY_MS = 100;
const MAX_CACHED = 10_000;

/** Links by id (unknown ids too), and orphan ids' probable links. */
type LinkCache = { entries: Map<string, LinkRow | null>; probable: Map<string, string | null>; version: number; checkedAt: number };

function cacheOf(db: Db): LinkCache {
  return perDb(db, "link-cache", () => ({ entries: new Map(), probable: new Map(), version: -1, checkedAt: 0 }));
}

/** The cache, emptied first if another process changed links (looked at every CHECK_EVERY_MS). */
function freshCache(db: Db, nowMs: number): LinkCache {
  const cache = cacheOf(db);
  if (nowMs - cache.checkedAt >= CHECK_EVERY_MS) {
    cache.checkedAt = nowMs;
    const version = linksVersion(db);
    if (version !== cache.version) {
      cache.entries.clear();
      cache.probable.clear();
      cache.version = version;
    }
  }
  return cache;
}

function linksVersion(db: Db): number {
  const stmt = perDb(db, "links-version", () => db.$client.prepare<{ version: number }, []>("select version from links_version where id = 1"));
  return stmt.get()?.version ?? 0;
}

export function findLinkCached(db: Db, trackingId: string, nowMs: number): LinkRow | undefined {
  const cache = freshCache(db, nowMs);
  const cached = cache.entries.get(trackingId);
  if (cached !== undefined) return cached ?? undefined;
  const link = findLink(db, trackingId);
  if (cache.entries.size >= MAX_CACHED) cache.entries.clear();
  cache.entries.set(trackingId, link ?? null);
  return link;
}

/** After a write to link_tracking through this connection. */
function linksChanged(db: Db): void {
  const cache = cacheOf(db);
  cache.entries.clear();
  cache.probable.clear();
  cache.checkedAt = 0;
}

/** Ids sharing an orphan id's first half read before all its one-edit neighbours are looked up instead. */
const HALF_ROWS = 50;

/**
 * The link an orphan id probably meant, by index (lib/probable.ts): the first ids of the
 * range it is the start of; the ids one edit away with the edit in its second half, which
 * start with its first (a range of the primary key, HALF_ROWS at most); and those with
 * the edit in its first half among its neighbours that exist (all of them when the first
 * half is shared by more than HALF_ROWS).
 */
export function probableLinkOf(db: Db, orphan: string): string | null {
  if (orphan.length < MIN_ORPHAN_LENGTH) return null;
  const prefixed = perDb(db, "links-prefixed", () =>
    db.$client.prepare<{ id: string }, [string, string, number]>("select tracking_id as id from link_tracking where tracking_id > ? and tracking_id < ? limit ?"),
  );
  const existing = perDb(db, "links-existing", () =>
    db.$client.prepare<{ id: string }, [string]>("select tracking_id as id from link_tracking where tracking_id in (select value from json_each(?))"),
  );
  const front = frontHalf(orphan);
  const sharing = prefixed.all(`${front}`, prefixEnd(front), HALF_ROWS + 1);
  const crowded = sharing.length > HALF_ROWS;
  const neighbours = oneEditNeighbours(orphan, crowded ? undefined : front.length);
  const fits = [...prefixed.all(orphan, prefixEnd(orphan), 2), ...(crowded ? [] : sharing), ...existing.all(JSON.stringify(neighbours))].map((r) => r.id);
  return probableLink(orphan, fits);
}

/** probableLinkOf of each orphan id (a reader thread's read: plain pairs). */
export function probableLinks(db: Db, orphans: string[]): [string, string | null][] {
  return orphans.map((o) => [o, probableLinkOf(db, o)]);
}

/** probableLinkOf, remembered until links change (each orphan hit of a flood asks it). */
export function probableLinkCached(db: Db, orphan: string, nowMs: number): string | null {
  const cache = freshCache(db, nowMs);
  const known = cache.probable.get(orphan);
  if (known !== undefined) return known;
  const found = probableLinkOf(db, orphan);
  if (cache.probable.size >= MAX_CACHED) cache.probable.clear();
  cache.probable.set(orphan, found);
  return found;
}

/** Inserts all links in one transaction; throws on any taken id, leaving none written. */
export function insertLinks(db: Db, links: LinkRow[]): LinkRow[] {
  const rows = db.transaction((tx) => links.map((link) => tx.insert(linkTracking).values(link).returning().get()), {
    behavior: "immediate",
  });
  linksChanged(db);
  return rows;
}

export function updateLink(db: Db, trackingId: string, changes: LinkChanges): LinkRow | undefined {
  const update = () => db.update(linkTracking).set(changes).where(eq(linkTracking.trackingId, trackingId)).returning().get();
  // Another application: the link's visits go with it, in the same transaction.
  const row =
    changes.applicationId === undefined
      ? update()
      : db.$client
          .transaction(() => {
            const before = db.select({ applicationId: linkTracking.applicationId }).from(linkTracking).where(eq(linkTracking.trackingId, trackingId)).get();
            const after = update();
            if (before && after) moveApplicationSessions(db, trackingId, before.applicationId, after.applicationId);
            return after;
          })
          .immediate();
  linksChanged(db);
  return row;
}

/** LinkRepository.rebase: a slice of links in id order, their tracked URLs moved from one origin to another. */
export function rebaseLinks(db: Db, from: string, to: string, after: string | null, limit: number): { moved: number; next: string | null } {
  const ids = db.$client
    .query<{ id: string }, [string, number]>("select tracking_id as id from link_tracking where tracking_id > ? order by tracking_id limit ?")
    .all(after ?? "", limit);
  if (ids.length === 0) return { moved: 0, next: null };
  const last = ids[ids.length - 1].id;
  const moved = db.$client
    .query<unknown, [string, number, string, string, number, string]>(
      `update link_tracking set redirect_url = ? || substr(redirect_url, ? + 1)
       where tracking_id > ? and tracking_id <= ? and substr(redirect_url, 1, ?) = ?`,
    )
    .run(to, from.length, after ?? "", last, from.length + 1, `${from}/`).changes;
  if (moved > 0) linksChanged(db);
  return { moved, next: ids.length < limit ? null : last };
}

/** Deletes the link and every click recorded for it; returns the number of clicks deleted, or null if no such link. */
export function deleteLinkAndClicks(db: Db, trackingId: string): number | null {
  clicksRewritten(db);
  const deleted = db.transaction(
    (tx) => {
      // Uncounted while the link is there: the application's visits are counted under it.
      const link = tx.select({ applicationId: linkTracking.applicationId }).from(linkTracking).where(eq(linkTracking.trackingId, trackingId)).get();
      if (!link) return null;
      uncountClicks(db, "tracking_id = ?", [trackingId]);
      tx.delete(linkTracking).where(eq(linkTracking.trackingId, trackingId)).run();
      const clicks = changes(tx.delete(linkClicks).where(eq(linkClicks.trackingId, trackingId)).run());
      clicksDeleted(db);
      return clicks;
    },
    { behavior: "immediate" },
  );
  linksChanged(db);
  return deleted;
}

/** Newest first. (Counts come separately, for the page only: see humanClickCounts.) */
export function listLinks(db: Db, filter: LinkFilter): LinkRow[] {
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
  return db
    .select()
    .from(linkTracking)
    .where(and(...conditions))
    .orderBy(desc(linkTracking.createdAt), desc(linkTracking.trackingId))
    .limit(filter.limit)
    .all();
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

export function linksOf(db: Db, by: { jobId?: string; applicationId?: string }): LinkRow[] {
  return db
    .select()
    .from(linkTracking)
    .where(by.jobId ? eq(linkTracking.jobId, by.jobId) : eq(linkTracking.applicationId, by.applicationId!))
    .orderBy(linkTracking.createdAt, linkTracking.trackingId)
    .all();
}

export function linksOfApplications(db: Db, applicationIds: string[]): LinkRow[] {
  if (applicationIds.length === 0) return [];
  return db
    .select()
    .from(linkTracking)
    .where(sql`${linkTracking.applicationId} in (select value from json_each(${JSON.stringify(applicationIds)}))`)
    .orderBy(linkTracking.createdAt, linkTracking.trackingId)
    .all();
}


export function linkCounts(db: Db, now: string) {
  return db
    .select({
      links: sql<number>`count(*)`,
      active: sql<number>`coalesce(sum(${linkTracking.isActive} = 1 and (${linkTracking.expiresAt} is null or ${linkTracking.expiresAt} > ${now})), 0)`,
      applications: sql<number>`count(distinct ${linkTracking.applicationId})`,
    })
    .from(linkTracking)
    .get()!;
}

/** Applications none of whose links has a human click yet (the ones still waiting). */
export function applicationsWithoutHumanClick(db: Db) {
  return db.$client
    .query<{ application_id: string; links: number; first_link_at: string }, []>(
      `select application_id, count(*) as links, min(created_at) as first_link_at
       from link_tracking l
       where application_id is not null
       group by application_id
       having not exists (
         select 1 from link_tracking l2 join click_daily d on d.tracking_id = l2.tracking_id
         where l2.application_id = l.application_id and d.outcome = 'redirected' and d.visitor_kind = 'human' and d.clicks > 0)
       order by first_link_at`,
    )
    .all();
}

