import type { Config } from "../../config";
import type { Db } from "../../db";
import { isJsonContentType } from "../../lib/body";
import { findClickByKey } from "../../db/clicks";
import { UnsupportedMediaType, ValidationFailed } from "../../lib/errors";
import { nowIso } from "../../lib/time";
import type { OnePerTurn } from "../../lib/turns";
import { eventToClick, storeClicks } from "../clicks/service";
import type { ClickInsert } from "../../db/clicks";
import type { Metrics } from "../../lib/metrics";
import type { WriteHealth } from "../health/service";
import { BatchEnvelope, checkEvent, parseClickEvent } from "./model";

export type BatchOutcome =
  | { kind: "invalid"; message: string; errors: string[]; total: number }
  | { kind: "stored"; total: number; successful: number; duplicates: number; errors: string[] };

/** Message of the first envelope problem, e.g. no events array or over 1000 events. */
function envelopeProblem(body: unknown): string | null {
  const parsed = BatchEnvelope.safeParse(body);
  if (parsed.success) return null;
  return parsed.error.issues[0]?.message ?? "Invalid request body";
}

/** Where ingest reports: write health and the accepted, rejected and duplicate counts. */
export type IngestReporting = { health: WriteHealth; metrics: Metrics; onClicksStored?: (stored: ClickInsert[]) => void };

/**
 * Validates every event, then stores all valid ones in one transaction, in a turn of the
 * event loop of its own (`writes`: redirects are answered between two batches' writes).
 * Nothing is written when the envelope or every event is invalid.
 */
export async function ingestBatch(db: Db, config: Config, { health, metrics, onClicksStored }: IngestReporting, writes: OnePerTurn, body: unknown): Promise<BatchOutcome> {
  const problem = envelopeProblem(body);
  if (problem) {
    const events = (body as { events?: unknown })?.events;
    const total = Array.isArray(events) ? events.length : 0;
    metrics.ingest.rejected.inc(total);
    return { kind: "invalid", message: problem, errors: [problem], total };
  }
  const events = (body as { events: unknown[] }).events;
  const receivedAt = nowIso();
  const errors: string[] = [];
  const clicks: ClickInsert[] = [];
  for (let i = 0; i < events.length; i++) {
    const check = checkEvent(events[i], i + 1);
    if (check.ok) clicks.push(eventToClick(check.event, "ingest", receivedAt, config));
    else errors.push(check.error);
  }
  metrics.ingest.rejected.inc(errors.length);
  if (clicks.length === 0) {
    return { kind: "invalid", message: "One or more events failed validation", errors, total: events.length };
  }
  const stored = await writes.run(() => storeClicks(db, clicks, health, onClicksStored));
  const duplicates = stored.filter((isNew) => !isNew).length;
  metrics.ingest.accepted.inc(clicks.length - duplicates);
  metrics.ingest.duplicate.inc(duplicates);
  return { kind: "stored", total: events.length, successful: clicks.length, duplicates, errors };
}

/**
 * One click through the API (external-domain-guide.md's record-click). The same event
 * sent again is found by its idempotency key and answered as a duplicate.
 */
export function recordClick(db: Db, config: Config, { health, metrics, onClicksStored }: IngestReporting, contentType: string | undefined, body: unknown) {
  if (!isJsonContentType(contentType)) throw new UnsupportedMediaType();
  const parsed = parseClickEvent(body as Record<string, unknown>);
  if (!parsed.success) {
    const message = [...new Set(parsed.error.issues.map((i) => i.message))].join("; ");
    metrics.ingest.rejected.inc();
    throw new ValidationFailed(message, { required_fields: ["tracking_id"] });
  }
  const click = eventToClick(parsed.data, "api", nowIso(), config);
  const [created] = storeClicks(db, [click], health, onClicksStored);
  (created ? metrics.ingest.accepted : metrics.ingest.duplicate).inc();
  const stored = created || !click.idempotencyKey ? click : (findClickByKey(db, click.idempotencyKey) ?? click);
  return {
    created,
    click: {
      click_id: stored.clickId,
      tracking_id: stored.trackingId,
      clicked_at: stored.clickedAt,
      click_source: stored.clickSource ?? null,
      status: created ? "recorded" : "duplicate",
    },
  };
}
