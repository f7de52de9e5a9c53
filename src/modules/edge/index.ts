/**
 * Edge mode, the seeds' two-domain deployment from the same binary: the process serves
 * the redirect routes (and health and metrics) only. Links come from LOOKUP_API_URL;
 * each click is written to a local outbox before its 302 goes out, and shipped to
 * TRACKING_API_URL by the shipper.
 */
import { Elysia } from "elysia";
import type { NewClick as ClickInsert, OutboxEvent, Store } from "../../db/store";
import type { Metrics } from "../../lib/metrics";
import { nowIso } from "../../lib/time";
import type { ModuleContext } from "../auth";
import { healthModule } from "../health";
import type { ClickWriter } from "../redirect/recorder";

/** A redirect's click as the ingest API takes it, its click_id as the event_id. */
function toEvent(c: ClickInsert): OutboxEvent {
  const event: OutboxEvent = { event_id: c.clickId, tracking_id: c.trackingId, clicked_at: c.clickedAt };
  if (c.ipAddress) event.ip_address = c.ipAddress;
  if (c.userAgent) event.user_agent = c.userAgent;
  if (c.referrerUrl) event.referrer_url = c.referrerUrl;
  if (c.sessionId) event.session_id = c.sessionId;
  if (c.clickSource) event.click_source = c.clickSource;
  if (c.metadata && Object.keys(c.metadata).length > 0) event.metadata = c.metadata;
  // What the central server cannot see for itself, so that it classifies the click as it would its own redirect's.
  if (c.acceptLanguage !== undefined) event.request = { accept_language: c.acceptLanguage };
  return event;
}

/**
 * Clicks go to the outbox. Hits on inactive or expired links are not shipped (upstream
 * they would count as clicks); hits on unknown ids are, and become orphans there.
 */
export function outboxClickWriter(store: Store, written: () => void): ClickWriter {
  return {
    async write(clicks) {
      const events = clicks.filter((c) => c.outcome !== "gone").map(toEvent);
      if (events.length === 0) return;
      await store.outbox.enqueue(events, nowIso());
      written();
    },
  };
}

/** Outbox depth, oldest event age and dead letters, read when Prometheus scrapes. */
export function observeOutbox(metrics: Metrics, store: Store): void {
  const set = async () => {
    try {
      const s = await store.outbox.status();
      metrics.outbox.depth.set(s.pending);
      metrics.outbox.oldestSeconds.set(s.oldest_pending ? (Date.now() - Date.parse(s.oldest_pending)) / 1000 : 0);
      metrics.outbox.deadLetters.set(s.dead_letters);
    } catch {
      // Keep the last values.
    }
  };
  (metrics.outbox.depth as unknown as { collect: () => Promise<void> }).collect = set;
}

/** What an edge serves besides redirects: the health check (healthRoute, of its local outbox database) and /metrics. */
export const edgeApi = (auth: ModuleContext) => new Elysia({ tags: ["Edge"] }).use(healthModule(auth, auth.metrics));
