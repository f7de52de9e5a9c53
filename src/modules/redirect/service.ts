import type { Db } from "../../db";
import { findLinkCached } from "../../db/links";
import type { LinkRow } from "../../db/schema";
import { isLive } from "../links/service";

export type Resolution = { kind: "live"; link: LinkRow } | { kind: "gone"; link: LinkRow } | { kind: "unknown" };

export function resolveLink(db: Db, trackingId: string, now: string): Resolution {
  const link = findLinkCached(db, trackingId, Date.parse(now));
  if (!link) return { kind: "unknown" };
  return isLive(link, now) ? { kind: "live", link } : { kind: "gone", link };
}

const WEBMAIL_HOSTS = new Set([
  "mail.google.com",
  "gmail.com",
  "outlook.live.com",
  "outlook.office.com",
  "outlook.office365.com",
  "mail.yahoo.com",
  "mail.aol.com",
  "mail.proton.me",
  "mail.protonmail.com",
  "app.fastmail.com",
  "www.fastmail.com",
  "mail.zoho.com",
  "mail.yandex.ru",
  "mail.yandex.com",
  "www.icloud.com",
  "mail.gmx.net",
  "mail.gmx.com",
  "navigator.web.de",
]);

const isUnder = (host: string, domain: string) => host === domain || host.endsWith(`.${domain}`);

/**
 * click_source of a /track/{id} hit, from the Referer's host (external-domain-guide.md's
 * "Click Source Categories"): webmail → email, LinkedIn, Indeed, none → direct, other → external.
 */
export function sourceFromReferrer(referrer: string | null): string {
  if (!referrer) return "direct";
  let host: string;
  try {
    host = new URL(referrer).hostname.toLowerCase();
  } catch {
    return "external";
  }
  if (WEBMAIL_HOSTS.has(host) || /^(web)?mail\./.test(host)) return "email";
  if (isUnder(host, "linkedin.com") || host === "lnkd.in") return "linkedin";
  if (/(^|\.)indeed\.[a-z.]+$/.test(host)) return "indeed";
  return "external";
}

/** What an unknown id is kept as: cropped to the column, control characters dropped. */
export const orphanId = (raw: string): string => raw.replace(/[\u0000-\u001f\u007f]/g, "").slice(0, 100);
