/**
 * The embedded network table (built by scripts/asn-table.mjs from @ip-location-db/asn):
 * sorted address ranges, each with its AS number and organisation, searched in place
 * (typed arrays over the file's bytes, nothing copied).
 */
import ipaddr from "ipaddr.js";

export type Network = { asn: number; network: string };

const MAGIC = "LTASN001";

export type AsnTable = { lookup(ip: string): Network | null; date: Date; ranges: number };

/** The table in `bytes`; throws when they are not one. */
export function asnTable(bytes: Uint8Array): AsnTable {
  if (bytes.byteLength < 32 || new TextDecoder("latin1").decode(bytes.subarray(0, 8)) !== MAGIC) throw new Error("not a link-tracker network table");
  if (bytes.byteOffset % 8 !== 0) bytes = bytes.slice();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n4 = view.getUint32(8, true);
  const n6 = view.getUint32(12, true);
  const nOrgs = view.getUint32(16, true);
  const date = new Date(Number(view.getBigUint64(24, true)));
  let at = bytes.byteOffset + 32;
  const take = <T>(make: (buffer: ArrayBufferLike, offset: number, length: number) => T, length: number, width: number): T => {
    const array = make(bytes.buffer, at, length);
    at += length * width;
    return array;
  };
  const u64 = (b: ArrayBufferLike, o: number, n: number) => new BigUint64Array(b, o, n);
  const u32 = (b: ArrayBufferLike, o: number, n: number) => new Uint32Array(b, o, n);
  const first6 = take(u64, n6, 8);
  const last6 = take(u64, n6, 8);
  const first4 = take(u32, n4, 4);
  const last4 = take(u32, n4, 4);
  const org6 = take(u32, n6, 4);
  const org4 = take(u32, n4, 4);
  const asns = take(u32, nOrgs, 4);
  const nameEnds = take(u32, nOrgs, 4);
  const names = new Uint8Array(bytes.buffer, at, nameEnds[nOrgs - 1] ?? 0);
  if (at - bytes.byteOffset + names.byteLength !== bytes.byteLength) throw new Error("network table: sizes do not add up");
  const decoder = new TextDecoder();

  /** The index of the last range whose first address is ≤ x, or -1. */
  function search<T extends number | bigint>(firsts: ArrayLike<T>, x: T): number {
    let lo = 0;
    let hi = firsts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (firsts[mid] <= x) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  const network = (org: number): Network => ({ asn: asns[org], network: decoder.decode(names.subarray(org === 0 ? 0 : nameEnds[org - 1], nameEnds[org])) });

  return {
    date,
    ranges: n4 + n6,
    lookup(ip) {
      if (!ipaddr.isValid(ip)) return null;
      const address = ipaddr.parse(ip);
      if (address.kind() === "ipv4") {
        const [a, b, c, d] = (address as ipaddr.IPv4).octets;
        const x = ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
        const i = search(first4, x);
        return i >= 0 && x <= last4[i] ? network(org4[i]) : null;
      }
      const parts = (address as ipaddr.IPv6).parts;
      const x = (BigInt(parts[0]) << 48n) | (BigInt(parts[1]) << 32n) | (BigInt(parts[2]) << 16n) | BigInt(parts[3]);
      const i = search(first6, x);
      return i >= 0 && x <= last6[i] ? network(org6[i]) : null;
    },
  };
}
