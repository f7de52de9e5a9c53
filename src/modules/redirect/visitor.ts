/**
 * The visitor of a redirect, captured once from the request: every field cropped to its
 * column, the IP taken only from where it can be trusted, and a cookieless session id.
 */
import { isIP } from "node:net";
import { classify, type Classification } from "../clicks/visitor";

const MAX_USER_AGENT = 500;
const MAX_REFERRER = 1000;
const MAX_METADATA_KEYS = 20;
const MAX_METADATA_KEY = 50;
const MAX_METADATA_VALUE = 500;

export type Visitor = Classification & {
  ip: string | null;
  userAgent: string | null;
  referrer: string | null;
  metadata: Record<string, string>;
  sessionId: string | null;
};

const crop = (value: string | null, max: number): string | null => (value ? value.slice(0, max) : null);

/** A valid IP in its plain form (an IPv4-mapped IPv6 address becomes IPv4), or null. */
export function normaliseIp(value: string | null | undefined): string | null {
  if (!value) return null;
  let ip = value.trim();
  if (ip.startsWith("[") && ip.includes("]")) ip = ip.slice(1, ip.indexOf("]"));
  if (/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(ip)) ip = ip.slice(7);
  return isIP(ip) ? ip.toLowerCase() : null;
}

/**
 * The client's IP: the socket's, unless TRUST_PROXY says a proxy in front sets the
 * headers. Then the last X-Forwarded-For entry (the one our proxy appended; earlier
 * ones are whatever the client claimed), else X-Real-IP.
 */
export function clientIp(headers: Headers, socketIp: string | null | undefined, trustProxy: boolean): string | null {
  if (trustProxy) {
    const forwarded = headers.get("x-forwarded-for");
    if (forwarded) {
      const last = normaliseIp(forwarded.split(",").at(-1));
      if (last) return last;
    }
    const real = normaliseIp(headers.get("x-real-ip"));
    if (real) return real;
  }
  return normaliseIp(socketIp);
}

/** Query parameters other than uuid (utm_* and the rest), bounded in count and size. */
export function queryMetadata(params: URLSearchParams): Record<string, string> {
  const metadata: Record<string, string> = {};
  let count = 0;
  for (const [key, value] of params) {
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

export function buildVisitor(input: {
  headers: Headers;
  params: URLSearchParams;
  socketIp: string | null | undefined;
  trustProxy: boolean;
  isOwnerIp: (ip: string | null | undefined) => boolean;
  salt: string;
}): Visitor {
  const ip = clientIp(input.headers, input.socketIp, input.trustProxy);
  const userAgent = crop(input.headers.get("user-agent"), MAX_USER_AGENT);
  return {
    ip,
    userAgent,
    referrer: crop(input.headers.get("referer"), MAX_REFERRER),
    metadata: queryMetadata(input.params),
    sessionId: sessionId(input.salt, ip, userAgent),
    ...classify({ userAgent, ip, acceptLanguage: input.headers.get("accept-language"), isOwnerIp: input.isOwnerIp }),
  };
}
