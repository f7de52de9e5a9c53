/**
 * Who clicked: a recruiter (human), an AI assistant fetching it because a person asked,
 * or a bot, a link-preview fetch, a mail security scanner, or the job seeker themself
 * (owner). Rules, first match wins:
 *   1. owner    the client IP is in EXCLUDE_IPS, or the browser signed in to the dashboard
 *   2. preview  the user agent is a known link unfurler (LinkedIn, Slack, WhatsApp…)
 *   3. scanner  the user agent is a known mail security gateway
 *   4. assistant the user agent is an AI assistant fetching on a person's request (assistants.ts)
 *   5. bot      the user agent is on isbot's list (the crawlers that train or index among them)
 *   6. scanner  the address is a mail-security vendor's (networks.ts)
 *   7. scanner  a redirect request without Accept-Language (every browser sends one;
 *               scanners that pose as browsers often do not)
 *   8. bot      the address is a cloud or hosting network's (networks.ts)
 *   9. scanner  (redirects) one IP opening three or more links of the same application
 *               within seconds: a scanner pre-clicking a whole message (burst.ts)
 *  10. human
 */
import { isbot } from "isbot";
import type { Place } from "../../lib/geo";
import { assistantOf, assistantReason } from "./assistants";
import { networkClassification } from "./networks";

export const VISITOR_KINDS = ["human", "assistant", "bot", "preview", "scanner", "owner"] as const;
export type VisitorKind = (typeof VISITOR_KINDS)[number];

/** Counts per kind, every kind present (0 when none). */
export function countsByKind(rows: { kind: string; clicks: number }[]): Record<VisitorKind, number> {
  const counts = Object.fromEntries(VISITOR_KINDS.map((k) => [k, 0])) as Record<VisitorKind, number>;
  for (const r of rows) if (r.kind in counts) counts[r.kind as VisitorKind] += r.clicks;
  return counts;
}

export type Classification = { visitorKind: VisitorKind; visitorReason: string | null };

const PREVIEW_AGENTS =
  /LinkedInBot|Slackbot|Slack-ImgProxy|facebookexternalhit|Facebot|Twitterbot|WhatsApp|TelegramBot|Discordbot|SkypeUriPreview|MicrosoftPreview|redditbot|Pinterestbot|Embedly|Iframely|vkShare|Mastodon|Bluesky|Google-PageRenderer|Snap URL Preview|Viber/i;

const SCANNER_AGENTS =
  /Barracuda|Mimecast|Proofpoint|ppops|TrendMicro|Trend Micro|Symantec|MessageLabs|Forcepoint|Sophos|IronPort|FireEye|Zscaler|Check ?Point|SafeLinks|Cisco|Avanan|Abnormal/i;

const HUMAN: Classification = { visitorKind: "human", visitorReason: null };

// isbot runs one large regular expression; recruiters' browsers repeat the same few
// user agents, so answers are remembered (bounded: the map is emptied when full).
const MAX_REMEMBERED = 2000;
const remembered = new Map<string, Classification | null>();

function byUserAgent(userAgent: string): Classification | null {
  if (remembered.has(userAgent)) return remembered.get(userAgent)!;
  let result: Classification | null = null;
  const preview = PREVIEW_AGENTS.exec(userAgent);
  const scanner = SCANNER_AGENTS.exec(userAgent);
  const assistant = assistantOf(userAgent);
  if (preview) result = { visitorKind: "preview", visitorReason: `preview agent ${preview[0]}` };
  else if (scanner) result = { visitorKind: "scanner", visitorReason: `security scanner ${scanner[0]}` };
  else if (assistant) result = { visitorKind: "assistant", visitorReason: assistantReason(assistant) };
  else if (isbot(userAgent)) result = { visitorKind: "bot", visitorReason: "isbot" };
  if (remembered.size >= MAX_REMEMBERED) remembered.clear();
  remembered.set(userAgent, result);
  return result;
}

export type VisitorFacts = {
  userAgent: string | null | undefined;
  ip: string | null | undefined;
  /** A browser signed in to the dashboard (its owner cookie). */
  ownerBrowser?: boolean;
  /** Only a redirect knows; an ingested event does not say. */
  acceptLanguage?: string | null;
  isOwnerIp: (ip: string | null | undefined) => boolean;
  /** Where the address is (lib/geo): its network decides rules 5 and 7. */
  place?: Place;
  /** The last rule, asked only of a click every other rule finds human: a burst's reason, or null (redirect/burst.ts). */
  burst?: () => string | null;
};

export function classify(facts: VisitorFacts): Classification {
  if (facts.isOwnerIp(facts.ip)) return { visitorKind: "owner", visitorReason: "EXCLUDE_IPS" };
  if (facts.ownerBrowser) return { visitorKind: "owner", visitorReason: "signed in to the dashboard" };
  const byAgent = byUserAgent(facts.userAgent ?? "");
  if (byAgent) return byAgent;
  const byNetwork = networkClassification(facts.ip, facts.place);
  if (byNetwork?.visitorKind === "scanner") return byNetwork;
  if (facts.acceptLanguage === null) return { visitorKind: "scanner", visitorReason: "no Accept-Language" };
  if (byNetwork) return byNetwork;
  const burst = facts.burst?.();
  if (burst) return { visitorKind: "scanner", visitorReason: burst };
  return HUMAN;
}
