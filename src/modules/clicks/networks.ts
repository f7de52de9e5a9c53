/**
 * Networks whose clicks are not a recruiter's, whatever their user agent claims: the
 * machines of mail-security vendors, which open every link of a message before the
 * recipient does (scanner), and cloud and hosting networks, where browsers are run by
 * programs, not people (bot). Matched by the AS that announces the address (lib/geo), and
 * by address for Microsoft, whose mail protection shares its AS with its offices.
 *
 * Limits (docs/api.md, "Where a click came from"): a recruiter behind a VPN or a remote desktop
 * in a cloud is counted as a bot; Azure shares AS8075 with Microsoft's own staff, so it is
 * not listed; corporate web proxies (Zscaler, Forcepoint) carry people and are not listed.
 */
import { ipMatcher } from "../../lib/ip";
import type { Place } from "../../lib/geo";
import type { Classification } from "./visitor";

type NetworkRule = { kind: "scanner" | "bot"; what: string; asns?: number[]; ranges?: string[]; name?: string };

export const NETWORK_RULES: NetworkRule[] = [
  { kind: "scanner", what: "mail security network", asns: [13916, 22843, 26211, 52129] }, // Proofpoint
  { kind: "scanner", what: "mail security network", asns: [30031, 33538, 37235, 39588, 42427, 60492, 136792, 208638, 397726] }, // Mimecast
  { kind: "scanner", what: "mail security network", asns: [15324] }, // Barracuda Networks
  { kind: "scanner", what: "mail security network", asns: [16417, 30215, 30238, 40427] }, // Cisco Secure Email (IronPort)
  { kind: "scanner", what: "mail security network", asns: [7583] }, // Symantec MessageLabs
  { kind: "scanner", what: "mail security network", asns: [53780] }, // AppRiver
  { kind: "scanner", what: "mail security network", asns: [13380, 59519] }, // Zix
  { kind: "scanner", what: "mail security network", asns: [401943] }, // Hornetsecurity
  {
    kind: "scanner",
    what: "mail security network",
    name: "Microsoft Exchange Online Protection",
    // Microsoft's published Exchange Online Protection ranges (the "Safe Links" checks come from them).
    ranges: ["40.92.0.0/15", "40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17", "2a01:111:f400::/48", "2a01:111:f403::/48"],
  },
  { kind: "bot", what: "hosting network", asns: [16509, 14618, 8987] }, // Amazon Web Services
  { kind: "bot", what: "hosting network", asns: [396982, 19527] }, // Google Cloud
  { kind: "bot", what: "hosting network", asns: [14061] }, // DigitalOcean
  { kind: "bot", what: "hosting network", asns: [16276] }, // OVH
  { kind: "bot", what: "hosting network", asns: [24940, 213230] }, // Hetzner
  { kind: "bot", what: "hosting network", asns: [63949] }, // Linode (Akamai Cloud)
  { kind: "bot", what: "hosting network", asns: [20473] }, // Vultr
  { kind: "bot", what: "hosting network", asns: [31898] }, // Oracle Cloud
  { kind: "bot", what: "hosting network", asns: [45102, 37963] }, // Alibaba Cloud
  { kind: "bot", what: "hosting network", asns: [132203, 45090] }, // Tencent Cloud
  { kind: "bot", what: "hosting network", asns: [12876] }, // Scaleway
  { kind: "bot", what: "hosting network", asns: [51167] }, // Contabo
  { kind: "bot", what: "hosting network", asns: [60781, 16265, 28753] }, // Leaseweb
  { kind: "bot", what: "hosting network", asns: [36351] }, // IBM Cloud (SoftLayer)
];

const byAsn = new Map<number, NetworkRule>();
for (const rule of NETWORK_RULES) for (const asn of rule.asns ?? []) byAsn.set(asn, rule);
const byRange = NETWORK_RULES.filter((r) => r.ranges).map((rule) => ({ rule, matches: ipMatcher(rule.ranges!) }));

/** The rule of a click's network, with its reason ("hosting network: DigitalOcean, LLC (AS14061)"), or null. */
export function networkClassification(ip: string | null | undefined, place: Place | undefined): (Classification & { visitorKind: "scanner" | "bot" }) | null {
  if (!place || place.asn === null) return null;
  const rule = byRange.find((r) => r.matches(ip))?.rule ?? byAsn.get(place.asn);
  if (!rule) return null;
  return { visitorKind: rule.kind, visitorReason: `${rule.what}: ${rule.name ?? place.network ?? "unknown"} (AS${place.asn})` };
}
