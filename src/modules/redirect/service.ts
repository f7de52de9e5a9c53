import type { Link, Store } from "../../db/store";

/** What a redirect needs of a link, wherever it comes from. */
export type ResolvedLink = Pick<Link, "trackingId" | "originalUrl" | "applicationId" | "isActive" | "expiresAt"> & Partial<Pick<Link, "shortCode">>;

export type Resolution =
  | { kind: "live"; link: ResolvedLink }
  | { kind: "gone"; link: ResolvedLink }
  | { kind: "unknown" }
  /** Edge mode: the upstream cannot be asked and has never answered for this id. */
  | { kind: "unavailable" };

/** Where the redirect finds links: this server's database, or (edge mode) LOOKUP_API_URL. */
export interface LinkSource {
  resolve(trackingId: string, now: string): Resolution | Promise<Resolution>;
  /** Whether `/{source}` without a uuid may be one of our links cut short. */
  sourceInUse(source: string): boolean | Promise<boolean>;
}

export const isLiveLink = (link: ResolvedLink, now: string): boolean => link.isActive && (link.expiresAt === null || link.expiresAt > now);

export const classifyLink = (link: ResolvedLink | undefined, now: string): Resolution =>
  !link ? { kind: "unknown" } : isLiveLink(link, now) ? { kind: "live", link } : { kind: "gone", link };

/**
 * The store's links, from its in-memory cache (no turn of the event loop waited for), or
 * read through it; a read that fails while the database is away is "unavailable".
 */
export function localLinks(store: Store): LinkSource {
  return {
    resolve: (trackingId, now) => {
      const found = store.links.findCached(trackingId, Date.parse(now));
      return found instanceof Promise
        ? found.then(
            (link) => classifyLink(link, now),
            (): Resolution => ({ kind: "unavailable" }),
          )
        : classifyLink(found, now);
    },
    sourceInUse: (source) => store.links.sourceInUse(source),
  };
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
