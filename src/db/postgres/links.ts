/**
 * The link_tracking table on PostgreSQL: the redirect's lookups through the link cache
 * (link-cache.ts), other instances' changes (notifications, the version poll), the
 * link repository, and orphans' probable links by index.
 */
import { and, asc, desc, eq, inArray, sql, type SQL } from "drizzle-orm";
import { Conflict } from "../../lib/errors";
import { failureLog, silentLogger } from "../../lib/log";
import type { Link, LinkRepository } from "../store";
import { pgErrorCode, pgErrorDetail } from "./driver";
import { LINKS_CHANNEL } from "./link-cache";
import { MIN_ORPHAN_LENGTH, probableLink } from "../../lib/probable";
import { iso, isoOrNull, isUuid, num, rowsOf } from "./rows";
import { asStoreError, PgContext, type Q } from "./context";
import { arraysOf, columnsAs, unnestInsert } from "./columns";
import { linkTracking } from "./schema";

/** links_version is read this often: the fallback when notifications do not arrive. */
export const LINKS_POLL_MS = 250;

/** Ids sharing half of an orphan id read before its one-edit neighbours are looked up instead. */
const HALF_ROWS = 50;

/** A row of link_tracking as drizzle reads it (schema.ts): timestamps in PostgreSQL's text. */
export type LinkRow = typeof linkTracking.$inferSelect;

export const linkOf = (r: LinkRow): Link => ({ ...r, createdAt: iso(r.createdAt), updatedAt: iso(r.updatedAt), expiresAt: isoOrNull(r.expiresAt) });

/** The links of these ids (any number: one array parameter). */
export const linksIn = (ids: string[]) => sql`${linkTracking.trackingId} = any(${sql.param(ids)}::text[])`;

/** links_version, told to the cache (which empties itself for a change no notification explained). */
export async function pollLinks(ctx: PgContext): Promise<void> {
  const row = await ctx.one<{ version: unknown }>(sql`select version from link_tracker.links_version where id = 1`);
  ctx.shared.links.polled(num(row?.version), Date.now(), LINKS_POLL_MS);
}

/**
 * Other instances' link changes: notifications as they commit (when a listener is
 * given and its probe came back), and links_version every LINKS_POLL_MS whatever
 * happens. While the database is down the links in the cache keep serving.
 */
export function watchLinks(ctx: PgContext): () => void {
  const { links, options } = ctx.shared;
  const log = options.log ?? silentLogger();
  const stopListening = options.listen?.(LINKS_CHANNEL, {
    notified: (payload) => links.notified(payload),
    up: (delivered) => {
      links.listening = delivered;
      ctx.one<{ version: unknown }>(sql`select version from link_tracker.links_version where id = 1`).then(
        (row) => links.resumed(num(row?.version)),
        () => links.dropAll(),
      );
      if (delivered) log.info("other instances' link changes arrive as notifications");
      else log.info("link change notifications do not arrive (a pooler in transaction mode?): other instances' changes are seen by polling");
    },
    down: (error) => {
      if (links.listening) log.warn({ err: error.message }, "the connection listening for link changes was lost; polling until it is back");
      links.listening = false;
    },
  });
  let failing = false;
  let running = false;
  const timer = setInterval(async () => {
    if (running) return;
    running = true;
    try {
      await pollLinks(ctx);
      if (failing) log.info("links are read from PostgreSQL again");
      failing = false;
    } catch (error) {
      if (!failing) log.warn({ err: error }, "cannot read links from PostgreSQL; redirects use the links in memory");
      failing = true;
    } finally {
      running = false;
    }
  }, LINKS_POLL_MS);
  timer.unref?.();
  return () => {
    clearInterval(timer);
    stopListening?.();
  };
}

/** A link from the cache, or read through it (one read per id at a time). */
export function cachedLink(ctx: PgContext, trackingId: string, nowMs: number): Link | undefined | Promise<Link | undefined> {
  const { links, reading } = ctx.shared;
  const known = links.peek(trackingId, nowMs);
  if (known !== undefined) return known ?? undefined;
  const pending = reading.get(trackingId);
  if (pending) return pending;
  links.reading(trackingId);
  links.reads++;
  // On the redirect's own connections: no heavy read leaves a recruiter waiting for one.
  const select = () => ctx.guard(async () => (await ctx.redirectDb().select().from(linkTracking).where(eq(linkTracking.trackingId, trackingId)))[0]);
  const read = select()
    // Once more on another connection: the pool may have lent one the server had closed.
    .catch(select)
    .then(
      (row) => {
        const link = row ? linkOf(row) : undefined;
        ctx.shared.readFailures?.ok();
        links.found(trackingId, link);
        return link;
      },
      (error) => {
        // The database is away: the link as it was before the cache was emptied, if it was there.
        const stale = links.staleOf(trackingId);
        if (stale) return stale;
        // At most one line a minute while it lasts (a database away fails every such read).
        ctx.shared.readFailures ??= failureLog(ctx.shared.options.log ?? silentLogger(), "reading a link for a redirect (answered 503)");
        ctx.shared.readFailures.failed(error, "warn");
        throw error;
      },
    )
    .finally(() => {
      reading.delete(trackingId);
      links.done(trackingId);
    });
  reading.set(trackingId, read);
  return read;
}

export function linkRepository(ctx: PgContext): LinkRepository {
  const cache = ctx.shared.links;
  const select = (where: SQL | undefined) => ctx.db.select().from(linkTracking).where(where);
  // Oldest first, ties by id in byte order (as SQLite's).
  const inOrder = [asc(linkTracking.createdAt), sql`${linkTracking.trackingId} collate "C"`];
  return {
    find: async (id) => {
      const [row] = await ctx.guard(() => select(eq(linkTracking.trackingId, id)));
      return row ? linkOf(row) : undefined;
    },
    findCached: (id, nowMs) => cachedLink(ctx, id, nowMs),
    insert: async (links) => {
      if (links.length === 0) return [];
      let inserted: LinkRow[];
      try {
        inserted = rowsOf<LinkRow>(await ctx.db.execute(unnestInsert(linkTracking, arraysOf(linkTracking, links), sql`returning ${columnsAs(linkTracking)}`)));
      } catch (error) {
        if (pgErrorCode(error) === "23505") {
          // The server names the id (no query: inside tx() the transaction is aborted now).
          const taken = /^Key \(tracking_id\)=\((.*)\) already exists/.exec(pgErrorDetail(error) ?? "")?.[1] ?? null;
          throw new Conflict("tracking_id is already taken", { tracking_id: taken });
        }
        throw asStoreError(error);
      }
      const byId = new Map(inserted.map((r) => [r.trackingId, linkOf(r)]));
      cache.wrote([...byId.values()]);
      return links.map((l) => byId.get(l.trackingId)!);
    },
    update: async (id, changes) => {
      const { jobId, applicationId, linkType, originalUrl, updatedAt, isActive, description, expiresAt } = changes;
      const [row] = await ctx.guard(() =>
        ctx.db
          .update(linkTracking)
          .set({ jobId, applicationId, linkType, originalUrl, updatedAt, isActive, description, expiresAt })
          .where(eq(linkTracking.trackingId, id))
          .returning(),
      );
      if (!row) return undefined;
      const link = linkOf(row);
      cache.wrote([link]);
      return link;
    },
    rebase: async (from, to, after, limit) => {
      const ids = await ctx.all<{ id: string }>(sql`select tracking_id as id from link_tracking where tracking_id > ${after ?? ""} order by tracking_id limit ${limit}`);
      if (ids.length === 0) return { moved: 0, next: null };
      const last = ids[ids.length - 1].id;
      const prefix = `${from}/`;
      const moved = await ctx.all<{ id: string }>(
        sql`update link_tracking set redirect_url = ${to}::text || substr(redirect_url, ${from.length + 1})
            where tracking_id > ${after ?? ""} and tracking_id <= ${last} and left(redirect_url, ${prefix.length}) = ${prefix}
            returning tracking_id as id`,
      );
      if (moved.length > 0) cache.dropIds(moved.map((m) => m.id));
      return { moved: moved.length, next: ids.length < limit ? null : last };
    },
    deleteWithClicks: async (id) => {
      const deleted = await ctx.transaction(async (tx) => {
        const link = await ctx.one<{ id: string }>(sql`delete from link_tracking where tracking_id = ${id} returning tracking_id as id`, tx);
        if (!link) return null;
        const clicks = await ctx.all<{ one: number }>(sql`delete from link_clicks where tracking_id = ${id} returning 1 as one`, tx);
        return clicks.length;
      });
      ctx.shared.memo.clear();
      cache.dropIds([id]);
      return deleted;
    },
    list: async (filter) => {
      const conditions: SQL[] = [sql`true`];
      if (filter.jobId) conditions.push(isUuid(filter.jobId) ? eq(linkTracking.jobId, filter.jobId) : sql`false`);
      if (filter.applicationId) conditions.push(isUuid(filter.applicationId) ? eq(linkTracking.applicationId, filter.applicationId) : sql`false`);
      if (filter.linkFunction) conditions.push(sql`lower(link_function) = lower(${filter.linkFunction})`);
      if (filter.active !== undefined) {
        const live = sql`(is_active and (expires_at is null or expires_at > ${filter.now}::timestamptz))`;
        conditions.push(filter.active ? live : sql`not ${live}`);
      }
      if (filter.after) {
        const { createdAt, trackingId } = filter.after;
        conditions.push(sql`(created_at < ${createdAt}::timestamptz or (created_at = ${createdAt}::timestamptz and tracking_id collate "C" < ${trackingId}))`);
      }
      const rows = await ctx.guard(() =>
        select(and(...conditions))
          .orderBy(desc(linkTracking.createdAt), sql`${linkTracking.trackingId} collate "C" desc`)
          .limit(filter.limit),
      );
      return rows.map(linkOf);
    },
    sourceInUse: async (source) => (await ctx.one(sql`select 1 as one from link_tracking where position(${`/${source}?uuid=`} in redirect_url) > 0 limit 1`)) !== undefined,
    of: async (by) => {
      const value = by.jobId ?? by.applicationId!;
      if (!isUuid(value)) return [];
      const rows = await ctx.guard(() => select(eq(by.jobId ? linkTracking.jobId : linkTracking.applicationId, value)).orderBy(...inOrder));
      return rows.map(linkOf);
    },
    probableOf: async (orphans) => readProbable(ctx, orphans),
    counts: async (now) => {
      const row = await ctx.one<{ links: unknown; active: unknown; applications: unknown }>(
        sql`select count(*) as links, count(*) filter (where is_active and (expires_at is null or expires_at > ${now}::timestamptz)) as active,
              count(distinct application_id) as applications from link_tracking`,
      );
      return { links: num(row?.links), active: num(row?.active), applications: num(row?.applications) };
    },
    ofApplications: async (ids) => {
      const uuids = ids.filter(isUuid);
      if (uuids.length === 0) return [];
      return (await ctx.guard(() => select(inArray(linkTracking.applicationId, uuids)).orderBy(...inOrder))).map(linkOf);
    },
    applicationsWithoutHumanClick: async () =>
      (
        await ctx.all<{ application_id: string; links: unknown; first_link_at: unknown }>(
          sql`select application_id::text as application_id, count(*) as links, min(created_at) as first_link_at
              from link_tracking l where application_id is not null
              group by application_id
              having not exists (
                select 1 from link_tracking l2 join link_tracker.click_daily d on d.tracking_id = l2.tracking_id
                where l2.application_id = l.application_id and d.outcome = 'redirected' and d.visitor_kind = 'human'
                group by d.tracking_id having sum(d.clicks) > 0)
              order by first_link_at`,
        )
      ).map((r) => ({ ...r, links: num(r.links), first_link_at: iso(r.first_link_at) })),
  };
}

/**
 * The link an orphan id probably meant, of each (lib/probable.ts), by index: the first
 * ids of the range it starts, and the ids one edit away, which share its first half
 * (pattern index) or its second (reversed index), at most HALF_ROWS of each; where a
 * half is shared by more (ids made to a pattern), its one-edit neighbours that exist
 * (primary key lookups, a few thousand). Remembered until links change.
 */
export async function readProbable(ctx: PgContext, orphans: string[], q: Q = ctx.db): Promise<Map<string, string | null>> {
  const cache = ctx.shared.links;
  const asked = [...new Set(orphans.filter((o) => o.length >= MIN_ORPHAN_LENGTH && !o.includes("\u0000")))];
  const fits = new Map<string, string[]>(asked.map((o) => [o, []]));
  if (asked.length > 0) {
    const generation = cache.begin();
    const starts = (text: SQL, of: SQL = sql`tracking_id`) => sql`${of} ~>=~ ${text} and ${of} ~<~ (${text} || chr(127))`;
    const front = sql`left(o.orphan, length(o.orphan) / 2)`;
    const back = sql`reverse(substr(o.orphan, length(o.orphan) / 2 + 1))`;
    // Ordered by the index each reads, so that a scan stops at its limit.
    const rows = await ctx.all<{ orphan: string; id: string; part: "start" | "front" | "back" }>(
      sql`select o.orphan, l.id, l.part from unnest(${sql.param(asked)}::text[]) as o(orphan)
          cross join lateral (
            (select tracking_id as id, 'start' as part from link_tracking where ${starts(sql`o.orphan`)} and tracking_id <> o.orphan
              order by tracking_id using ~<~ limit 2)
            union all
            (select tracking_id, 'front' from link_tracking where ${starts(front)} order by tracking_id using ~<~ limit ${HALF_ROWS + 1})
            union all
            (select tracking_id, 'back' from link_tracking where ${starts(back, sql`reverse(tracking_id)`)}
              order by reverse(tracking_id) using ~<~ limit ${HALF_ROWS + 1})) l`,
      q,
    );
    const crowded = new Set<string>();
    const halves = new Map<string, number>();
    for (const r of rows) {
      fits.get(r.orphan)!.push(r.id);
      if (r.part === "start") continue;
      const key = `${r.part} ${r.orphan}`;
      halves.set(key, (halves.get(key) ?? 0) + 1);
      if (halves.get(key)! > HALF_ROWS) crowded.add(r.orphan);
    }
    if (crowded.size > 0) {
      for (const r of await ctx.all<{ orphan: string; id: string }>(
        sql`select o.orphan, l.tracking_id as id from unnest(${sql.param([...crowded])}::text[]) as o(orphan)
            join link_tracking l on l.tracking_id = any(link_tracker.one_edit_neighbours(o.orphan))`,
        q,
      )) {
        fits.get(r.orphan)!.push(r.id);
      }
    }
    if (generation === cache.begin()) for (const o of asked) cache.rememberProbable(o, probableLink(o, fits.get(o)!));
  }
  return new Map(orphans.map((o) => [o, fits.has(o) ? probableLink(o, fits.get(o)!) : null]));
}
