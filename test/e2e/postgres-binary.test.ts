/**
 * Several instances of the compiled binary on one PostgreSQL database, as behind a load
 * balancer: each guarantee the store gives (ingest idempotency, a first human click
 * once, link changes seen everywhere, one sender per webhook delivery, one pruner at a
 * time, bursts across instances) shown with two server processes. Needs a real server
 * (scripts/ensure-postgres.sh); skipped with the reason where there is none.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import postgres from "postgres";
import { realPostgres } from "../postgres-utils";
import { buildBinary, emptyFolder, startServer, stop, webhookReceiver, type Server } from "./binary";

const KEY = "pg-e2e-key-0123456789abcdef";
const APP = "a0000000-0000-4000-8000-00000000e2e1";
const BROWSER = { "user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "accept-language": "en-GB" };

const pg = await realPostgres();
const running: Server[] = [];
const clients: postgres.Sql[] = [];
const receivers: ReturnType<typeof Bun.serve>[] = [];

afterAll(async () => {
  for (const s of running) if (s.proc.exitCode === null) s.proc.kill("SIGKILL");
  for (const r of receivers) r.stop(true);
  for (const c of clients) await c.end({ timeout: 1 });
  await pg.dropAll();
}, 60_000);

/** Two (or more) instances on a new database; `env` adds to the defaults. */
async function cluster(count: number, env: Record<string, string> = {}) {
  // The last test's instances stop first: each holds a pool of connections, and the
  // server's max_connections is shared by the whole suite.
  for (const server of running.splice(0)) if (server.proc.exitCode === null) await stop(server);
  const url = await pg.freshDatabase();
  const db = postgres(url, { max: 2, onnotice: () => {} });
  clients.push(db);
  const base = { WEBHOOK_API_KEY: KEY, DATABASE_URL: url, LOG_LEVEL: "info", ...env };
  const servers = await Promise.all(Array.from({ length: count }, () => startServer(emptyFolder(), base)));
  running.push(...servers);
  return { url, db, servers, env: base };
}

const api = (server: Server, path: string, init: { method?: string; json?: unknown } = {}) =>
  fetch(`${server.base}${path}`, {
    method: init.method ?? (init.json ? "POST" : "GET"),
    headers: { "x-api-key": KEY, "content-type": "application/json" },
    body: init.json ? JSON.stringify(init.json) : undefined,
  });

async function createLinks(server: Server, ids: string[]) {
  const res = await api(server, "/api/link-tracking/links/bulk", {
    json: { links: ids.map((id) => ({ tracking_id: id, original_url: `https://example.com/${id}`, link_function: id.split("-")[0], application_id: APP })) },
  });
  expect(res.status).toBe(201);
}

const click = (server: Server, source: string, id: string, headers: Record<string, string> = BROWSER) =>
  fetch(`${server.base}/${source}?uuid=${id}`, { redirect: "manual", headers });

async function until<T>(probe: () => Promise<T>, ok: (value: T) => boolean, ms: number): Promise<T> {
  const end = Date.now() + ms;
  let value = await probe();
  while (!ok(value) && Date.now() < end) {
    await Bun.sleep(50);
    value = await probe();
  }
  return value;
}

describe.skipIf(!pg.url)(`several instances on one PostgreSQL database${pg.url ? "" : ` (skipped: ${pg.reason})`}`, () => {
  beforeAll(() => buildBinary(), 60_000);

  test("two instances started together migrate once and both serve", async () => {
    const { db, servers } = await cluster(2);
    const [{ n }] = await db`select count(*)::int as n from drizzle.__link_tracker_migrations`;
    expect(n).toBeGreaterThanOrEqual(2);
    for (const s of servers) expect((await fetch(`${s.base}/api/tracking-ingest/health`)).status).toBe(200);
  }, 30_000);

  test("an ingest batch retried against the other instance is stored once", async () => {
    const { db, servers: [a, b] } = await cluster(2);
    const batch = {
      events: [
        { tracking_id: "retried", event_id: "edge-1", ip_address: "198.51.100.1", user_agent: "Mozilla/5.0 Firefox/133.0" },
        // No event_id: the same fields (clicked_at given) make it the same event.
        { tracking_id: "retried", clicked_at: "2026-11-01T10:00:00Z", ip_address: "198.51.100.2", user_agent: "Mozilla/5.0 Firefox/133.0" },
      ],
    };
    type Answer = { results: Record<string, number> };
    const first = (await (await api(a, "/api/tracking-ingest/batch", { json: batch })).json()) as Answer;
    const again = (await (await api(b, "/api/tracking-ingest/batch", { json: batch })).json()) as Answer;
    expect(first.results).toMatchObject({ successful: 2, duplicates: 0 });
    expect(again.results).toMatchObject({ successful: 2, duplicates: 2 });
    const [{ n }] = await db`select count(*)::int as n from link_clicks where tracking_id = 'retried'`;
    expect(n).toBe(2);
  }, 30_000);

  test("a link's first human click fires click.first_human once when both instances get clicks at the same moment", async () => {
    const { db, servers: [a, b] } = await cluster(2, { SIGNAL_HOLD_SECONDS: "0", TRUST_PROXY: "true" });
    // Links of no application (one first each), clicked from many addresses on both instances at once.
    const ids = Array.from({ length: 12 }, (_, i) => `linkedin-race${i}`);
    expect((await api(a, "/api/link-tracking/links/bulk", { json: { links: ids.map((id) => ({ tracking_id: id, original_url: "https://example.com/", link_function: "LinkedIn" })) } })).status).toBe(201);
    await until(() => click(b, "linkedin", ids[11], { "user-agent": "curl/8" }).then((r) => r.status), (s) => s === 302, 2000);
    const answers = await Promise.all(
      ids.flatMap((id) => Array.from({ length: 12 }, (_, i) => click(i % 2 ? a : b, "linkedin", id, { ...BROWSER, "x-forwarded-for": `198.51.100.${i + 1}` }))),
    );
    expect(answers.every((r) => r.status === 302)).toBe(true);
    const [{ n: human }] = await db`select count(*)::int as n from link_clicks where visitor_kind = 'human'`;
    expect(human).toBe(ids.length * 12);
    const firsts = await db`select subject, count(*)::int as n from link_tracker.signal_events where type = 'click.first_human' group by subject order by subject`;
    expect([...firsts].sort((x, y) => (x.subject < y.subject ? -1 : 1))).toEqual(ids.map((id) => ({ subject: `link:${id}`, n: 1 })).sort((x, y) => (x.subject < y.subject ? -1 : 1)));
    const feed = (await (await api(b, "/api/link-tracking/events?after=0")).json()) as { events: { type: string }[] };
    expect(feed.events.filter((e: { type: string }) => e.type === "click.first_human")).toHaveLength(ids.length);
  }, 30_000);

  const metric = async (server: Server, name: string) => {
    const text = await (await api(server, "/metrics")).text();
    const line = text.split("\n").find((l) => l.startsWith(`${name} `));
    // A labelled counter never incremented has no line: 0.
    return Number(line?.slice(name.length + 1) ?? 0);
  };

  /** Milliseconds until `probe` answers `status` (checked every 10 ms, at most `ms`). */
  async function msUntil(probe: () => Promise<Response>, status: number, ms: number): Promise<number> {
    const start = performance.now();
    while (performance.now() - start < ms) {
      if ((await probe()).status === status) return performance.now() - start;
      await Bun.sleep(10);
    }
    return Number.POSITIVE_INFINITY;
  }

  for (const [label, env] of [
    ["told by notifications", {}],
    ["by polling alone (DATABASE_LISTEN=false, as behind a pooler in transaction mode)", { DATABASE_LISTEN: "false" }],
  ] as const) {
    test(`a link made on one instance redirects on the other at once; deactivated, 410; deleted, 404: ${label}`, async () => {
      const { servers: [a, b] } = await cluster(2, env);
      const listening = !("DATABASE_LISTEN" in env);
      if (listening) await until(() => Promise.resolve(b.output()), (out) => out.includes("link changes arrive as notifications"), 5000);
      const readsBefore = await metric(b, "link_tracker_link_cache_reads_total");
      // Create, then click through the other instance with no pause: 100 times.
      for (let i = 0; i < 100; i++) {
        const id = `linkedin-now${i}`;
        await createLinks(a, [id]);
        expect((await click(b, "linkedin", id)).status).toBe(302);
      }
      // Each new link cost B one row read, not a reload of every link.
      expect((await metric(b, "link_tracker_link_cache_reads_total")) - readsBefore).toBe(100);
      // Kept in memory (a read that crossed its own link's notification is not kept).
      if (listening) expect(await metric(b, "link_tracker_link_cache_entries")).toBeGreaterThan(50);
      expect((await api(a, "/api/link-tracking/links/linkedin-now7", { method: "PATCH", json: { is_active: false } })).status).toBe(200);
      const gone = await msUntil(() => click(b, "linkedin", "linkedin-now7"), 410, 1000);
      expect((await api(a, "/api/link-tracking/links/linkedin-now8", { method: "DELETE" })).status).toBe(200);
      const deleted = await msUntil(() => click(b, "linkedin", "linkedin-now8"), 404, 1000);
      console.log(`link changes seen on the other instance ${label}: 410 after ${gone.toFixed(0)} ms, 404 after ${deleted.toFixed(0)} ms`);
      expect(gone).toBeLessThan(1000);
      expect(deleted).toBeLessThan(1000);
      if (listening) {
        expect(b.output()).toContain("link changes arrive as notifications");
        expect(await metric(b, "link_tracker_link_cache_drops_total")).toBe(0);
      }
    }, 60_000);
  }

  test("a recruiter's click never waits behind reads: a dozen heavy analytics requests at once, redirects on time, no click lost", async () => {
    // A small pool, so that the reads can take every connection they may have.
    const { db, servers: [a] } = await cluster(1, { DATABASE_POOL_SIZE: "4" });
    await createLinks(a, ["linkedin-heavy", "github-probe"]);
    await db`insert into link_clicks (tracking_id, clicked_at, user_agent, ip_address, session_id)
      select 'linkedin-heavy', now() - make_interval(secs => g), 'Mozilla/5.0 agent ' || (g % 5000), ('10.1.' || (g % 250) || '.' || (g % 200))::inet, 's' || (g % 20000)
      from generate_series(1, 150000) g`;
    let reading = true;
    let reads = 0;
    const readers = Array.from({ length: 12 }, async () => {
      while (reading) {
        await (await api(a, "/api/link-tracking/analytics/linkedin-heavy")).arrayBuffer();
        reads++;
      }
    });
    await Bun.sleep(300);
    const times: number[] = [];
    for (let i = 0; i < 25; i++) {
      const start = performance.now();
      expect((await click(a, "github", "github-probe")).status).toBe(302);
      times.push(performance.now() - start);
      await Bun.sleep(100);
    }
    reading = false;
    await Promise.all(readers);
    times.sort((x, y) => x - y);
    console.log(`redirects while 12 clients read a 150,000-click link's analytics (${reads} reads): p50 ${times[12].toFixed(1)} ms, max ${times.at(-1)!.toFixed(1)} ms`);
    const [{ n }] = await db`select count(*)::int as n from link_clicks where tracking_id = 'github-probe'`;
    expect(n).toBe(25);
    expect(await metric(a, 'link_tracker_clicks_total{result="failed"}')).toBe(0);
    // Far above the figures printed: fails only on a clear wait for a connection.
    expect(times.at(-1)!).toBeLessThan(2000);
  }, 90_000);

  test("each webhook delivery is sent by one instance", async () => {
    const { got, server: receiver, url: hookUrl } = webhookReceiver();
    receivers.push(receiver);
    const { db, servers: [a, b] } = await cluster(2, { SIGNAL_HOLD_SECONDS: "0", WEBHOOK_ALLOW_PRIVATE: "true", TRUST_PROXY: "true" });
    const hook = await api(a, "/api/link-tracking/webhooks", { json: { url: hookUrl } });
    expect(hook.status).toBe(201);
    const ids = Array.from({ length: 8 }, (_, i) => `calendly-hook${i}`);
    await createLinks(a, ids);
    await Bun.sleep(600);
    // One click per link, from each instance in turn; an address each, so no burst.
    for (const [i, id] of ids.entries()) {
      const res = await click(i % 2 ? a : b, "calendly", id, { ...BROWSER, "x-forwarded-for": `198.51.100.${i + 1}` });
      expect(res.status).toBe(302);
    }
    const [{ n: events }] = await db`select count(*)::int as n from link_tracker.signal_events`;
    expect(events).toBe(ids.length + 1);
    await until(async () => got.length, (n) => n >= events, 15_000);
    await Bun.sleep(2500); // time for a second sender to show, if there were one
    expect(got).toHaveLength(events);
    expect(new Set(got).size).toBe(events);
    const [{ n: delivered }] = await db`select count(*)::int as n from link_tracker.webhook_deliveries where status = 'delivered'`;
    expect(delivered).toBe(events);
  }, 40_000);

  test("a killed instance's claim on a delivery runs out and another instance sends it", async () => {
    // The first attempt never gets an answer: its sender is killed meanwhile.
    const { got, server: receiver, url: hookUrl } = webhookReceiver((n) => n === 0);
    receivers.push(receiver);
    const { db, servers: [a], env } = await cluster(1, { SIGNAL_HOLD_SECONDS: "0", WEBHOOK_ALLOW_PRIVATE: "true", WEBHOOK_LEASE_SECONDS: "2" });
    await api(a, "/api/link-tracking/webhooks", { json: { url: hookUrl, event_types: ["click.first_human"] } });
    await createLinks(a, ["linkedin-lease"]);
    await db`update link_tracking set application_id = null`;
    await Bun.sleep(400);
    expect((await click(a, "linkedin", "linkedin-lease")).status).toBe(302);
    await until(async () => got.length, (n) => n >= 1, 10_000);
    expect(got).toHaveLength(1);
    await stop(a, "SIGKILL");
    const [claim] = await db`select status, leased_by from link_tracker.webhook_deliveries`;
    expect(claim).toMatchObject({ status: "pending" });
    expect(claim.leased_by).not.toBeNull();
    const b = await startServer(emptyFolder(), env);
    running.push(b);
    const [row] = await until(
      () => db`select status, attempts from link_tracker.webhook_deliveries`,
      (rows) => rows[0]?.status === "delivered",
      10_000,
    );
    expect(row).toMatchObject({ status: "delivered", attempts: 1 });
    expect(got).toEqual([got[0], got[0]]);
  }, 40_000);

  test("retention runs on one instance at a time", async () => {
    const url = await pg.freshDatabase();
    const db = postgres(url, { max: 2, onnotice: () => {} });
    clients.push(db);
    // A first instance makes the schema; the job-application system's old clicks are written straight into the table.
    const first = await startServer(emptyFolder(), { WEBHOOK_API_KEY: KEY, DATABASE_URL: url });
    await stop(first);
    await db`insert into link_clicks (tracking_id, clicked_at) select 'old', now() - interval '3 days' - make_interval(secs => g) from generate_series(1, 2500) g`;
    const env = { WEBHOOK_API_KEY: KEY, DATABASE_URL: url, RETENTION_DAYS: "1" };
    const servers = await Promise.all([startServer(emptyFolder(), env), startServer(emptyFolder(), env)]);
    running.push(...servers);
    const [{ n }] = await until(() => db`select count(*)::int as n from link_clicks`, (rows) => rows[0].n === 0, 10_000);
    expect(n).toBe(0);
    // Each batch was deleted by whichever instance held the lock; together, every click once
    // (their log lines may reach us a moment after the rows are gone).
    const prunedSum = () =>
      servers.flatMap((s) => [...s.output().matchAll(/"deleted":(\d+).*"old clicks pruned"/g)].map((m) => Number(m[1]))).reduce((sum, d) => sum + d, 0);
    for (let waited = 0; prunedSum() < 2500 && waited < 5000; waited += 50) await Bun.sleep(50);
    await Bun.sleep(300); // time for a double count to show, if there were one
    expect(prunedSum()).toBe(2500);
    const [{ n: counted }] = await db`select coalesce(sum(clicks), 0)::int as n from link_tracker.click_daily where tracking_id = 'old'`;
    expect(counted).toBe(0);
  }, 40_000);

  test("a scanner's burst spread over both instances is still found", async () => {
    const { db, servers: [a, b] } = await cluster(2);
    const ids = ["linkedin-burst", "github-burst", "portfolio-burst"];
    await createLinks(a, ids);
    await Bun.sleep(600);
    // A mail gateway opens the résumé's three links in a second; the balancer sends them to A, B, A.
    for (const [i, id] of ids.entries()) {
      const server = i === 1 ? b : a;
      const res = await click(server, id.split("-")[0], id);
      // What the instance said, should it not redirect.
      if (res.status !== 302) console.error(server.output().split("\n").slice(-20).join("\n"));
      expect(res.status).toBe(302);
    }
    const kinds = await until(
      () => db`select visitor_kind as kind, visitor_reason as reason from link_clicks order by clicked_at`,
      (rows) => rows.every((r) => r.kind === "scanner"),
      6000,
    );
    expect(kinds.map((r) => r.kind)).toEqual(["scanner", "scanner", "scanner"]);
    expect(kinds[0].reason).toMatch(/^burst: 3 links of one application/);
    const [{ n: live }] = await db`select count(*)::int as n from link_tracker.signal_events where cancelled_at is null`;
    expect(live).toBe(0);
  }, 30_000);
});
