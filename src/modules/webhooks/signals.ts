/**
 * What a click means to the job seeker, decided as it is stored (in its transaction):
 *   click.first_human  the first human click of a link, and separately of an application
 *   click.returned     a human click on an application whose last one is over N days old
 *   link.orphan_hit    a hit on an unknown id that looks like one of ours cut short
 * Events wait SIGNAL_HOLD_SECONDS before anyone sees them: a scanner burst is recognised
 * only at its third click, and then withdraws the events of the first two.
 */
import type { Config } from "../../config";
import type { Db } from "../../db";
import type { ClickInsert } from "../../db/clicks";
import { previousHumanClickOfApplication, previousHumanClickOfLink } from "../../db/clicks";
import { allTrackingIds, findLink } from "../../db/links";
import { cancelSignalsOf, insertSignal, signalExists, type SignalRow } from "../../db/signals";
import type { LinkRow } from "../../db/schema";
import { probableLink } from "../analytics/overview";

const DAY_MS = 86_400_000;

type Signal = { type: SignalRow["type"]; subject: string; data: Record<string, unknown> };

function clickSummary(c: ClickInsert) {
  let referrerDomain: string | null = null;
  try {
    referrerDomain = c.referrerUrl ? new URL(c.referrerUrl).hostname : null;
  } catch {}
  return { click_id: c.clickId, clicked_at: c.clickedAt, click_source: c.clickSource ?? null, referrer_domain: referrerDomain, visitor_kind: c.visitorKind ?? "human" };
}

const linkSummary = (l: LinkRow) => ({ tracking_id: l.trackingId, link_function: l.linkFunction, link_type: l.linkType, original_url: l.originalUrl, redirect_url: l.redirectUrl });

function signalsOf(db: Db, click: ClickInsert, returnDays: number): Signal[] {
  if ((click.outcome ?? "redirected") !== "redirected") {
    const probably = click.trackingId.length >= 4 && !findLink(db, click.trackingId) ? probableLink(click.trackingId, allTrackingIds(db)) : null;
    if (!probably) return [];
    return [{ type: "link.orphan_hit", subject: `orphan:${click.trackingId}`, data: { orphan_id: click.trackingId, probably: probably, click: clickSummary(click) } }];
  }
  if ((click.visitorKind ?? "human") !== "human") return [];
  const link = findLink(db, click.trackingId);
  if (!link) return [];
  const base = { link: linkSummary(link), job_id: link.jobId, application_id: link.applicationId, click: clickSummary(click) };
  const out: Signal[] = [];
  const linkSubject = `link:${link.trackingId}`;
  if (!previousHumanClickOfLink(db, link.trackingId, click.clickedAt, click.clickId) && !signalExists(db, "click.first_human", linkSubject)) {
    out.push({ type: "click.first_human", subject: linkSubject, data: { scope: "link", ...base } });
  }
  if (link.applicationId) {
    const appSubject = `application:${link.applicationId}`;
    const previous = previousHumanClickOfApplication(db, link.applicationId, click.clickedAt, click.clickId);
    if (!previous && !signalExists(db, "click.first_human", appSubject)) {
      out.push({ type: "click.first_human", subject: appSubject, data: { scope: "application", ...base } });
    } else if (previous && Date.parse(click.clickedAt) - Date.parse(previous) > returnDays * DAY_MS) {
      const days = Math.floor((Date.parse(click.clickedAt) - Date.parse(previous)) / DAY_MS);
      out.push({ type: "click.returned", subject: appSubject, data: { ...base, previous_human_click: previous, days_since_previous: days } });
    }
  }
  return out;
}

/** Runs inside the click's transaction: every event is stored with its click, or neither is. */
export function recordSignals(db: Db, config: Pick<Config, "signalReturnDays" | "signalHoldSeconds">, clicks: ClickInsert[], now = new Date()): void {
  const createdAt = now.toISOString();
  const deliverAfter = new Date(now.getTime() + config.signalHoldSeconds * 1000).toISOString();
  for (const click of clicks) {
    for (const s of signalsOf(db, click, config.signalReturnDays)) {
      const eventId = `evt_${Bun.randomUUIDv7().replaceAll("-", "")}`;
      insertSignal(db, {
        eventId,
        type: s.type,
        createdAt,
        deliverAfter,
        clickId: click.clickId,
        trackingId: click.trackingId,
        subject: s.subject,
        payload: { id: eventId, type: s.type, created_at: createdAt, data: s.data },
      });
    }
  }
}

/** Clicks found to be a scanner's: their events are withdrawn before anyone saw them. */
export const withdrawSignals = (db: Db, clickIds: string[]) => cancelSignalsOf(db, clickIds, new Date().toISOString());
