import type { Db } from "../../db";
import { nowIso } from "../../lib/time";
import { eventToClick, storeClicks } from "../clicks/service";
import { BatchEnvelope, checkEvent } from "./model";

export type BatchOutcome =
  | { kind: "invalid"; message: string; errors: string[]; total: number }
  | { kind: "stored"; total: number; successful: number; duplicates: number; errors: string[] };

/** Message of the first envelope problem, e.g. no events array or over 1000 events. */
function envelopeProblem(body: unknown): string | null {
  const parsed = BatchEnvelope.safeParse(body);
  if (parsed.success) return null;
  return parsed.error.issues[0]?.message ?? "Invalid request body";
}

/**
 * Validates every event, then stores all valid ones in one transaction. Nothing is
 * written when the envelope or every event is invalid.
 */
export function ingestBatch(db: Db, body: unknown): BatchOutcome {
  const problem = envelopeProblem(body);
  if (problem) {
    const events = (body as { events?: unknown })?.events;
    return { kind: "invalid", message: problem, errors: [problem], total: Array.isArray(events) ? events.length : 0 };
  }
  const events = (body as { events: unknown[] }).events;
  const receivedAt = nowIso();
  const errors: string[] = [];
  const clicks = [];
  for (let i = 0; i < events.length; i++) {
    const check = checkEvent(events[i], i + 1);
    if (check.ok) clicks.push(eventToClick(check.event, "ingest", receivedAt));
    else errors.push(check.error);
  }
  if (clicks.length === 0) {
    return { kind: "invalid", message: "One or more events failed validation", errors, total: events.length };
  }
  const stored = storeClicks(db, clicks);
  const duplicates = stored.filter((isNew) => !isNew).length;
  return { kind: "stored", total: events.length, successful: clicks.length, duplicates, errors };
}
