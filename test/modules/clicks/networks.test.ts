/**
 * Classification by network (src/modules/clicks/networks.ts): every rule of the table,
 * real addresses located with the embedded data, and how the rules rank with the others.
 */
import { describe, expect, test } from "bun:test";
import { openLocator } from "../../../src/lib/geo";
import { ipMatcher } from "../../../src/lib/ip";
import { NETWORK_RULES, networkClassification } from "../../../src/modules/clicks/networks";
import { classify } from "../../../src/modules/clicks/visitor";

const CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";
const none = () => false;
const geo = openLocator();
const browserFrom = (ip: string, extra: Partial<Parameters<typeof classify>[0]> = {}) =>
  classify({ userAgent: CHROME, ip, acceptLanguage: "en-US", isOwnerIp: none, place: geo.locate(ip), ...extra });

describe("the table", () => {
  test("every AS of every rule gives the rule's kind, with the network in the reason", () => {
    let checked = 0;
    for (const rule of NETWORK_RULES)
      for (const asn of rule.asns ?? []) {
        const got = networkClassification("192.0.2.1", { country: "US", city: null, asn, network: "Some Network Inc." });
        expect([asn, got]).toEqual([asn, { visitorKind: rule.kind, visitorReason: `${rule.what}: Some Network Inc. (AS${asn})` }]);
        checked++;
      }
    expect(checked).toBeGreaterThan(30);
  });

  test("an AS on no list, or an address without one, has no network rule", () => {
    expect(networkClassification("192.0.2.1", { country: "DE", city: null, asn: 3320, network: "Deutsche Telekom AG" })).toBeNull();
    expect(networkClassification("192.0.2.1", { country: null, city: null, asn: null, network: null })).toBeNull();
    expect(networkClassification("192.0.2.1", undefined)).toBeNull();
  });
});

describe("real addresses, located with the embedded data", () => {
  test.each([
    ["Proofpoint", "148.163.128.1", "scanner", "mail security network: Proofpoint, Inc. (AS13916)"],
    ["Mimecast", "207.211.30.1", "scanner", "mail security network: Mimecast North America Inc (AS30031)"],
    ["Microsoft Exchange Online Protection", "104.47.0.1", "scanner", "mail security network: Microsoft Exchange Online Protection (AS8075)"],
    ["Exchange Online Protection over IPv6", "2a01:111:f400::1", "scanner", "mail security network: Microsoft Exchange Online Protection (AS8075)"],
    ["DigitalOcean", "165.227.0.1", "bot", "hosting network: DigitalOcean, LLC (AS14061)"],
    ["Amazon Web Services", "52.94.236.248", "bot", "hosting network: Amazon.com, Inc. (AS16509)"],
    ["Hetzner", "88.198.0.1", "bot", "hosting network: Hetzner Online GmbH (AS24940)"],
    ["Microsoft's offices (a recruiter at Microsoft)", "13.107.42.14", "human", null],
    ["Deutsche Telekom (a home in Germany)", "217.0.0.1", "human", null],
    ["Google's resolver (AS15169 is not a hosting list entry)", "8.8.8.8", "human", null],
  ])("%s (%s) → %s", (_name, ip, kind, reason) => {
    const got = browserFrom(ip);
    expect(got.visitorKind as string).toBe(kind);
    expect(got.visitorReason).toBe(reason);
  });
});

describe("ranked with the other rules", () => {
  test("a preview agent on a hosting network is a preview (LinkedIn fetches from clouds)", () => {
    expect(browserFrom("52.94.236.248", { userAgent: "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)" }).visitorKind).toBe("preview");
  });

  test("a scanner's user agent keeps its own reason on a mail-security network", () => {
    expect(browserFrom("207.211.30.1", { userAgent: "Mozilla/5.0 (compatible; Mimecast URL Protect)" }).visitorReason).toBe("security scanner Mimecast");
  });

  test("on a hosting network without Accept-Language: a scanner (the headers say so)", () => {
    expect(browserFrom("165.227.0.1", { acceptLanguage: null })).toMatchObject({ visitorKind: "scanner", visitorReason: "no Accept-Language" });
  });

  test("on a mail-security network without Accept-Language: the network is the reason", () => {
    expect(browserFrom("148.163.128.1", { acceptLanguage: null }).visitorReason).toBe("mail security network: Proofpoint, Inc. (AS13916)");
  });

  test("the owner's own server in a cloud (EXCLUDE_IPS) stays the owner's", () => {
    expect(browserFrom("165.227.0.1", { isOwnerIp: ipMatcher(["165.227.0.0/16"]) }).visitorKind).toBe("owner");
  });
});
