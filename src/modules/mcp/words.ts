/**
 * What the assistant's tools say, as text a model can quote to the job seeker: who
 * opened what, when and from where, in words. Never an address or a raw user agent: a
 * click is "a person", "a mail scanner", "a link preview"; a place is its network and
 * country.
 */
import type { VisitorKind } from "../clicks/visitor";
import { placeText } from "../webhooks/signals";
import type { SignalPayload } from "../webhooks/model";

/** Who made a click of each kind, for a person. */
export const KIND_WORDS: Record<VisitorKind, string> = {
  human: "a person",
  assistant: "an AI assistant (someone asked ChatGPT, Claude or another assistant to open it)",
  bot: "a bot",
  preview: "a link preview (an app showing the link in a chat or post)",
  scanner: "a mail scanner (a security gateway opening links before the recipient does)",
  owner: "you (the job seeker's own browser or address)",
};

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "2 days ago", "5 min ago", "40 s ago", from an ISO time to `now`. */
export function ago(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return plural(hours, "hour") + " ago";
  return plural(Math.round(hours / 24), "day") + " ago";
}

/** "2026-11-29T14:02:11.000Z (2 days ago)". */
export const when = (iso: string, now = Date.now()) => `${iso} (${ago(iso, now)})`;

/** " from Deutsche Telekom AG, DE", or nothing when the click was not located. */
export const from = (place: { country?: string | null; network?: string | null }) => {
  const text = placeText(place);
  return text ? ` from ${text}` : "";
};

export const STATUS_WORDS = { not_opened: "not opened yet", opened: "opened", came_back: "opened, and someone came back later" } as const;

/** Other kinds than a person's, in words: "2 by a mail scanner, 1 by a bot"; null when there were none. */
export function othersText(kinds: Record<VisitorKind, number>): string | null {
  const parts = (Object.keys(kinds) as VisitorKind[]).filter((k) => k !== "human" && kinds[k] > 0).map((k) => `${kinds[k]} by ${KIND_WORDS[k].replace(/ \(.*\)$/, "")}`);
  return parts.length > 0 ? parts.join(", ") : null;
}

/** One event of the feed in a sentence. */
export function eventText(event: SignalPayload, now = Date.now()): string {
  if (event.type === "link.orphan_hit") {
    const d = event.data;
    const meant = d.probably_link;
    const target = meant ? `${meant.application_label ? `${meant.application_label} · ` : ""}${meant.link_function} (${meant.tracking_id})` : `the deleted link ${d.probably}`;
    return `${when(d.click.clicked_at, now)}: a link cut short was opened (id "${d.orphan_id}")${from(d.click)}; it was probably ${target}. It can be attributed with attribute_orphan.`;
  }
  const application = event.data.application?.label ?? (event.data.application_id ? `application ${event.data.application_id.slice(0, 8)}` : "a link without an application");
  const link = `the ${event.data.link.link_function} link`;
  if (event.type === "link.destination_down" || event.type === "link.destination_up") {
    const c = event.data.destination;
    return event.type === "link.destination_down"
      ? `${when(c.checked_at, now)}: ${application}: ${link} leads nowhere (${event.data.link.original_url} answered ${c.error ?? "an error"}, twice in a row); a recruiter would find an error page.`
      : `${when(c.checked_at, now)}: ${application}: ${link} works again (${event.data.link.original_url} answers).`;
  }
  const d = event.data;
  const own = "company_network" in d.click && d.click.company_network && d.application?.company ? ` (from ${d.application.company}'s own network)` : "";
  if (event.type === "click.assistant") {
    return `${when(d.click.clicked_at, now)}: ${application}: someone asked an AI assistant (${event.data.assistant.name}, ${event.data.assistant.vendor}) to open ${link}.`;
  }
  if (event.type === "click.returned") {
    return `${when(d.click.clicked_at, now)}: ${application}: someone came back after ${plural(event.data.days_since_previous, "day")} (${link})${from(d.click)}${own}.`;
  }
  return event.data.scope === "application"
    ? `${when(d.click.clicked_at, now)}: ${application} was opened for the first time (${link})${from(d.click)}${own}.`
    : `${when(d.click.clicked_at, now)}: ${application}: ${link} was opened for the first time${from(d.click)}${own}.`;
}

export { plural };
