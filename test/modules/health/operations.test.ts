import { describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import pino from "pino";
import { createApp } from "../../../src/app";
import { testConfig } from "../../../src/config";
import { createMetrics, valueOf } from "../../../src/lib/metrics";
import { createKey } from "../../../src/modules/auth/service";
import { checkedApp, call, KEY, readOnlySetup, setup, tempDir, sql, testStore } from "../../utils";

const BROWSER = { "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0", "accept-language": "en" };
const link = { original_url: "https://example.com/", link_function: "LinkedIn", tracking_id: "ops1" };

describe("GET /metrics", () => {
  test("Prometheus text for a read key; 401 without, 403 for an ingest key", async () => {
    const { app, store } = setup();
    await call(app, "/api/link-tracking/links", { json: link });
    await app.handle(new Request("http://localhost/linkedin?uuid=ops1", { headers: BROWSER }));
    await app.handle(new Request("http://localhost/linkedin?uuid=nope", { headers: BROWSER }));
    await call(app, "/api/tracking-ingest/batch", { json: { events: [{ tracking_id: "ops1" }, { tracking_id: "bad id" }] } });
    await Bun.sleep(5);
    expect((await call(app, "/metrics", { key: null })).status).toBe(401);
    expect((await call(app, "/metrics", { key: await createKey(store, "ing", "ingest") })).status).toBe(403);
    const res = await call(app, "/metrics", { key: null, headers: { authorization: `Bearer ${await createKey(store, "prom", "read")}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text: string = res.body;
    expect(text).toContain('link_tracker_redirects_total{outcome="redirected"} 1');
    expect(text).toContain('link_tracker_redirects_total{outcome="not_found"} 1');
    expect(text).toContain('link_tracker_clicks_total{result="recorded"} 2');
    expect(text).toContain('link_tracker_ingest_events_total{result="accepted"} 1');
    expect(text).toContain('link_tracker_ingest_events_total{result="rejected"} 1');
    expect(text).toMatch(/link_tracker_http_request_duration_seconds_count\{method="GET",route="\/:source",status="302"\} 1/);
    expect(text).toMatch(/link_tracker_database_bytes \d+/);
    expect(text).toMatch(/process_resident_memory_bytes \d+/);
    expect(text).not.toContain(KEY);
  });
});

describe("request logs", () => {
  test("one JSON line per request: method, route pattern, status, duration; no query, key or IP", async () => {
    const lines: string[] = [];
    const log = pino({ level: "info", base: undefined }, { write: (line: string) => lines.push(line) });
    const app = checkedApp(createApp({ store: testStore(testConfig()), config: testConfig({ webhookApiKey: KEY, trustProxy: true }), log }));
    await app.handle(new Request("http://localhost/linkedin?uuid=secret-id&utm_source=x", { headers: { "x-forwarded-for": "203.0.113.9" } }));
    await app.handle(new Request("http://localhost/api/tracking-ingest/test", { method: "POST", headers: { "x-api-key": KEY } }));
    await Bun.sleep(5);
    const requests = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === "request");
    expect(requests).toEqual([
      { level: 30, time: expect.any(Number), method: "GET", route: "/:source", status: 404, ms: expect.any(Number), msg: "request" },
      { level: 30, time: expect.any(Number), method: "POST", route: "/api/tracking-ingest/test", status: 200, ms: expect.any(Number), msg: "request" },
    ]);
    const all = lines.join("\n");
    for (const secret of ["secret-id", "utm_source", KEY, "203.0.113.9"]) expect(all).not.toContain(secret);
  });

  test("a redirect's 302 is logged at debug (its click is stored anyway); its 404 at info", async () => {
    for (const level of ["info", "debug"] as const) {
      const lines: string[] = [];
      const log = pino({ level, base: undefined }, { write: (line: string) => lines.push(line) });
      const app = checkedApp(createApp({ store: testStore(testConfig()), config: testConfig({ webhookApiKey: KEY }), log }));
      await call(app, "/api/link-tracking/links", { json: { original_url: "https://example.com/", link_function: "LinkedIn", tracking_id: "logged" } });
      await app.handle(new Request("http://localhost/linkedin?uuid=logged"));
      await app.handle(new Request("http://localhost/linkedin?uuid=unknown"));
      await Bun.sleep(5);
      const redirects = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === "request" && l.route === "/:source");
      expect(redirects.map((l) => [l.level, l.status])).toEqual(level === "info" ? [[30, 404]] : [[20, 302], [30, 404]]);
    }
  });
});

describe("rate limits", () => {
  test("RATE_LIMIT_AUTH_FAILURES: wrong keys from one IP are refused with 429 and Retry-After, even a right key then", async () => {
    const { app } = setup({ trustProxy: true, rateLimits: { api: 6000, authFailures: 3, redirect: 0 } });
    const from = (ip: string, key: string) => call(app, "/api/tracking-ingest/test", { method: "POST", key, headers: { "x-forwarded-for": ip } });
    for (let i = 0; i < 3; i++) expect((await from("198.51.100.1", "wrong-key-0123456789")).status).toBe(401);
    const refused = await from("198.51.100.1", KEY);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(refused.body).toMatchObject({ success: false, error: "Too Many Requests" });
    expect((await from("198.51.100.2", KEY)).status).toBe(200); // another IP is not affected
  });

  test("RATE_LIMIT_API: per key per minute", async () => {
    const { app } = setup({ rateLimits: { api: 5, authFailures: 30, redirect: 0 } });
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push((await call(app, "/api/tracking-ingest/test", { method: "POST" })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
  });

  test("redirects are never limited by default; RATE_LIMIT_REDIRECT limits them per IP", async () => {
    const open = setup({ trustProxy: true });
    await call(open.app, "/api/link-tracking/links", { json: link });
    for (let i = 0; i < 100; i++) {
      const res = await open.app.handle(new Request("http://localhost/linkedin?uuid=ops1", { headers: { ...BROWSER, "x-forwarded-for": "198.51.100.9" } }));
      expect(res.status).toBe(302);
    }
    const limited = setup({ trustProxy: true, rateLimits: { api: 6000, authFailures: 30, redirect: 2 } });
    await call(limited.app, "/api/link-tracking/links", { json: link });
    const hit = (ip: string) => limited.app.handle(new Request("http://localhost/linkedin?uuid=ops1", { headers: { ...BROWSER, "x-forwarded-for": ip } }));
    expect([(await hit("198.51.100.9")).status, (await hit("198.51.100.9")).status]).toEqual([302, 302]);
    const refused = await hit("198.51.100.9");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBeTruthy();
    expect((await hit("198.51.100.10")).status).toBe(302);
  });
});

describe("database trouble", () => {
  test("read-only: redirects 302 with the failure counted, ingest 503, health 503 unhealthy", async () => {
    const ctx = readOnlySetup();
    const health = await call(ctx.app, "/api/tracking-ingest/health", { key: null });
    expect(health.status).toBe(503);
    expect(health.body.status).toBe("unhealthy");
    const ingest = await call(ctx.app, "/api/tracking-ingest/batch", { json: { events: [{ tracking_id: "x" }] } });
    expect(ingest.status).toBe(503);
    expect(ingest.headers.get("retry-after")).toBe("5");
  });

  test("disk full: redirects still 302, ingest 503 with nothing written, health unhealthy, then recovery", async () => {
    const path = `${tempDir()}/db.sqlite`;
    const store = testStore(testConfig(), path);
    const metrics = createMetrics();
    const app = checkedApp(createApp({ store, config: testConfig({ webhookApiKey: KEY }), metrics }));
    await call(app, "/api/link-tracking/links", { json: link });
    await app.handle(new Request("http://localhost/linkedin?uuid=ops1", { headers: BROWSER })); // today's salt is stored
    const count = async () => ((await sql(store)).query("select count(*) as n from link_clicks").get() as { n: number }).n;
    const before = await count();
    // A database that may not grow by one more page: the state of a full disk.
    // (Both files: the database and the click inbox's.)
    const db = await sql(store);
    for (const file of ["main", "inbox"]) {
      const pages = (db.query(`pragma ${file}.page_count`).get() as { page_count: number }).page_count;
      db.run(`pragma ${file}.max_page_count = ${pages}`);
    }
    const bigBatch = { events: Array.from({ length: 500 }, (_, i) => ({ tracking_id: "ops1", event_id: `full-${i}`, user_agent: "u".repeat(400) })) };
    const ingest = await call(app, "/api/tracking-ingest/batch", { json: bigBatch });
    expect(ingest.status).toBe(503);
    expect(await count()).toBe(before);
    const redirects = [];
    for (let i = 0; i < 300; i++) redirects.push(app.handle(new Request(`http://localhost/linkedin?uuid=ops1&pad=${"p".repeat(400)}${i}`, { headers: BROWSER })));
    for (const res of await Promise.all(redirects)) expect(res.status).toBe(302);
    expect(await valueOf(metrics.registry, "link_tracker_clicks_total", { result: "failed" })).toBeGreaterThan(0);
    expect((await call(app, "/api/tracking-ingest/health", { key: null })).status).toBe(503);
    // The disk has room again: the next writes go through and health recovers by itself.
    for (const file of ["main", "inbox"]) db.run(`pragma ${file}.max_page_count = 1073741823`);
    expect((await call(app, "/api/tracking-ingest/batch", { json: bigBatch })).status).toBe(200);
    expect((await call(app, "/api/tracking-ingest/health", { key: null })).status).toBe(200);
  });

  test("a lock held by another process: health says so quickly, and recovers", async () => {
    const path = `${tempDir()}/db.sqlite`;
    const store = testStore(testConfig(), path);
    const app = checkedApp(createApp({ store, config: testConfig({ webhookApiKey: KEY }) }));
    const other = new Database(path);
    other.run("begin immediate");
    const started = performance.now();
    const locked = await call(app, "/api/tracking-ingest/health", { key: null });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(locked.status).toBe(503);
    other.run("rollback");
    other.close();
    expect((await call(app, "/api/tracking-ingest/health", { key: null })).status).toBe(200);
  });
});
