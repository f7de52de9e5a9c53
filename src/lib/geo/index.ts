/**
 * Where a click came from: its country (DB-IP's country database, an mmdb read with
 * mmdb-lib) and its network (AS number and organisation, the table of asn-table.ts),
 * both embedded in the binary (embedded.ts). GEOIP_COUNTRY_DB, GEOIP_ASN_DB and
 * GEOIP_CITY_DB name fresher or richer mmdb files instead (a GeoLite2-City for cities).
 *
 * The data is opened on the first public address asked about, and mapped rather than
 * read: a server that sees none (behind a proxy without TRUST_PROXY, or in a test) holds
 * none of it, and the pages lookups touch are the kernel's cache, shared and reclaimable.
 */
import { Reader } from "mmdb-lib";
import { isNonPublicIp, normaliseIp } from "../ip";
import { asnTable, type Network } from "./asn-table";
import { embeddedData, embeddedInfo, mapped, prepareEmbedded } from "./embedded";

export type Place = { country: string | null; city: string | null; asn: number | null; network: string | null };
export const NOWHERE: Place = Object.freeze({ country: null, city: null, asn: null, network: null });

/** Shown wherever located data is shown (the data's licence, CC BY 4.0, asks for it). */
export const ATTRIBUTION = "IP Geolocation by DB-IP (https://db-ip.com); networks from RouteViews, the RIRs (NRO) and DB-IP, CC BY 4.0";

/** Files that replace the embedded data, and the folder where a compiled server keeps its copy of the embedded data (embedded.ts). */
export type GeoFiles = { country?: string; asn?: string; city?: string; dataDir?: string | null };
export type GeoSource = { kind: "country" | "network" | "city"; file: string; date: string | null };
export type Locator = {
  locate(ip: string | null | undefined): Place;
  /** What the data is, opening it (its dates read from it). */
  sources(): GeoSource[];
  /**
   * At a server's start: the copy of the embedded data made if it is not there yet (the
   * first start of a new binary), without opening it. What it will use is returned.
   */
  prepare(): GeoSource[];
};

/** The fields read, in DB-IP's, ip-location-db's and MaxMind's layouts. */
type Found = {
  country_code?: string;
  country?: { iso_code?: string };
  registered_country?: { iso_code?: string };
  city?: { names?: { en?: string } };
  autonomous_system_number?: number;
  autonomous_system_organization?: string;
};

// mmdb-lib's response types are MaxMind's; ours reads several layouts (Found).
type Mmdb = { get(ip: string): Found | null; metadata: Reader<never>["metadata"] };
function openMmdb(bytes: Uint8Array): Mmdb {
  const reader = new Reader(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) as unknown as Mmdb;
  // An IPv4-only file answers an IPv6 address from a wrong branch of its tree: not asked.
  if (reader.metadata.ipVersion !== 4) return reader;
  return { metadata: reader.metadata, get: (ip) => (ip.includes(":") ? null : reader.get(ip)) };
}
const dateOf = (reader: Mmdb) => reader.metadata.buildEpoch.toISOString().slice(0, 10);

type Lookup<T> = { get(ip: string): T | null; source: GeoSource };

function countryLookup(path: string | null, dataDir: string | null): Lookup<string> {
  const reader = openMmdb(path ? mapped(path) : embeddedData("country", dataDir));
  return {
    get: (ip) => {
      const r = reader.get(ip);
      const code = r?.country_code ?? r?.country?.iso_code ?? r?.registered_country?.iso_code;
      return code && /^[A-Z]{2}$/.test(code) ? code : null;
    },
    source: { kind: "country", file: path ?? "embedded", date: dateOf(reader) },
  };
}

function networkLookup(path: string | null, dataDir: string | null): Lookup<Network> {
  if (!path) {
    const table = asnTable(embeddedData("network", dataDir));
    return { get: table.lookup, source: { kind: "network", file: "embedded", date: table.date.toISOString().slice(0, 10) } };
  }
  const reader = openMmdb(mapped(path));
  return {
    get: (ip) => {
      const r = reader.get(ip);
      return r?.autonomous_system_number ? { asn: r.autonomous_system_number, network: r.autonomous_system_organization ?? `AS${r.autonomous_system_number}` } : null;
    },
    source: { kind: "network", file: path, date: dateOf(reader) },
  };
}

function cityLookup(path: string): Lookup<string> {
  const reader = openMmdb(mapped(path));
  return { get: (ip) => reader.get(ip)?.city?.names?.en ?? null, source: { kind: "city", file: path, date: dateOf(reader) } };
}

/** Opens a file now, so a bad one is known at start: the error says what is wrong with it. */
export function checkGeoFile(kind: "country" | "asn" | "city", path: string): void {
  if (kind === "country") countryLookup(path, null);
  else if (kind === "asn") networkLookup(path, null);
  else cityLookup(path);
}

// Recruiters' addresses repeat (one visitor, several links): answers are remembered, bounded.
const MAX_REMEMBERED = 5000;

/** A locator over the given files, the embedded data for the ones not given. */
export function openLocator(files: GeoFiles = {}): Locator {
  let lookups: { country: Lookup<string>; network: Lookup<Network>; city: Lookup<string> | null } | null = null;
  const dataDir = files.dataDir ?? null;
  const open = () =>
    (lookups ??= {
      country: countryLookup(files.country ?? null, dataDir),
      network: networkLookup(files.asn ?? null, dataDir),
      city: files.city ? cityLookup(files.city) : null,
    });
  const remembered = new Map<string, Place>();
  let broken = false;
  return {
    prepare() {
      if (!files.country) prepareEmbedded("country", dataDir);
      if (!files.asn) prepareEmbedded("network", dataDir);
      const [country, network] = embeddedSources();
      return [
        files.country ? { kind: "country" as const, file: files.country, date: null } : country,
        files.asn ? { kind: "network" as const, file: files.asn, date: null } : network,
        ...(files.city ? [{ kind: "city" as const, file: files.city, date: null }] : []),
      ];
    },
    locate(ip) {
      const address = normaliseIp(ip);
      if (!address || isNonPublicIp(address)) return NOWHERE;
      const known = remembered.get(address);
      if (known) return known;
      // Data that cannot be opened (the server logged why at start) locates nothing; a click is never refused for it.
      if (broken) return NOWHERE;
      let place: Place;
      try {
        const { country, network, city } = open();
        const net = network.get(address);
        place = { country: country.get(address), city: city?.get(address) ?? null, asn: net?.asn ?? null, network: net?.network ?? null };
      } catch {
        broken = lookups === null;
        place = NOWHERE;
      }
      if (remembered.size >= MAX_REMEMBERED) remembered.clear();
      remembered.set(address, place);
      return place;
    },
    sources() {
      const { country, network, city } = open();
      return [country.source, network.source, ...(city ? [city.source] : [])];
    },
  };
}

/** For a process that locates nothing (an edge). */
export const nowhereLocator: Locator = { locate: () => NOWHERE, sources: () => [], prepare: () => [] };

/** What the binary embeds, and of when (for --version: nothing is read). */
export const embeddedSources = (): GeoSource[] => [
  { kind: "country", file: embeddedInfo("country").source, date: embeddedInfo("country").date },
  { kind: "network", file: embeddedInfo("network").source, date: embeddedInfo("network").date },
];
