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
import { clickRewrites, previousHumanClickOfLink, previousHumanClickOfLinks, takeTouchedLinks } from "../../db/clicks";
import { perDb } from "../../db";
import { settleClicks } from "../../db/inbox";
import { allTrackingIdsCached, findLinkCached, linksOf } from "../../db/links";
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

/**
 * The latest human click per link and per application, remembered as clicks are stored,
 * so that a click costs no query to know whether it is a first or a return. Read from
 * the database the first time; forgotten when stored clicks change: all of it when a
 * change does not say what it touched (clickRewrites), the touched links and their
 * applications when it does (a burst's reclassification, takeTouchedLinks). A link or
 * application read from the database again after that first moves the inbox over
 * (`unsettled`), so that the read sees every click committed before it.
 */
type Memo = { generation: number; byLink: Map<string, string | null>; byApplication: Map<string, string | null>; unsettled: boolean };

function memoOf(db: Db): Memo {
  const memo = perDb<Memo>(db, "signal-memo", () => ({ generation: -1, byLink: new Map(), byApplication: new Map(), unsettled: false }));
  if (memo.generation !== clickRewrites(db) || memo.byLink.size > 50_000) {
    // Every click queued from here on is noted as it is stored, so the database is asked
    // (and the inbox moved over) only now, not on each first sight of a link.
    settleClicks(db);
    takeTouchedLinks(db);
    memo.generation = clickRewrites(db);
    memo.byLink.clear();
    memo.byApplication.clear();
    memo.unsettled = false;
    return memo;
  }
  const touched = takeTouchedLinks(db);
  if (touched) {
    const now = Date.now();
    for (const trackingId of touched) {
      memo.byLink.delete(trackingId);
      const applicationId = findLinkCached(db, trackingId, now)?.applicationId;
      if (applicationId) memo.byApplication.delete(applicationId);
    }
    memo.unsettled = true;
  }
  return memo;
}

/** The latest human click before `click` in `memo` (read once from the database), then `click` noted as the latest. */
function previousAndNote(db: Db, memo: Memo, map: Map<string, string | null>, key: string, click: ClickInsert, read: () => string | null): string | null {
  let latest = map.get(key);
  if (latest === undefined) {
    if (memo.unsettled) {
      settleClicks(db);
      memo.unsettled = false;
    }
    latest = read();
  }
  // A click older than the latest known (a late ingested event) asks the database, with
  // every click moved out of the inbox (the memo holds only the latest); one of the same
  // millisecond comes after it (time-ordered ids), so the latest is its previous.
  const previous = latest !== null && latest > click.clickedAt ? (settleClicks(db), read()) : latest;
  if (latest === null || click.clickedAt > latest) map.set(key, click.clickedAt);
  else map.set(key, latest);
  return previous;
}

function signalsOf(db: Db, click: ClickInsert, returnDays: number): Signal[] {
  if ((click.outcome ?? "redirected") !== "redirected") {
    const now = Date.now();
    const probably = click.trackingId.length >= 4 && !findLinkCached(db, click.trackingId, now) ? probableLink(click.trackingId, allTrackingIdsCached(db, now)) : null;
    if (!probably) return [];
    return [{ type: "link.orphan_hit", subject: `orphan:${click.trackingId}`, data: { orphan_id: click.trackingId, probably: probably, click: clickSummary(click) } }];
  }
  if ((click.visitorKind ?? "human") !== "human") return [];
  const link = findLinkCached(db, click.trackingId, Date.now());
  if (!link) return [];
  const memo = memoOf(db);
  const base = () => ({ link: linkSummary(link), job_id: link.jobId, application_id: link.applicationId, click: clickSummary(click) });
  const out: Signal[] = [];
  const linkSubject = `link:${link.trackingId}`;
  const previousOfLink = previousAndNote(db, memo, memo.byLink, link.trackingId, click, () => previousHumanClickOfLink(db, link.trackingId, click.clickedAt, click.clickId));
  if (!previousOfLink && !signalExists(db, "click.first_human", linkSubject)) {
    out.push({ type: "click.first_human", subject: linkSubject, data: { scope: "link", ...base() } });
  }
  if (link.applicationId) {
    const appSubject = `application:${link.applicationId}`;
    const applicationId = link.applicationId;
    const previous = previousAndNote(db, memo, memo.byApplication, applicationId, click, () =>
      previousHumanClickOfLinks(
        db,
        linksOf(db, { applicationId }).map((l) => l.trackingId),
        click.clickedAt,
        click.clickId,
      ),
    );
    if (!previous && !signalExists(db, "click.first_human", appSubject)) {
      out.push({ type: "click.first_human", subject: appSubject, data: { scope: "application", ...base() } });
    } else if (previous && Date.parse(click.clickedAt) - Date.parse(previous) > returnDays * DAY_MS) {
      const days = Math.floor((Date.parse(click.clickedAt) - Date.parse(previous)) / DAY_MS);
      out.push({ type: "click.returned", subject: appSubject, data: { ...base(), previous_human_click: previous, days_since_previous: days } });
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
