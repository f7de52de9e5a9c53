/**
 * The seeds' two-domain deployment: a central server and an edge node, both the
 * compiled binary, on loopback.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { buildBinary, emptyFolder, startServer, stop, type Server, storedClicksDb, until } from "./binary";

const KEY = "edge-e2e-key-0123456789abcdef";
const BROWSER = { "user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "accept-language": "en" };
const running: Server[] = [];
afterAll(() => {
  for (const s of running) if (s.proc.exitCode === null) s.proc.kill("SIGKILL");
});
beforeAll(() => buildBinary(), 60_000);

function freePort(): number {
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

async function central(cwd: string, port: number) {
  const s = await startServer(cwd, { WEBHOOK_API_KEY: KEY, PORT: String(port) });
  running.push(s);
  return s;
}

async function edge(cwd: string, centralPort: number) {
  const s = await startServer(cwd, {
    WEBHOOK_API_KEY: KEY,
    TRACKING_API_URL: `http://127.0.0.1:${centralPort}/api/tracking-ingest/batch`,
    LOOKUP_API_URL: `http://127.0.0.1:${centralPort}/api/link-tracking/lookup`,
  });
  running.push(s);
  return s;
}

/** Markers (the `m` query parameter) of the clicks the central server has stored, with their counts. */
function centralMarkers(cwd: string): Map<string, number> {
  const db = storedClicksDb(cwd);
  const rows = db.query("select json_extract(metadata, '$.m') as m, count(*) as n from link_clicks where origin = 'ingest' group by m").all() as { m: string; n: number }[];
  db.close();
  return new Map(rows.map((r) => [r.m, r.n]));
}

describe("edge mode, two processes", () => {
  test(
    "a redirect on the edge reaches the central analytics within 2 s; the central down, the edge answers from cache; back up, every click arrives once",
    async () => {
      const centralDir = emptyFolder();
      const edgeDir = emptyFolder();
      const port = freePort();
      let c = await central(centralDir, port);
      const created = await fetch(`${c.base}/api/link-tracking/links`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": KEY },
        body: JSON.stringify({ original_url: "https://linkedin.com/in/steve-glen", link_function: "LinkedIn", tracking_id: "edge-link" }),
      });
      expect(created.status).toBe(201);
      const e = await edge(edgeDir, port);

      // The edge serves redirects only.
      expect((await fetch(`${e.base}/api/link-tracking/links`, { headers: { "x-api-key": KEY } })).status).toBe(404);

      const started = Date.now();
      const first = await fetch(`${e.base}/linkedin?uuid=edge-link&m=first`, { redirect: "manual", headers: BROWSER });
      expect(first.status).toBe(302);
      expect(first.headers.get("location")).toBe("https://linkedin.com/in/steve-glen");
      const arrived = await until(async () => {
        const res = await fetch(`${c.base}/api/link-tracking/analytics/edge-link`, { headers: { "x-api-key": KEY } });
        return ((await res.json()) as any).click_statistics.total_clicks === 1;
      }, 2000);
      expect(arrived).toBe(true);
      console.log(`edge → central analytics in ${Date.now() - started} ms`);

      // The central server dies: the edge still answers, from its cache.
      await stop(c, "SIGKILL");
      const answers = await Promise.all(
        Array.from({ length: 100 }, (_, i) => fetch(`${e.base}/linkedin?uuid=edge-link&m=down${i}`, { redirect: "manual", headers: BROWSER })),
      );
      expect(answers.map((r) => r.status)).toEqual(Array(100).fill(302));
      const status = Bun.spawnSync([join(import.meta.dir, "../../dist/link-tracker"), "outbox", "status", "--json"], { cwd: edgeDir });
      expect(JSON.parse(status.stdout.toString()).pending).toBeGreaterThanOrEqual(100);

      // Back up: all 100 arrive, once each.
      c = await central(centralDir, port);
      const all = await until(() => [...Array(100).keys()].every((i) => centralMarkers(centralDir).get(`down${i}`) === 1), 15_000);
      expect(all).toBe(true);
      const markers = centralMarkers(centralDir);
      expect([...markers.values()].every((n) => n === 1)).toBe(true);
      expect(markers.size).toBe(101);
      expect(await stop(e, "SIGTERM")).toBe(0);
      expect(await stop(c, "SIGTERM")).toBe(0);
    },
    60_000,
  );

  test(
    "the edge killed at random moments while shipping, 5 times: nothing lost, nothing doubled",
    async () => {
      const centralDir = emptyFolder();
      const edgeDir = emptyFolder();
      const port = freePort();
      const c = await central(centralDir, port);
      await fetch(`${c.base}/api/link-tracking/links`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": KEY },
        body: JSON.stringify({ original_url: "https://example.com/", link_function: "LinkedIn", tracking_id: "edge-kill" }),
      });
      const redirected = new Set<string>();
      let serial = 0;
      for (let round = 0; round < 5; round++) {
        const e = await edge(edgeDir, port);
        let alive = true;
        const clients = Array.from({ length: 8 }, async () => {
          while (alive) {
            const m = `k${serial++}`;
            try {
              const res = await fetch(`${e.base}/linkedin?uuid=edge-kill&m=${m}`, { redirect: "manual", headers: BROWSER });
              if (res.status === 302) redirected.add(m);
            } catch {
              return;
            }
          }
        });
        await Bun.sleep(100 + Math.floor(Math.random() * 400));
        await stop(e, "SIGKILL");
        alive = false;
        await Promise.all(clients);
      }
      // A last start ships whatever the kills left in the outbox.
      const e = await edge(edgeDir, port);
      const done = await until(() => {
        const m = centralMarkers(centralDir);
        return [...redirected].every((k) => m.has(k));
      }, 20_000);
      expect(done).toBe(true);
      const markers = centralMarkers(centralDir);
      console.log(`edge kills: ${redirected.size} redirects, ${markers.size} clicks at the central server`);
      expect(redirected.size).toBeGreaterThan(100);
      for (const k of redirected) expect(`${k} ${markers.get(k)}`).toBe(`${k} 1`);
      expect([...markers.values()].every((n) => n === 1)).toBe(true);
      expect(await stop(e, "SIGTERM")).toBe(0);
      expect(await stop(c, "SIGTERM")).toBe(0);
    },
    90_000,
  );
});

describe("an edge's clicks are classified at the central server as its own redirects are", () => {
  test(
    "no Accept-Language at the edge: a scanner's centrally; a gateway's burst over a résumé's links through the edge: a scanner's, its events withdrawn",
    async () => {
      const centralDir = emptyFolder();
      const port = freePort();
      const c = await central(centralDir, port);
      const app = "a0000000-0000-4000-8000-0000000000ed";
      const created = await fetch(`${c.base}/api/link-tracking/links/bulk`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": KEY },
        body: JSON.stringify({
          links: ["linkedin", "github", "portfolio", "calendly"].map((f) => ({ tracking_id: `${f}-edge`, original_url: `https://example.com/${f}`, link_function: f, application_id: app })),
        }),
      });
      expect(created.status).toBe(201);
      const e = await edge(emptyFolder(), port);
      // A headless checker posing as a browser, without Accept-Language.
      const bare = { "user-agent": BROWSER["user-agent"] };
      expect((await fetch(`${e.base}/calendly?uuid=calendly-edge&m=headless`, { redirect: "manual", headers: bare })).status).toBe(302);
      // A gateway opening the résumé's three links within a second (with every header a browser sends).
      for (const f of ["linkedin", "github", "portfolio"]) {
        expect((await fetch(`${e.base}/${f}?uuid=${f}-edge&m=gw-${f}`, { redirect: "manual", headers: BROWSER })).status).toBe(302);
      }
      type Row = { m: string; kind: string; reason: string | null };
      const read = () => {
        const db = storedClicksDb(centralDir);
        const rows = db
          .query("select json_extract(metadata, '$.m') as m, visitor_kind as kind, visitor_reason as reason from link_clicks where origin = 'ingest' order by m")
          .all() as Row[];
        const live = (db.query("select count(*) as n from signal_events where cancelled_at is null").get() as { n: number }).n;
        db.close();
        return { rows, live };
      };
      // Stored as they arrive; the burst is found right after its last click is stored.
      const settled = () => {
        const { rows, live } = read();
        return rows.length === 4 && rows.every((r) => r.kind === "scanner") && live === 0;
      };
      expect(await until(settled, 10_000)).toBe(true);
      const { rows, live } = read();
      expect(rows.find((r) => r.m === "headless")).toMatchObject({ kind: "scanner", reason: "no Accept-Language" });
      for (const f of ["linkedin", "github", "portfolio"]) expect(rows.find((r) => r.m === `gw-${f}`)).toMatchObject({ kind: "scanner", reason: expect.stringMatching(/^burst: \d links of one application/) });
      expect(live).toBe(0);
      expect(await stop(e, "SIGTERM")).toBe(0);
      expect(await stop(c, "SIGTERM")).toBe(0);
    },
    60_000,
  );
});
