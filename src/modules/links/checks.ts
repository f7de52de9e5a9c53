/**
 * Destination checks, kept: each check's outcome stored with the event of a change
 * (link.destination_down, link.destination_up), on demand and in the background. The
 * background makes one pass through every active link per DESTINATION_CHECK_SECONDS, in
 * tracking id order, a share of it each tick (so that a day's checks are spread over the
 * day, not sent at once), plus a second look soon after a first failure (two in a row
 * make a link down). Each destination host gets one request at a time.
 */
import type { DestinationState, Link, NewSignal, Store } from "../../db/store";
import { failureLog, type Logger } from "../../lib/log";
import { nowIso } from "../../lib/time";
import { linkSummary } from "../webhooks/signals";
import { afterCheck, checkDestination, type CheckOptions, type DestinationCheck } from "./destination";
import type { DestinationView } from "./model";

export const destinationView = (s: DestinationState): DestinationView => ({
  ok: s.ok,
  down: s.down,
  status: s.status,
  error: s.error,
  checked_at: s.checkedAt,
  down_since: s.downSince,
});

function changeEvent(link: Link, state: DestinationState, change: "down" | "up"): NewSignal {
  const type = change === "down" ? ("link.destination_down" as const) : ("link.destination_up" as const);
  const createdAt = nowIso();
  const eventId = `evt_${Bun.randomUUIDv7().replaceAll("-", "")}`;
  const data = { link: linkSummary(link), job_id: link.jobId, application_id: link.applicationId, destination: destinationView(state) };
  return {
    eventId,
    type,
    createdAt,
    // No hold: no burst withdraws a check.
    deliverAfter: createdAt,
    // The event's cause is a check, not a click: the check's own id stands in the click's place.
    clickId: Bun.randomUUIDv7(),
    trackingId: link.trackingId,
    subject: `destination:${link.trackingId}`,
    payload: { id: eventId, type, created_at: createdAt, data },
  };
}

/**
 * Stores a check of `url`, the link's destination when it was asked: a check of a
 * destination changed meanwhile says nothing of the new one, and is dropped.
 */
export async function recordCheck(store: Store, trackingId: string, url: string, check: DestinationCheck): Promise<DestinationState | undefined> {
  return store.destinations.record(trackingId, (before, link) => {
    if (link.originalUrl !== url) return null;
    const next = afterCheck({ failures: before?.failures ?? 0, down: before?.down ?? false }, check);
    const state: DestinationState = {
      trackingId,
      checkedAt: check.checked_at,
      ok: check.ok,
      status: check.status,
      error: check.error,
      failures: next.failures,
      down: next.down,
      downSince: next.down ? (before?.downSince ?? check.checked_at) : null,
    };
    return { state, signal: next.changed ? changeEvent(link, state, next.changed) : null };
  });
}

/** Checks in flight, one per link: a second "check now" of the same link shares the first. */
const inFlight = new Map<string, Promise<DestinationState | undefined>>();

/** Checks a link's destination now (POST …/links/{tracking_id}/check); undefined when there is no such link. */
export function checkLinkNow(store: Store, link: Link, options: CheckOptions): Promise<DestinationState | undefined> {
  let running = inFlight.get(link.trackingId);
  if (!running) {
    const url = link.originalUrl;
    running = checkDestination(url, options)
      .then((check) => recordCheck(store, link.trackingId, url, check))
      .finally(() => inFlight.delete(link.trackingId));
    inFlight.set(link.trackingId, running);
  }
  return running;
}

/** Where the pass stands, kept in the settings (shared by every instance of a shared database). */
type Pass = { after: string | null; at: string; credit: number; links: number };
const PASS_KEY = "destination_check_pass";

/** The most checks a tick takes, and what the pass may save up while it is behind. */
const MAX_PER_TICK = 50;
/** Destinations asked at once (each host one request at a time). */
const HOSTS_AT_ONCE = 4;
/** A destination that failed once is looked at again after this (or the interval, when shorter). */
const RECHECK_MS = 10 * 60_000;

const hostOf = (url: string) => {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return url;
  }
};

/** Runs each host's checks one after another, HOSTS_AT_ONCE hosts at a time. */
async function byHost<T extends { originalUrl: string }>(items: T[], each: (item: T) => Promise<void>): Promise<void> {
  const groups = [...Map.groupBy(items, (i) => hostOf(i.originalUrl)).values()];
  const lane = async () => {
    for (let group = groups.shift(); group; group = groups.shift()) for (const item of group) await each(item);
  };
  await Promise.all(Array.from({ length: Math.min(HOSTS_AT_ONCE, groups.length) }, lane));
}

export type DestinationChecks = { stop: () => void; tick: () => Promise<void> };

/**
 * The background checks: every `everySeconds` each active link once; nothing when it is
 * 0. The redirect never waits on them: a tick's checks run after its turn's transaction.
 */
export function startDestinationChecks(store: Store, log: Logger, { everySeconds, ...options }: CheckOptions & { everySeconds: number }): DestinationChecks {
  const intervalMs = everySeconds * 1000;
  const rounds = failureLog(log, "destination checks");
  let running = false;

  /** The links due now: the pass's next share, and those that failed once a while ago. */
  const due = () =>
    store.destinations.inTurn(async (tx) => {
      const now = nowIso();
      const stored = await tx.settings.get(PASS_KEY);
      const pass: Pass = stored ? JSON.parse(stored) : { after: null, at: now, credit: 1, links: (await tx.links.counts(now)).active };
      const elapsed = Math.min(Math.max(0, Date.parse(now) - Date.parse(pass.at)), intervalMs);
      const credit = Math.min(pass.credit + (pass.links * elapsed) / intervalMs, MAX_PER_TICK);
      const take = Math.floor(credit);
      const links = take > 0 ? await tx.destinations.activeAfter(pass.after, take, now) : [];
      // The end of a pass (or none yet to make): the next one starts from the first link, counted anew.
      const ended = links.length < take || pass.links === 0;
      const next: Pass = ended
        ? { after: null, at: now, credit: 0, links: (await tx.links.counts(now)).active }
        : { after: links.at(-1)?.trackingId ?? pass.after, at: now, credit: credit - links.length, links: pass.links };
      await tx.settings.put(PASS_KEY, JSON.stringify(next));
      const again = await tx.destinations.failing(new Date(Date.parse(now) - Math.min(RECHECK_MS, intervalMs)).toISOString(), MAX_PER_TICK, now);
      const seen = new Set(links.map((l) => l.trackingId));
      return [...links, ...again.filter((l) => !seen.has(l.trackingId))];
    });

  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const links = (await due()) ?? [];
      let down = 0;
      await byHost(links, async ({ trackingId, originalUrl }) => {
        const state = await recordCheck(store, trackingId, originalUrl, await checkDestination(originalUrl, options));
        if (state && !state.ok) log.info({ tracking_id: trackingId, error: state.error, down: state.down }, "a link's destination failed its check");
        if (state?.down) down++;
      });
      if (links.length > 0) log.debug({ checked: links.length, down }, "destinations checked");
      rounds.ok();
    } catch (error) {
      rounds.failed(error, "warn");
    } finally {
      running = false;
    }
  };
  if (intervalMs <= 0) return { stop: () => {}, tick };
  // A day's pass ticks every minute; a short interval (tests) every second.
  const timer = setInterval(tick, Math.min(60_000, Math.max(1000, intervalMs / 100)));
  timer.unref?.();
  return { stop: () => clearInterval(timer), tick };
}
