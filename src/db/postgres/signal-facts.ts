/**
 * What the signal rule is decided from on PostgreSQL: the instance's memory of human
 * clicks (human-memo.ts) when it can answer, the facts read in the clicks' own
 * transaction when it cannot, and the events stored under the signals' lock.
 */
import { sql } from "drizzle-orm";
import { type NewClick, type NewSignal, type SignalFacts, type SignalRule, type SignalType, isHumanVisit } from "../store";
import { NeedsDatabase } from "./human-memo";
import { isoOrNull, isUuid, jsonb, num } from "./rows";
import { LOCKS, PgContext, type Q } from "./context";
import { linkOf, linksIn, readProbable } from "./links";
import { linkTracking } from "./schema";

export const later = (a: string | null, b: string | null) => (a === null ? b : b === null || a >= b ? a : b);

/**
 * Reads again, every second, the latest human click of the links and applications the
 * memory knows of whose entries are getting old: a busy link's redirects keep deciding
 * from memory, and another instance's reclassification is seen within seconds.
 */
export function refreshMemo(ctx: PgContext): () => void {
  const memo = ctx.shared.memo;
  let running = false;
  let ticks = 0;
  const timer = setInterval(async () => {
    if (running) return;
    running = true;
    try {
      // The database's size for /metrics, now and then (size() answers from memory).
      if (ticks++ % 30 === 0) {
        const size = await ctx.one<{ bytes: unknown }>(sql`select pg_database_size(current_database()) as bytes`);
        ctx.shared.sizeBytes = num(size?.bytes);
      }
      const { links, applications } = memo.stale(5000);
      const readAt = Date.now();
      if (links.length > 0) {
        const rows = await ctx.all<{ id: string; at: unknown }>(
          sql`select k.id, p.at from unnest(${sql.param(links)}::text[]) as k(id)
              left join lateral (select c.clicked_at as at from link_clicks c
                where c.tracking_id = k.id and c.outcome = 'redirected' and c.visitor_kind = 'human' order by c.clicked_at desc limit 1) p on true`,
        );
        memo.refreshed("link", new Map(rows.map((r) => [r.id, isoOrNull(r.at)])), readAt);
      }
      const apps = applications.filter(isUuid);
      if (apps.length > 0) {
        const rows = await ctx.all<{ id: string; at: unknown }>(
          sql`select k.id::text as id, max(p.at) as at from unnest(${sql.param(apps)}::uuid[]) as k(id)
              left join link_tracking l on l.application_id = k.id
              left join lateral (select c.clicked_at as at from link_clicks c
                where c.tracking_id = l.tracking_id and c.outcome = 'redirected' and c.visitor_kind = 'human' order by c.clicked_at desc limit 1) p on true
              group by k.id`,
        );
        memo.refreshed("application", new Map(rows.map((r) => [r.id, isoOrNull(r.at)])), readAt);
      }
    } catch {
      // The database is away: entries expire and redirects' commits read what they need.
    } finally {
      running = false;
    }
  }, 1000);
  timer.unref?.();
  return () => clearInterval(timer);
}

/** Whether the rule decides no signal for `clicks` from memory alone (an ingested click of a link not in memory: unknown). */
export function decidesNothing(ctx: PgContext, rule: SignalRule, clicks: NewClick[]): boolean {
  const cache = ctx.shared.links;
  // A link the cache cannot answer for: only the database knows whether it is one.
  const known = (id: string) => {
    const link = cache.peek(id);
    if (link === undefined) throw new NeedsDatabase();
    return link ?? undefined;
  };
  try {
    for (const c of clicks) if (c.origin !== "redirect" && c.outcome === "redirected" && !known(c.trackingId)) return false;
    const probable = (orphan: string) => {
      const found = cache.probableOf(orphan);
      if (found === undefined) throw new NeedsDatabase();
      return found;
    };
    return rule(ctx.shared.memo.facts(known, probable), clicks).length === 0;
  } catch (error) {
    if (error instanceof NeedsDatabase) return false;
    throw error;
  }
}

/** Human clicks just stored, in the memory of this instance. */
export function remember(ctx: PgContext, stored: NewClick[]): void {
  for (const c of stored) {
    if (!isHumanVisit(c)) continue;
    const link = ctx.shared.links.peek(c.trackingId);
    if (!link) continue;
    ctx.shared.memo.noteLink(link.trackingId, c.clickedAt);
    if (link.applicationId) ctx.shared.memo.noteApplication(link.applicationId, c.clickedAt);
  }
}

/**
 * What the signal rule asks, read before the clicks are inserted (so that they do not
 * see themselves): the links, and for each human click the latest human click before
 * it of its link and of its application, and the first-human events already stored.
 * Clicks of the same batch are then taken into account in memory.
 */
export async function readFacts(ctx: PgContext, tx: Q, clicks: NewClick[]) {
  const ids = [...new Set(clicks.map((c) => c.trackingId))];
  const links = new Map(
    (await ctx.guard(() => tx.select().from(linkTracking).where(linksIn(ids)))).map((r) => [r.trackingId, linkOf(r)]),
  );
  const humans = clicks.filter((c) => isHumanVisit(c) && links.has(c.trackingId));
  const previousOfLink = new Map<string, string | null>();
  const previousOfApplication = new Map<string, string | null>();
  const firsts = new Set<string>();
  if (humans.length > 0) {
    const byLink = humans.map((c) => ({ cid: c.clickId, tid: c.trackingId, at: c.clickedAt }));
    for (const r of await ctx.all<{ cid: string; at: unknown }>(
      sql`select b.cid::text as cid, p.at from jsonb_to_recordset(${jsonb(byLink)}) as b(cid uuid, tid text, at timestamptz)
          left join lateral (
            select c.clicked_at as at from link_clicks c
            where c.tracking_id = b.tid and c.outcome = 'redirected' and c.visitor_kind = 'human'
              and c.clicked_at <= b.at and (c.clicked_at < b.at or c.click_id < b.cid)
            order by c.clicked_at desc limit 1) p on true`,
      tx,
    )) {
      previousOfLink.set(r.cid, isoOrNull(r.at));
    }
    const withApplication = humans.filter((c) => links.get(c.trackingId)!.applicationId);
    if (withApplication.length > 0) {
      const byApplication = withApplication.map((c) => ({ cid: c.clickId, app: links.get(c.trackingId)!.applicationId, at: c.clickedAt }));
      for (const r of await ctx.all<{ cid: string; at: unknown }>(
        sql`select b.cid::text as cid, max(p.at) as at from jsonb_to_recordset(${jsonb(byApplication)}) as b(cid uuid, app uuid, at timestamptz)
            join link_tracking l on l.application_id = b.app
            left join lateral (
              select c.clicked_at as at from link_clicks c
              where c.tracking_id = l.tracking_id and c.outcome = 'redirected' and c.visitor_kind = 'human'
                and c.clicked_at <= b.at and (c.clicked_at < b.at or c.click_id < b.cid)
              order by c.clicked_at desc limit 1) p on true
            group by b.cid`,
        tx,
      )) {
        previousOfApplication.set(r.cid, isoOrNull(r.at));
      }
    }
    const subjects = [...new Set(humans.flatMap((c) => [`link:${c.trackingId}`, ...(links.get(c.trackingId)!.applicationId ? [`application:${links.get(c.trackingId)!.applicationId}`] : [])]))];
    for (const r of await ctx.all<{ subject: string }>(
      sql`select subject from link_tracker.signal_events
          where type = 'click.first_human' and cancelled_at is null and subject in (select jsonb_array_elements_text(${jsonb(subjects)}))`,
      tx,
    )) {
      firsts.add(r.subject);
    }
  }
  // An AI assistant's event is once per link a day: the ones stored already for the batch's days.
  const assisted = new Set<string>();
  const asked = [...new Set(clicks.filter((c) => c.visitorKind === "assistant" && c.outcome === "redirected" && links.has(c.trackingId)).map((c) => `link:${c.trackingId}:${c.clickedAt.slice(0, 10)}`))];
  if (asked.length > 0) {
    for (const r of await ctx.all<{ subject: string }>(
      sql`select subject from link_tracker.signal_events
          where type = 'click.assistant' and cancelled_at is null and subject in (select jsonb_array_elements_text(${jsonb(asked)}))`,
      tx,
    )) {
      assisted.add(r.subject);
    }
  }
  const orphans = clicks.filter((c) => c.outcome !== "redirected" && !links.has(c.trackingId)).map((c) => c.trackingId);
  const probable = orphans.length > 0 ? await readProbable(ctx, orphans, tx) : new Map<string, string | null>();
  const memo = ctx.shared.memo;
  return {
    /** What was read and stored, remembered once the transaction commits (read: the entries renewed). */
    remember(stored: NewClick[]) {
      for (const c of humans) {
        const link = links.get(c.trackingId)!;
        const before = previousOfLink.get(c.clickId);
        if (before) memo.noteLink(link.trackingId, before, true);
        const beforeApp = previousOfApplication.get(c.clickId);
        if (beforeApp && link.applicationId) memo.noteApplication(link.applicationId, beforeApp, true);
      }
      for (const c of stored) {
        if (!isHumanVisit(c)) continue;
        const link = links.get(c.trackingId);
        if (!link) continue;
        memo.noteLink(link.trackingId, c.clickedAt, true);
        if (link.applicationId) memo.noteApplication(link.applicationId, c.clickedAt, true);
      }
    },
    /** The facts for the clicks really stored (a duplicate's decides nothing, and is no one's previous in the batch). */
    with(stored: NewClick[]): SignalFacts {
      const human = (c: NewClick) => isHumanVisit(c);
      const before = (a: NewClick, b: NewClick) => a.clickedAt < b.clickedAt || (a.clickedAt === b.clickedAt && a.clickId < b.clickId);
      const latestInBatch = (click: NewClick, same: (c: NewClick) => boolean) => {
        let latest: string | null = null;
        for (const c of stored) if (c !== click && human(c) && same(c) && before(c, click)) latest = later(latest, c.clickedAt);
        return latest;
      };
      return {
        link: (trackingId) => links.get(trackingId),
        probableLink: (orphan) => probable.get(orphan) ?? null,
        previousHumanOfLink: (trackingId, click) =>
          later(previousOfLink.get(click.clickId) ?? null, latestInBatch(click, (c) => c.trackingId === trackingId)),
        previousHumanOfApplication: (applicationId, click) =>
          later(previousOfApplication.get(click.clickId) ?? null, latestInBatch(click, (c) => links.get(c.trackingId)?.applicationId === applicationId)),
        signalExists: (type: SignalType, subject) => (type === "click.first_human" ? firsts : type === "click.assistant" ? assisted : new Set()).has(subject),
      };
    },
  };
}

/**
 * Under the signals' advisory lock, held to commit: events get their seq in commit
 * order. A first human click another instance stored meanwhile makes ours do nothing.
 */
export async function insertSignals(ctx: PgContext, tx: Q, signals: NewSignal[]): Promise<void> {
  await ctx.all(sql`select pg_advisory_xact_lock(${LOCKS.signals})`, tx);
  const rows = signals.map((s) => ({
    event_id: s.eventId,
    type: s.type,
    created_at: s.createdAt,
    deliver_after: s.deliverAfter,
    click_id: s.clickId,
    tracking_id: s.trackingId,
    subject: s.subject,
    payload: s.payload,
  }));
  await ctx.all(
    sql`insert into link_tracker.signal_events (event_id, type, created_at, deliver_after, click_id, tracking_id, subject, payload)
        select * from jsonb_to_recordset(${jsonb(rows)}) as r(event_id text, type text, created_at timestamptz, deliver_after timestamptz,
          click_id uuid, tracking_id text, subject text, payload jsonb)
        on conflict do nothing`,
    tx,
  );
}
