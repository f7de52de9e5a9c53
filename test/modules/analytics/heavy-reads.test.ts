/**
 * Heavy reads never hold the event loop: a link's analytics over many clicks runs on a
 * worker thread, and the CSV export reads a bounded page at a time in index order. A
 * redirect sent while either is under way is answered before it ends.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { createApp } from "../../../src/app";
import { testConfig } from "../../../src/config";
import { EXPORT_PAGE_ROWS } from "../../../src/db/sqlite/clicks";
import type { SqliteStore } from "../../../src/db/sqlite/store";
import { checkedApp, countClicksNow, KEY, sqliteOf, tempDir, testStore } from "../../utils";

const CLICKS = 30_000;
let store: SqliteStore;
let app: ReturnType<typeof createApp>;
let base: string;

beforeAll(() => {
  const dir = tempDir();
  mkdirSync(dir, { recursive: true });
  const config = testConfig({ webhookApiKey: KEY, databasePath: `${dir}/db.sqlite` });
  // As the server opens it: heavy reads on the reader thread.
  store = testStore(config, `${dir}/db.sqlite`, { workers: true });
  app = checkedApp(createApp({ store, config }));
  const db = sqliteOf(store);
  db.run(
    `insert into link_tracking (tracking_id, link_function, link_type, original_url, redirect_url, created_at, updated_at)
     values ('heavy', 'LinkedIn', 'link', 'https://example.com/', 'http://localhost/linkedin?uuid=heavy', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`,
  );
  // Every click with its own user agent: the breakdowns parse each one.
  db.transaction(() => {
    const insert = db.prepare(
      `insert into link_clicks (click_id, tracking_id, clicked_at, received_at, user_agent, session_id, click_source, metadata, is_bot, visitor_kind, origin, outcome)
       values (?, 'heavy', ?, ?, ?, ?, 'linkedin', '{}', 0, ?, 'redirect', 'redirected')`,
    );
    const start = Date.parse("2026-11-01T00:00:00Z");
    for (let i = 0; i < CLICKS; i++) {
      const at = new Date(start + Math.floor(i / 3) * 1000).toISOString();
      insert.run(crypto.randomUUID(), at, at, `Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/${100 + (i % 50)}.0.${i}.1 Safari/537.36`, `s_${i % 997}`, i % 4 === 0 ? "bot" : "human");
    }
  })();
  countClicksNow(store);
  base = `http://127.0.0.1:${app.listen({ port: 0, hostname: "127.0.0.1" }).server!.port}`;
});
afterAll(async () => {
  await app.stop(true);
  await store.close();
});

const redirect = () => fetch(`${base}/linkedin?uuid=heavy`, { redirect: "manual", headers: { "accept-language": "en", "user-agent": "Mozilla/5.0 Firefox/133.0" } });

/** Starts `heavy`, then a redirect once `heavy` is under way: which one finished first? */
async function race(heavy: () => Promise<unknown>) {
  const order: string[] = [];
  const running = heavy().then(() => order.push("heavy"));
  await Bun.sleep(30);
  const res = await redirect();
  order.push("redirect");
  expect(res.status).toBe(302);
  await running;
  return order;
}

describe("heavy reads and a concurrent redirect", () => {
  test("a link's analytics over many clicks: the redirect is answered first, the answer is whole", async () => {
    // A click committed before the read, still waiting in the inbox: the read must count it.
    expect((await redirect()).status).toBe(302);
    let body: any;
    const order = await race(async () => {
      const res = await fetch(`${base}/api/link-tracking/analytics/heavy?include_bots=true`, { headers: { "x-api-key": KEY } });
      body = await res.json();
      expect(res.status).toBe(200);
    });
    expect(order).toEqual(["redirect", "heavy"]);
    // Counted on the reader's own connection, the clicks moved out of the inbox first: the
    // one committed before the read certainly, the race's own redirect if it came in time.
    expect(body.click_statistics.total_clicks).toBeGreaterThanOrEqual(CLICKS + 1);
    expect(body.click_statistics.total_clicks).toBeLessThanOrEqual(CLICKS + 2);
    expect(body.clicks_by_kind.bot).toBe(CLICKS * 0.25);
    expect(body.clicks_by_kind.human).toBe(body.click_statistics.total_clicks - CLICKS * 0.25);
    expect(body.breakdowns.by_browser[0]).toEqual({ value: "Chrome", clicks: CLICKS });
  }, 60_000);

  test("errors from the worker keep their shape: an unknown link is the guide's 404", async () => {
    const res = await fetch(`${base}/api/link-tracking/analytics/nope`, { headers: { "x-api-key": KEY } });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: "Link not found or expired", tracking_id: "nope" });
  });

  test("the CSV export of many clicks: every human click once, in time order, a redirect answered in the middle", async () => {
    let text = "";
    const order = await race(async () => {
      const res = await fetch(`${base}/api/link-tracking/clicks.csv?tracking_id=heavy`, { headers: { "x-api-key": KEY } });
      text = await res.text();
    });
    expect(order).toEqual(["redirect", "heavy"]);
    const rows = text.trimEnd().split("\r\n").slice(1);
    expect(rows.length).toBeGreaterThanOrEqual(CLICKS * 0.75);
    const ids = rows.map((r) => r.split(",")[0]);
    expect(new Set(ids).size).toBe(ids.length);
    const times = rows.map((r) => r.split(",")[5]);
    expect([...times].sort()).toEqual(times);
  }, 60_000);

  test("each export page is one index range of at most a page of clicks: no sort of the whole table", () => {
    const plans = [
      "select rowid from link_clicks where tracking_id = ? and (clicked_at, rowid) > (?, ?) order by clicked_at, rowid limit ?",
      "select rowid from link_clicks where (clicked_at, rowid) > (?, ?) order by clicked_at, rowid limit ?",
    ].map((sql) =>
      (sqliteOf(store).query(`explain query plan ${sql}`).all(...(sql.includes("tracking_id") ? ["heavy", "", -1, EXPORT_PAGE_ROWS] : ["", -1, EXPORT_PAGE_ROWS])) as { detail: string }[])
        .map((r) => r.detail)
        .join("; "),
    );
    expect(plans[0]).toMatch(/USING (COVERING )?INDEX link_clicks_tracking_clicked_idx \(tracking_id=\? AND clicked_at>\?\)/);
    expect(plans[1]).toMatch(/USING (COVERING )?INDEX link_clicks_time_idx \(clicked_at>\?\)/);
    for (const plan of plans) {
      expect(plan).not.toContain("SCAN");
      expect(plan).not.toMatch(/TEMP B-TREE FOR ORDER BY/);
    }
  });
});
