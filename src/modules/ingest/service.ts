import type { Config } from "../../config";
import type { NewClick, Store } from "../../db/store";
import { isJsonContentType } from "../../lib/body";
import { UnsupportedMediaType, ValidationFailed } from "../../lib/errors";
import { nowIso } from "../../lib/time";
import { checkEach, envelopeProblem, type Checked } from "../../lib/schemas";
import { eventToClick, storeClicks } from "../clicks/service";
import type { Logger } from "../../lib/log";
import type { Metrics } from "../../lib/metrics";
import { burstsAmong } from "../redirect/burst-sweep";
import type { WriteHealth } from "../health/service";
import { BatchEnvelope, parseClickEvent } from "./model";

export type BatchOutcome =
  | { kind: "invalid"; message: string; errors: string[]; total: number }
  | { kind: "stored"; total: number; successful: number; duplicates: number; errors: string[] };

/** Where ingest reports: write health, the accepted, rejected and duplicate counts, the log. */
export type IngestReporting = { health: WriteHealth; metrics: Metrics; log: Logger };

/**
 * A gateway's pre-clicks reach us as ingested events too (the seeds' redirect node ships
 * them): the clicks just stored go through the burst rule with what is stored around them.
 * The batch is stored whatever happens here; a failure is logged.
 */
async function findBursts(store: Store, clicks: NewClick[], log: Logger): Promise<void> {
  if (clicks.length === 0) return;
  try {
    const changed = await burstsAmong(store, clicks);
    if (changed.length > 0) log.info({ clicks: changed.length }, "burst among ingested clicks: made a scanner's");
  } catch (error) {
    log.warn({ err: error }, "could not look for bursts among ingested clicks");
  }
}

/**
 * Validates every event, a slice per turn of the event loop (a thousand events take a
 * few milliseconds; redirects are answered between slices), then stores all valid ones
 * in one transaction through the store (which writes them off this thread where it can).
 * Nothing is written when the envelope or every event is invalid.
 */
export async function ingestBatch(store: Store, config: Config, { health, metrics, log }: IngestReporting, body: unknown): Promise<BatchOutcome> {
  const problem = envelopeProblem(BatchEnvelope, body);
  if (problem) {
    const events = (body as { events?: unknown })?.events;
    const total = Array.isArray(events) ? events.length : 0;
    metrics.ingest.rejected.inc(total);
    return { kind: "invalid", message: problem, errors: [problem], total };
  }
  const events = (body as { events: unknown[] }).events;
  const receivedAt = nowIso();
  // Each event checked, located and classified in the same slices (a thousand in one go held the loop for milliseconds).
  const { valid, errors } = await checkEach(
    events,
    (item): Checked<NewClick> => {
      const parsed = parseClickEvent(item);
      return parsed.success ? { success: true, data: eventToClick(parsed.data, "ingest", receivedAt, config) } : parsed;
    },
    "Event",
  );
  const clicks: NewClick[] = valid.map(({ value }) => value);
  metrics.ingest.rejected.inc(errors.length);
  if (clicks.length === 0) {
    return { kind: "invalid", message: "One or more events failed validation", errors, total: events.length };
  }
  const stored = await storeClicks(store, clicks, health, log);
  await findBursts(store, clicks.filter((_, i) => stored[i]), log);
  const duplicates = stored.filter((isNew) => !isNew).length;
  metrics.ingest.accepted.inc(clicks.length - duplicates);
  metrics.ingest.duplicate.inc(duplicates);
  return { kind: "stored", total: events.length, successful: clicks.length, duplicates, errors };
}

/**
 * One click through the API (external-domain-guide.md's record-click). The same event
 * sent again is found by its idempotency key and answered as a duplicate.
 */
export async function recordClick(store: Store, config: Config, { health, metrics, log }: IngestReporting, contentType: string | undefined, body: unknown) {
  if (!isJsonContentType(contentType)) throw new UnsupportedMediaType();
  const parsed = parseClickEvent(body);
  if (!parsed.success) {
    const message = [...new Set(parsed.error.issues.map((i) => i.message))].join("; ");
    metrics.ingest.rejected.inc();
    throw new ValidationFailed(message, { required_fields: ["tracking_id"] });
  }
  const click = eventToClick(parsed.data, "api", nowIso(), config);
  const [created] = await storeClicks(store, [click], health, log);
  if (created) await findBursts(store, [click], log);
  (created ? metrics.ingest.accepted : metrics.ingest.duplicate).inc();
  const stored = created || !click.idempotencyKey ? click : ((await store.clicks.findByKey(click.idempotencyKey)) ?? click);
  return {
    created,
    click: {
      click_id: stored.clickId,
      tracking_id: stored.trackingId,
      clicked_at: stored.clickedAt,
      click_source: stored.clickSource ?? null,
      status: created ? ("recorded" as const) : ("duplicate" as const),
    },
  };
}
