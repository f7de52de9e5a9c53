/**
 * Bursts seen across instances. Each instance spots a burst among the clicks it serves
 * (burst.ts); behind a load balancer a mail gateway's clicks on one résumé spread over
 * instances and none of them sees three. This sweep looks at the stored clicks of the
 * last WINDOW_MS every EVERY_MS with the same rule, in time order, and makes the human
 * clicks of each burst it finds a scanner's, withdrawing their signals while they are
 * still held (SIGNAL_HOLD_SECONDS, 15 s by default, is longer than the sweep's period).
 * Every instance may run it: reclassifying and withdrawing are idempotent.
 */
import { isHumanVisit, type BurstFilter, type NewClick, type Store } from "../../db/store";
import { failureLog, type Logger } from "../../lib/log";
import { BurstDetector } from "./burst";

const EVERY_MS = 2000;
/** Long enough for a burst (10 s) that began just before the previous sweep. */
const WINDOW_MS = 30_000;
/** Clicks looked at per sweep: a flood is bounded (its bursts were found by the instances that served it). */
const MAX_CLICKS = 20_000;

/** One sweep over the stored clicks `filter` names (at most `limit`): the ids it made a scanner's. */
export async function sweepBursts(store: Store, filter: BurstFilter, now = new Date(), limit = MAX_CLICKS): Promise<string[]> {
  const detector = new BurstDetector();
  const kinds = new Map<string, string>();
  const found = new Map<string, string>();
  for (const c of await store.clicks.burstCandidates(filter, limit)) {
    kinds.set(c.clickId, c.visitorKind);
    const burst = detector.note(c.ipAddress, c.applicationId, c.trackingId, c.clickId, Date.parse(c.clickedAt));
    if (!burst) continue;
    for (const id of [...burst.earlier, c.clickId]) found.set(id, burst.reason);
  }
  const human = [...found].filter(([id]) => kinds.get(id) === "human");
  const byReason = new Map<string, string[]>();
  for (const [id, reason] of human) byReason.set(reason, [...(byReason.get(reason) ?? []), id]);
  for (const [reason, ids] of byReason) {
    await store.clicks.reclassify(ids, "scanner", reason, now.toISOString());
  }
  return human.map(([id]) => id);
}

export function startBurstSweep(store: Store, log: Logger, everyMs = EVERY_MS): { stop: () => void } {
  let running = false;
  const sweeps = failureLog(log, "burst sweep");
  const timer = setInterval(async () => {
    if (running) return;
    running = true;
    try {
      const changed = await sweepBursts(store, { from: new Date(Date.now() - WINDOW_MS).toISOString() });
      if (changed.length > 0) log.info({ clicks: changed.length }, "burst across instances: clicks made a scanner's");
      sweeps.ok();
    } catch (error) {
      sweeps.failed(error, "warn");
    } finally {
      running = false;
    }
  }, everyMs);
  timer.unref?.();
  return { stop: () => clearInterval(timer) };
}

/** Clicks further apart than this are looked at in separate windows (a burst lasts 10 s). */
const SPAN_GAP_MS = 20_000;
const MARGIN_MS = 10_000;
/** Windows looked at per batch: an edge's backlog of days is looked at where it is densest first. */
const MAX_WINDOWS = 50;
/**
 * Clicks a window around an ingested batch looks at: its latest ones, which hold the
 * batch's own (a flood from one address adds a batch's worth each time, and the rule
 * remembers 50 clicks per address): the work per batch stays a few milliseconds.
 */
const MAX_CLICKS_PER_WINDOW = 2000;

/**
 * Bursts among clicks just stored by ingest or the API (an edge's, or a redirect node's):
 * the stored clicks of their applications from their addresses, around their times, go
 * through the same rule as a redirect's, in time order whatever order the batch had;
 * clicks a burst began in an earlier batch are stored already, so a burst split across
 * batches is found when its last part comes. The ids made a scanner's.
 */
export async function burstsAmong(store: Store, clicks: NewClick[], now = new Date()): Promise<string[]> {
  const byApplication = new Map<string, { at: number; ip: string }[]>();
  for (const c of clicks) {
    if (!c.ipAddress || !isHumanVisit(c)) continue;
    const applicationId = (await store.links.findCached(c.trackingId, now.getTime()))?.applicationId;
    if (!applicationId) continue;
    const list = byApplication.get(applicationId) ?? [];
    list.push({ at: Date.parse(c.clickedAt), ip: c.ipAddress });
    byApplication.set(applicationId, list);
  }
  const changed: string[] = [];
  let windows = 0;
  for (const [applicationId, list] of byApplication) {
    list.sort((a, b) => a.at - b.at);
    let start = 0;
    for (let i = 1; i <= list.length && windows < MAX_WINDOWS; i++) {
      if (i < list.length && list[i].at - list[i - 1].at <= SPAN_GAP_MS) continue;
      const span = list.slice(start, i);
      start = i;
      windows++;
      changed.push(
        ...(await sweepBursts(
          store,
          {
            from: new Date(span[0].at - MARGIN_MS).toISOString(),
            to: new Date(span.at(-1)!.at + MARGIN_MS).toISOString(),
            applicationIds: [applicationId],
            ips: [...new Set(span.map((c) => c.ip))],
            latest: true,
          },
          now,
          MAX_CLICKS_PER_WINDOW,
        )),
      );
    }
  }
  return changed;
}
