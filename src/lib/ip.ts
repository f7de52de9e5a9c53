/**
 * IP addresses in one spelling. Every address is stored canonical (lower case, IPv6 in
 * its shortest RFC 5952 form, an IPv4-mapped IPv6 address as plain IPv4), so that erasing
 * an address finds every click of it, however its sender wrote it.
 */
import { BlockList, isIP, isIPv4 } from "node:net";
import ipaddr from "ipaddr.js";

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
  const v6 = ipaddr.IPv6.parse(ip);
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
 * True for addresses no webhook should be sent to: loopback, private (RFC 1918),
 * link-local, unique-local, carrier-grade NAT, unspecified, multicast and reserved ranges.
 */
export function isNonPublicIp(ip: string): boolean {
  const canonical = normaliseIp(ip);
  if (!canonical) return true;
  return ipaddr.parse(canonical).range() !== "unicast";
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
