/**
 * IP addresses in one spelling. Every address is stored canonical (lower case, IPv6 in
 * its shortest RFC 5952 form, an IPv4-mapped IPv6 address as plain IPv4), so that erasing
 * an address finds every click of it, however its sender wrote it.
 */
import { BlockList, isIP, isIPv4 } from "node:net";
import ipaddr from "ipaddr.js";

/**
 * An IPv6 address with a dotted IPv4 tail written as two hex groups: ipaddr.js reads any
 * dotted tail as IPv4-mapped ("::8.8.8.8" as ::ffff:8.8.8.8), where every network stack
 * reads ::808:808 (an IPv4-compatible address).
 */
function hexTail(ip: string): string {
  const cut = ip.lastIndexOf(":");
  const tail = ip.slice(cut + 1);
  if (!tail.includes(".") || !isIPv4(tail)) return ip;
  const [a, b, c, d] = tail.split(".").map(Number) as [number, number, number, number];
  return `${ip.slice(0, cut + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

/** A valid IP in its canonical form, or null. Brackets and an IPv6 zone (`%eth0`) are dropped. */
export function normaliseIp(value: string | null | undefined): string | null {
  if (!value) return null;
  let ip = value.trim();
  if (ip.startsWith("[") && ip.includes("]")) ip = ip.slice(1, ip.indexOf("]"));
  const zone = ip.indexOf("%");
  if (zone !== -1) ip = ip.slice(0, zone);
  // node:net's check is the strict one (no "1.2.3", no leading zeros): an IPv4 address it
  // accepts has one spelling already. ipaddr.js spells IPv6.
  const family = isIP(ip);
  if (family === 4) return ip;
  if (family !== 6) return null;
  const v6 = ipaddr.IPv6.parse(hexTail(ip));
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address().toString() : v6.toRFC5952String();
}

/** IPv4 cut to its /24 (203.0.113.0), IPv6 to its /48 (2001:db8:85a3::): a network, not a person. */
export function anonymizeIp(ip: string | null): string | null {
  const canonical = normaliseIp(ip);
  if (!canonical) return null;
  const address = ipaddr.parse(canonical);
  if (address.kind() === "ipv4") return ipaddr.IPv4.networkAddressFromCIDR(`${canonical}/24`).toString();
  return ipaddr.IPv6.networkAddressFromCIDR(`${canonical}/48`).toRFC5952String();
}

/**
 * The key a rate limit counts a client by: an IPv4 address, or an IPv6 address's /64
 * (one subscriber's network: a client can take any address inside it at will).
 */
export function clientNetwork(ip: string | null): string {
  const canonical = normaliseIp(ip);
  if (!canonical) return "unknown";
  if (isIP(canonical) === 4) return canonical;
  return `${ipaddr.IPv6.networkAddressFromCIDR(`${canonical}/64`).toRFC5952String()}/64`;
}

/**
 * IPv6 ranges that carry an IPv4 address in their last 32 bits and that ipaddr.js calls
 * unicast: IPv4-compatible addresses (::/96, deprecated: `[::127.0.0.1]` is 127.0.0.1 to
 * a stack that still routes them) and local-use NAT64 (64:ff9b:1::/48, RFC 8215). Both are
 * refused whatever the IPv4 inside; the other embeddings (mapped, NAT64's well-known
 * prefix, SIIT, 6to4, Teredo) are ranges of their own, not unicast, and refused as such.
 */
const EMBEDDING_IPV4 = [ipaddr.parseCIDR("::/96"), ipaddr.parseCIDR("64:ff9b:1::/48")] as const;

/**
 * True for addresses no webhook or destination check should be sent to: loopback, private
 * (RFC 1918), link-local, unique-local, carrier-grade NAT, unspecified, multicast,
 * reserved ranges, and an IPv4 address embedded in IPv6.
 */
export function isNonPublicIp(ip: string): boolean {
  const canonical = normaliseIp(ip);
  if (!canonical) return true;
  const address = ipaddr.parse(canonical);
  if (address.kind() === "ipv6" && EMBEDDING_IPV4.some((range) => (address as ipaddr.IPv6).match(range))) return true;
  return address.range() !== "unicast";
}

/**
 * Who may tell the client's address (TRUST_PROXY): nobody (false); the last `n` hops
 * (true is 1: one proxy in front, as a platform's ingress or a Caddy on the same machine);
 * or the proxies at these addresses (`trusted`), however many there are.
 */
export type TrustProxy = boolean | number | { entries: string[]; trusted: (ip: string | null | undefined) => boolean };

/** Names TRUST_PROXY may use for ranges, as Express's `trust proxy` does. */
const NAMED_RANGES: Record<string, string[]> = {
  loopback: ["127.0.0.0/8", "::1/128"],
  private: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
  linklocal: ["169.254.0.0/16", "fe80::/10"],
};

/** TRUST_PROXY's list form: addresses, CIDR ranges and the names above, comma-separated; null when one is none of them. */
export function trustedProxies(value: string): TrustProxy | null {
  const entries = value.split(",").map((e) => e.trim()).filter(Boolean);
  const ranges = entries.flatMap((e) => NAMED_RANGES[e.toLowerCase()] ?? [e]);
  if (entries.length === 0 || !ranges.every(isIpOrCidr)) return null;
  return { entries, trusted: ipMatcher(ranges) };
}

/**
 * The client's IP: the socket's, unless TRUST_PROXY says which proxies in front tell it.
 * With `header` (CLIENT_IP_HEADER: `do-connecting-ip`, `cf-connecting-ip`, …) that header
 * alone, believed only when the request came from a trusted proxy. Otherwise
 * X-Forwarded-For, walked from the right (the entry the nearest proxy appended) past the
 * trusted hops: the first address no trusted proxy stands for is the client's, so what a
 * client writes in the header itself never wins. A header that holds no address gives
 * the nearest address known.
 */
export function clientIp(headers: Headers, socketIp: string | null | undefined, trust: TrustProxy, header?: string | null): string | null {
  const socket = normaliseIp(socketIp);
  if (trust === false || trust === 0) return socket;
  const hops = trust === true ? 1 : typeof trust === "number" ? trust : null;
  const fromTrusted = hops !== null || (typeof trust === "object" && trust.trusted(socket));
  if (header) return (fromTrusted && normaliseIp(firstOf(headers.get(header)))) || socket;
  if (!fromTrusted) return socket;
  const forwarded = headers.get("x-forwarded-for");
  if (!forwarded) return socket;
  // Nearest first: the socket, then X-Forwarded-For from its end.
  const chain = forwarded.split(",").reverse();
  if (hops !== null) {
    const entry = chain[Math.min(hops, chain.length) - 1];
    return normaliseIp(entry) ?? socket;
  }
  let nearest = socket;
  for (const entry of chain) {
    const ip = normaliseIp(entry);
    if (!ip) return nearest;
    if (!(trust as { trusted: (ip: string) => boolean }).trusted(ip)) return ip;
    nearest = ip;
  }
  return nearest;
}

/** A platform's header holds one address; a list keeps its first (the client's). */
const firstOf = (value: string | null): string | null => (value === null ? null : (value.split(",")[0] ?? null));

/** An IP address or a CIDR range of one (EXCLUDE_IPS' entries). */
export function isIpOrCidr(entry: string): boolean {
  const [address, bits, extra] = entry.split("/");
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

/** Addresses and CIDR ranges (IPv4 and IPv6) as a matcher: EXCLUDE_IPS, the job seeker's own. */
export function ipMatcher(entries: string[]): (ip: string | null | undefined) => boolean {
  if (entries.length === 0) return () => false;
  const list = new BlockList();
  for (const entry of entries) {
    const [address, bits] = entry.split("/");
    const family = isIPv4(address) ? "ipv4" : "ipv6";
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(bits), family);
  }
  return (ip) => !!ip && list.check(ip, isIPv4(ip) ? "ipv4" : "ipv6");
}
