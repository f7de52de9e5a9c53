/**
 * What a click means to the job seeker, decided as it is stored (in its transaction):
 *   click.first_human  the first human click of a link, and separately of an application
 *   click.returned     a human click on an application whose last one is over N days old
 *   click.assistant    an AI assistant's fetch on someone's request (once per link a day)
 *   link.orphan_hit    a hit on an unknown id that looks like one of ours cut short
 * Events wait SIGNAL_HOLD_SECONDS before anyone sees them: a scanner burst is recognised
 * only at its third click, and then withdraws the events of the first two.
 */
import { agentText, describeAgent } from "../../db/describe";
import { assistantOf } from "../clicks/assistants";
import type { Link, NewClick, NewSignal, SignalFacts, SignalRule, SignalType } from "../../db/store";

const DAY_MS = 86_400_000;

type Signal = { type: SignalType; subject: string; data: Record<string, unknown> };

function clickSummary(c: NewClick) {
  let referrerDomain: string | null = null;
  try {
    referrerDomain = c.referrerUrl ? new URL(c.referrerUrl).hostname : null;
  } catch {}
  return {
    click_id: c.clickId,
    clicked_at: c.clickedAt,
    click_source: c.clickSource ?? null,
    referrer_domain: referrerDomain,
    visitor_kind: c.visitorKind,
    country: c.country ?? null,
    asn: c.asn ?? null,
    network: c.network ?? null,
    from: placeText(c),
    agent: agentText(describeAgent(c.userAgent)),
  };
}

/** "Microsoft Corporation, US", "Deutsche Telekom AG, DE", "US", or null: where a click came from, for a person. */
export function placeText(c: { country?: string | null; network?: string | null }): string | null {
  return [c.network, c.country].filter(Boolean).join(", ") || null;
}

export const linkSummary = (l: Link) => ({ tracking_id: l.trackingId, link_function: l.linkFunction, link_type: l.linkType, original_url: l.originalUrl, redirect_url: l.redirectUrl });

function signalsOf(facts: SignalFacts, click: NewClick, returnDays: number): Signal[] {
  // History brought in by an import tells nobody: it happened before this server knew of it.
  if (click.origin === "import") return [];
  if (click.outcome !== "redirected") {
    const probably = click.trackingId.length >= 4 && !facts.link(click.trackingId) ? facts.probableLink(click.trackingId) : null;
    if (!probably) return [];
    return [{ type: "link.orphan_hit", subject: `orphan:${click.trackingId}`, data: { orphan_id: click.trackingId, probably: probably, click: clickSummary(click) } }];
  }
  if (click.visitorKind !== "human" && click.visitorKind !== "assistant") return [];
  const link = facts.link(click.trackingId);
  if (!link) return [];
  const base = () => ({ link: linkSummary(link), job_id: link.jobId, application_id: link.applicationId, click: clickSummary(click) });
  if (click.visitorKind === "assistant") {
    const assistant = assistantOf(click.userAgent ?? "");
    const subject = `link:${link.trackingId}:${click.clickedAt.slice(0, 10)}`;
    if (!assistant || facts.signalExists("click.assistant", subject)) return [];
    return [{ type: "click.assistant", subject, data: { ...base(), assistant: { name: assistant.name, vendor: assistant.vendor, token: assistant.token } } }];
  }
  const out: Signal[] = [];
  const linkSubject = `link:${link.trackingId}`;
  // Only whether there is one: any earlier click will do.
  const previousOfLink = facts.previousHumanOfLink(link.trackingId, click, Number.POSITIVE_INFINITY);
  if (!previousOfLink && !facts.signalExists("click.first_human", linkSubject)) {
    out.push({ type: "click.first_human", subject: linkSubject, data: { scope: "link", ...base() } });
  }
  if (link.applicationId) {
    const appSubject = `application:${link.applicationId}`;
    // Whether there is one, and whether the latest is more than returnDays before: one within them will do.
    const previous = facts.previousHumanOfApplication(link.applicationId, click, returnDays * DAY_MS);
    if (!previous && !facts.signalExists("click.first_human", appSubject)) {
      out.push({ type: "click.first_human", subject: appSubject, data: { scope: "application", ...base() } });
    } else if (previous && Date.parse(click.clickedAt) - Date.parse(previous) > returnDays * DAY_MS) {
      const days = Math.floor((Date.parse(click.clickedAt) - Date.parse(previous)) / DAY_MS);
      out.push({ type: "click.returned", subject: appSubject, data: { ...base(), previous_human_click: previous, days_since_previous: days } });
    }
  }
  return out;
}

/**
 * The rule the store applies to every batch of new clicks, in their transaction: each
 * event is stored with its click, or neither is. Events are held `holdSeconds` before
 * anyone sees them.
 */
export function signalRule({ returnDays, holdSeconds }: { returnDays: number; holdSeconds: number }, now = () => new Date()): SignalRule {
  return (facts, clicks) => {
    const at = now();
    const createdAt = at.toISOString();
    const deliverAfter = new Date(at.getTime() + holdSeconds * 1000).toISOString();
    const signals: NewSignal[] = [];
    // An assistant's event once per link a day, within the batch too.
    const assisted = new Set<string>();
    for (const click of clicks) {
      for (const s of signalsOf(facts, click, returnDays)) {
        if (s.type === "click.assistant") {
          if (assisted.has(s.subject)) continue;
          assisted.add(s.subject);
        }
        const eventId = `evt_${Bun.randomUUIDv7().replaceAll("-", "")}`;
        signals.push({
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
    return signals;
  };
}
