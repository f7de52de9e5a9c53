/**
 * Location in the compiled binary: the embedded data copied out beside the database and
 * used, the data's dates in --version, `link-tracker locate`, and an edge node's click
 * located by the central server.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import manifest from "../../generated/geo-data.json" with { type: "json" };
import { BINARY, buildBinary, emptyFolder, startServer, stop, storedClicksDb, type Server, until } from "./binary";

const KEY = "geo-e2e-key-0123456789abcdef";
const BROWSER = { "user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "accept-language": "en" };
const running: Server[] = [];
afterAll(() => {
  for (const s of running) if (s.proc.exitCode === null) s.proc.kill("SIGKILL");
});
beforeAll(() => buildBinary(), 60_000);

async function start(cwd: string, env: Record<string, string> = {}) {
  const s = await startServer(cwd, { WEBHOOK_API_KEY: KEY, TRUST_PROXY: "true", ...env });
  running.push(s);
  return s;
}

const api = (s: Server, path: string, init: RequestInit = {}) =>
  fetch(`${s.base}${path}`, { ...init, headers: { "content-type": "application/json", "x-api-key": KEY, ...(init.headers ?? {}) } });

test("--version prints the version, then the embedded data's sources and dates", () => {
  const out = Bun.spawnSync([BINARY, "--version"], { cwd: emptyFolder() });
  expect(out.exitCode).toBe(0);
  expect(out.stdout.toString().trim().split("\n")).toEqual([
    expect.stringMatching(/^\d+\.\d+\.\d+$/),
    `country data: DB-IP IP to Country Lite, ${manifest.country.date} (CC BY 4.0)`,
    `network data: RouteViews, NRO and DB-IP IP to ASN Lite, ${manifest.network.date} (CC BY 4.0)`,
  ]);
});

test("a corrupt GEOIP_COUNTRY_DB stops the start with exit 2, naming the variable", () => {
  const cwd = emptyFolder();
  const out = Bun.spawnSync([BINARY], { cwd, env: { PATH: process.env.PATH ?? "", GEOIP_COUNTRY_DB: join(import.meta.dir, "geo-binary.test.ts") } });
  expect(out.exitCode).toBe(2);
  expect(out.stderr.toString()).toContain("GEOIP_COUNTRY_DB");
});

test(
  "the server copies its data beside the database once, locates clicks with it, and `locate` fills in clicks stored without a place",
  async () => {
    const cwd = emptyFolder();
    let server = await start(cwd);
    const copies = () => readdirSync(join(cwd, "data/geo")).sort();
    expect(copies()).toEqual([`country-${manifest.country.id}.bin`, `network-${manifest.network.id}.bin`]);
    expect(statSync(join(cwd, "data/geo", `country-${manifest.country.id}.bin`)).size).toBe(manifest.country.size);
    expect(statSync(join(cwd, "data/geo", `network-${manifest.network.id}.bin`)).size).toBe(manifest.network.size);
    expect(statSync(join(cwd, "data/geo")).mode & 0o777).toBe(0o700);

    expect((await api(server, "/api/link-tracking/links", { method: "POST", body: JSON.stringify({ original_url: "https://example.com/", link_function: "LinkedIn", tracking_id: "geo" }) })).status).toBe(201);
    for (const ip of ["8.8.8.8", "193.0.6.139", "10.1.1.1"]) {
      const res = await fetch(`${server.base}/linkedin?uuid=geo`, { redirect: "manual", headers: { ...BROWSER, "x-forwarded-for": ip } });
      expect(res.status).toBe(302);
    }
    const analytics = (await (await api(server, "/api/link-tracking/analytics/geo")).json()) as any;
    expect(analytics.breakdowns.by_country).toEqual(expect.arrayContaining([{ value: "US", clicks: 1 }, { value: "NL", clicks: 1 }, { value: "(unknown)", clicks: 1 }]));
    expect(await stop(server)).toBe(0);

    // A second start finds its copies in place; nothing else appears in the folder.
    server = await start(cwd);
    expect(copies()).toEqual([`country-${manifest.country.id}.bin`, `network-${manifest.network.id}.bin`]);
    expect(await stop(server)).toBe(0);

    // As a database from before locating: the places gone.
    const db = new Database(join(cwd, "data/link-tracker.db"));
    db.run("update link_clicks set country = null, city = null, asn = null, network = null");
    db.close();
    const cli = (args: string[]) => Bun.spawnSync([BINARY, ...args], { cwd, env: { PATH: process.env.PATH ?? "" } });
    const located = cli(["locate", "--json"]);
    expect(located.stderr.toString()).toBe("");
    expect(JSON.parse(located.stdout.toString())).toEqual({ looked_at: 3, located: 2 });
    const again = cli(["locate"]);
    expect(again.stdout.toString().trim()).toBe("Located 0 of 1 clicks without a place; the others have private, reserved or unknown addresses.");
    const rows = storedClicksDb(cwd).query("select ip_address, country, asn from link_clicks order by ip_address").all();
    expect(rows).toEqual([
      { ip_address: "10.1.1.1", country: null, asn: null },
      { ip_address: "193.0.6.139", country: "NL", asn: 3333 },
      { ip_address: "8.8.8.8", country: "US", asn: 15169 },
    ]);
  },
  60_000,
);

test(
  "a click on an edge node is located by the central server (the edge has no data copy)",
  async () => {
    const centralDir = emptyFolder();
    const central = await start(centralDir);
    expect((await api(central, "/api/link-tracking/links", { method: "POST", body: JSON.stringify({ original_url: "https://example.com/", link_function: "LinkedIn", tracking_id: "far" }) })).status).toBe(201);
    const edgeDir = emptyFolder();
    const edge = await start(edgeDir, {
      TRACKING_API_URL: `${central.base}/api/tracking-ingest/batch`,
      LOOKUP_API_URL: `${central.base}/api/link-tracking/lookup`,
    });
    const res = await fetch(`${edge.base}/linkedin?uuid=far`, { redirect: "manual", headers: { ...BROWSER, "x-forwarded-for": "217.0.0.1" } });
    expect(res.status).toBe(302);
    const arrived = await until(async () => {
      const a = (await (await api(central, "/api/link-tracking/analytics/far")).json()) as any;
      return a.click_statistics.total_clicks === 1;
    }, 5000);
    expect(arrived).toBe(true);
    const a = (await (await api(central, "/api/link-tracking/analytics/far")).json()) as any;
    expect(a.breakdowns.by_country).toEqual([{ value: "DE", clicks: 1 }]);
    expect(a.breakdowns.by_network).toEqual([{ asn: 3320, network: "Deutsche Telekom AG", clicks: 1 }]);
    expect(readdirSync(join(edgeDir, "data"))).not.toContain("geo");
    expect(await stop(edge)).toBe(0);
    expect(await stop(central)).toBe(0);
  },
  60_000,
);
