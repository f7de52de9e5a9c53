import { isIP } from "node:net";

/** A valid IP in its plain form (an IPv4-mapped IPv6 address becomes IPv4), or null. */
export function normaliseIp(value: string | null | undefined): string | null {
  if (!value) return null;
  let ip = value.trim();
  if (ip.startsWith("[") && ip.includes("]")) ip = ip.slice(1, ip.indexOf("]"));
  if (/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(ip)) ip = ip.slice(7);
  return isIP(ip) ? ip.toLowerCase() : null;
}

/** The eight 16-bit groups of an IPv6 address. */
function ipv6Groups(ip: string): number[] {
  const [head, tail] = ip.includes("::") ? ip.split("::") : [ip, undefined];
  const parse = (part: string | undefined) => (part ? part.split(":").filter(Boolean) : []);
  const left = parse(head);
  const right = parse(tail);
  // An embedded IPv4 tail (::ffff:1.2.3.4 style) counts as two groups.
  const expand = (groups: string[]) =>
    groups.flatMap((g) => (g.includes(".") ? (([a, b, c, d]) => [(a << 8) | b, (c << 8) | d])(g.split(".").map(Number)) : [parseInt(g, 16)]));
  const l = expand(left);
  const r = expand(right);
  return [...l, ...Array(8 - l.length - r.length).fill(0), ...r];
}

/** IPv4 cut to its /24 (203.0.113.0), IPv6 to its /48 (2001:db8:85a3::): a network, not a person. */
export function anonymizeIp(ip: string | null): string | null {
  if (!ip) return ip;
  const family = isIP(ip);
  if (family === 4) return ip.replace(/\.\d+$/, ".0");
  if (family === 6) return `${ipv6Groups(ip).slice(0, 3).map((g) => g.toString(16)).join(":")}::`;
  return null;
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
