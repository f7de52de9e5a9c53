/**
 * Bursts seen across instances. Each instance spots a burst among the clicks it serves
 * (burst.ts); behind a load balancer a mail gateway's clicks on one résumé spread over
 * instances and none of them sees three. This sweep looks at the stored clicks of the
 * last WINDOW_MS every EVERY_MS with the same rule, in time order, and makes the human
 * clicks of each burst it finds a scanner's, withdrawing their signals while they are
 * still held (SIGNAL_HOLD_SECONDS, 15 s by default, is longer than the sweep's period).
 * Every instance may run it: reclassifying and withdrawing are idempotent.
 */
import type { Store } from "../../db/store";
import { failureLog, type Logger } from "../../lib/log";
import { BurstDetector } from "./burst";

const EVERY_MS = 2000;
/** Long enough for a burst (10 s) that began just before the previous sweep. */
const WINDOW_MS = 30_000;
/** Clicks looked at per sweep: a flood is bounded (its bursts were found by the instances that served it). */
const MAX_CLICKS = 20_000;

/** One sweep over the clicks since `since`: the ids it made a scanner's. */
export async function sweepBursts(store: Store, since: string, now = new Date()): Promise<string[]> {
  const detector = new BurstDetector();
  const kinds = new Map<string, string>();
  const found = new Map<string, string>();
  for (const c of await store.clicks.burstCandidates(since, MAX_CLICKS)) {
    kinds.set(c.clickId, c.visitorKind);
    const burst = detector.note(c.ipAddress, c.applicationId, c.trackingId, c.clickId, Date.parse(c.clickedAt));
    if (!burst) continue;
    for (const id of [...burst.earlier, c.clickId]) found.set(id, burst.reason);
  }
  const human = [...found].filter(([id]) => kinds.get(id) === "human");
  const byReason = new Map<string, string[]>();
  for (const [id, reason] of human) byReason.set(reason, [...(byReason.get(reason) ?? []), id]);
  for (const [reason, ids] of byReason) {
    await store.clicks.reclassify(ids, "scanner", reason);
    await store.signals.cancelOf(ids, now.toISOString());
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
      const changed = await sweepBursts(store, new Date(Date.now() - WINDOW_MS).toISOString());
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
