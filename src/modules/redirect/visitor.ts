/**
 * The visitor of a redirect, captured once from the request: every field cropped to its
 * column, and a cookieless session id.
 */
import { NOWHERE, type Place } from "../../lib/geo";
import { anonymizeIp } from "../../lib/ip";
import type { Config } from "../../config";
import { classify, type Classification } from "../clicks/visitor";

const MAX_USER_AGENT = 500;
const MAX_REFERRER = 1000;
const MAX_METADATA_KEYS = 20;
const MAX_METADATA_KEY = 50;
const MAX_METADATA_VALUE = 500;

export type Visitor = Classification & Place & {
  ip: string | null;
  userAgent: string | null;
  referrer: string | null;
  metadata: Record<string, string>;
  sessionId: string | null;
};

const crop = (value: string | null, max: number): string | null => (value ? value.slice(0, max) : null);

const withoutNul = (text: string) => (text.includes("\u0000") ? text.replaceAll("\u0000", "") : text);

/** Query parameters other than uuid (utm_* and the rest), bounded in count and size, without NULs (no database text holds one). */
export function queryMetadata(params: URLSearchParams): Record<string, string> {
  const metadata: Record<string, string> = {};
  let count = 0;
  for (const [rawKey, rawValue] of params) {
    const key = withoutNul(rawKey);
    const value = withoutNul(rawValue);
    if (key === "uuid" || key in metadata || key.length === 0) continue;
    if (++count > MAX_METADATA_KEYS) break;
    metadata[key.slice(0, MAX_METADATA_KEY)] = value.slice(0, MAX_METADATA_VALUE);
  }
  return metadata;
}

/**
 * A salted hash of IP and user agent. The salt changes every day and the old one is
 * deleted, so visits can be grouped within a day but the IP cannot be recovered.
 */
export function sessionId(salt: string, ip: string | null, userAgent: string | null): string | null {
  if (!ip && !userAgent) return null;
  const digest = new Bun.CryptoHasher("sha256").update(`${salt}\n${ip ?? ""}\n${userAgent ?? ""}`).digest("base64url");
  return `s_${digest.slice(0, 22)}`;
}

/** The referrer's origin alone (scheme, host, port): where from, not which page. */
function originOf(referrer: string | null): string | null {
  if (!referrer) return null;
  try {
    const origin = new URL(referrer).origin;
    return origin === "null" ? null : origin;
  } catch {
    return null;
  }
}

const onlyCampaign = (metadata: Record<string, string>) => Object.fromEntries(Object.entries(metadata).filter(([key]) => key.startsWith("utm_")));

/** DNT: 1 or Sec-GPC: 1: the visitor asked not to be tracked. */
export const asksNotToBeTracked = (headers: Headers) => headers.get("dnt") === "1" || headers.get("sec-gpc") === "1";

/**
 * The visitor, with privacy settings applied: with RESPECT_DNT a visitor who asks not
 * to be tracked is counted without IP, user agent or session, with only the referrer's
 * origin and the utm_* parameters; with IP_ANONYMIZE the IP is cut to its network, and
 * the session id is made from that network too (a hash of the full address, with the
 * day's salt in the same database, would give the address back in 256 guesses).
 * `networkIp` is the full address, for this request only (owner and burst checks); it
 * is never stored.
 */
export function buildVisitor(input: {
  headers: Headers;
  params: URLSearchParams;
  /** The client's address (lib/ip.ts clientIp). */
  ip: string | null;
  config: Pick<Config, "isOwnerIp" | "ipAnonymize" | "respectDnt" | "locator">;
  salt: string;
  ownerBrowser?: boolean;
  /** The burst rule of classification (clicks/visitor.ts), for a live link's hit. */
  burst?: () => string | null;
}): Visitor & { networkIp: string | null } {
  const { headers, config, ip } = input;
  const userAgent = crop(headers.get("user-agent"), MAX_USER_AGENT);
  // Located from the full address, before IP_ANONYMIZE cuts it.
  const place = config.locator.locate(ip);
  const kind = classify({
    place,
    userAgent,
    ip,
    acceptLanguage: headers.get("accept-language"),
    isOwnerIp: config.isOwnerIp,
    ownerBrowser: input.ownerBrowser,
    burst: input.burst,
  });
  const untracked = config.respectDnt && asksNotToBeTracked(headers);
  const storedIp = config.ipAnonymize ? anonymizeIp(ip) : ip;
  const referrer = crop(headers.get("referer"), MAX_REFERRER);
  const metadata = queryMetadata(input.params);
  return {
    ip: untracked ? null : storedIp,
    userAgent: untracked ? null : userAgent,
    referrer: untracked ? originOf(referrer) : referrer,
    metadata: untracked ? onlyCampaign(metadata) : metadata,
    sessionId: untracked ? null : sessionId(input.salt, storedIp, userAgent),
    // A visitor who asked not to be tracked keeps the country alone.
    ...(untracked ? { ...NOWHERE, country: place.country } : place),
    networkIp: ip,
    ...kind,
  };
}
