/**
 * A NUL character, which no database text can hold (PostgreSQL refuses it outright), in a
 * body's keys or strings or in a URL: the same answer on both stores, never a 500, and one
 * bad event never blocks the batch it came in.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { createApp } from "../../../src/app";
import { EXPORT_COLUMNS, type Store } from "../../../src/db/store";
import { createMetrics } from "../../../src/lib/metrics";
import { freshPgliteDb } from "../../postgres-utils";
import { testConfig } from "../../../src/config";
import { call, checkedApp, KEY, testStore } from "../../utils";

const stores: Store[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
});

const kinds: [string, () => Promise<Store>][] = [
  ["SQLite", async () => testStore(testConfig({ webhookApiKey: KEY }))],
  ["PostgreSQL (PGlite)", async () => (await freshPgliteDb()).open()],
];

describe.each(kinds)("NUL characters on %s", (_name, open) => {
  const appOn = async () => {
    const store = await open();
    stores.push(store);
    return { app: checkedApp(createApp({ store, config: testConfig({ webhookApiKey: KEY }), metrics: createMetrics() })), store };
  };

  test("in an event's metadata keys, nested too, and in its strings: stored without them, the whole batch accepted", async () => {
    const { app, store } = await appOn();
    const events = [
      { tracking_id: "nul-link", event_id: "nul-1", metadata: { "k\u0000": 1, nested: { "x\u0000y": ["v\u0000"] } }, user_agent: "Mozilla\u0000/5.0" },
      { tracking_id: "nul-link", event_id: "nul-2" },
    ];
    const res = await call(app, "/api/tracking-ingest/batch", { json: { events } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, results: { total_events: 2, successful: 2, failed: 0 } });
    const stored = await store.clicks.findByKey("event:nul-1");
    expect(stored?.metadata).toEqual({ k: 1, nested: { xy: ["v"] } });
    expect(stored?.userAgent).toBe("Mozilla/5.0");
    expect(await store.clicks.count()).toBe(2);
  });

  test.each([
    "/api/link-tracking/links/abc%00",
    "/api/link-tracking/lookup/abc%00",
    "/api/link-tracking/lookup?uuid=abc%00",
    "/api/link-tracking/links?link_function=Linked%00In",
    "/api/link-tracking/analytics/abc%00",
    "/api/link-tracking/clicks.csv?tracking_id=abc%00",
  ])("in the URL %s: a 400 that says so", async (path) => {
    const { app } = await appOn();
    const res = await call(app, path);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: expect.stringContaining("NUL") });
  });

  test("without a key, a URL with a NUL is still a 401 first", async () => {
    const { app } = await appOn();
    expect((await call(app, "/api/link-tracking/links/abc%00", { key: null })).status).toBe(401);
  });

  test("in a redirect's id: the friendly 404, the hit kept without it", async () => {
    const { app, store } = await appOn();
    const res = await app.handle(new Request("http://localhost/linkedin?uuid=abc%00def", { headers: { "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0" } }));
    expect(res.status).toBe(404);
    await Bun.sleep(50);
    const from = new Date(Date.now() - 60_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    expect((await store.clicks.orphansIn({ from, to }, 5)).map((o) => o.tracking_id)).toEqual(["abcdef"]);
  });

  test("in a redirect's query parameters, names and values: the 302, the click stored without them", async () => {
    const { app, store } = await appOn();
    expect((await call(app, "/api/tracking-ingest/batch", { json: { events: [{ tracking_id: "seed", event_id: "seed" }] } })).status).toBe(200);
    expect((await call(app, "/api/link-tracking/links", { json: { tracking_id: "nul-q", original_url: "https://example.com/", link_function: "LinkedIn" } })).status).toBe(201);
    const res = await app.handle(new Request("http://localhost/linkedin?uuid=nul-q&k%00=1&utm_source=cv%00pdf", { headers: { "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0" } }));
    expect(res.status).toBe(302);
    await Bun.sleep(50);
    const rows: unknown[][] = [];
    for await (const page of store.clicks.exportPages({ trackingId: "nul-q" })) rows.push(...page);
    expect(rows).toHaveLength(1);
    const metadata = rows[0]![EXPORT_COLUMNS.indexOf("metadata")];
    expect(typeof metadata === "string" ? JSON.parse(metadata) : metadata).toEqual({ k: "1", utm_source: "cvpdf" });
  });
});
