import { describe, expect, test } from "bun:test";
import { anonymizeIp } from "../../../src/lib/ip";
import { silentLogger } from "../../../src/lib/log";
import { startRetention } from "../../../src/modules/privacy/service";
import { ERASE_SLICE_ROWS } from "../../../src/db/sqlite/clicks";
import { call, clickCount, countClicksNow, setup, sql } from "../../utils";
import { runUpgrades } from "../../../src/db/sqlite/upgrades";
import type { SqliteStore } from "../../../src/db/sqlite/store";

const BROWSER = { "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0", "accept-language": "en" };

async function withLink(overrides: Parameters<typeof setup>[0] = {}) {
  const ctx = setup({ trustProxy: true, ...overrides });
  await call(ctx.app, "/api/link-tracking/links", { json: { original_url: "https://example.com/", link_function: "LinkedIn", tracking_id: "p1" } });
  const hit = (headers: Record<string, string>) => ctx.app.handle(new Request("http://localhost/linkedin?uuid=p1", { headers: { ...BROWSER, ...headers } }));
  const rows = async () => ((await sql(ctx.store)).query("select ip_address, user_agent, session_id, visitor_kind from link_clicks order by clicked_at, click_id").all() as Record<string, string | null>[]);
  return { ...ctx, hit, rows };
}

describe("IP_ANONYMIZE", () => {
  test.each([
    ["203.0.113.42", "203.0.113.0"],
    ["2001:db8:85a3:8d3:1319:8a2e:370:7348", "2001:db8:85a3::"],
    ["2001:db8::1", "2001:db8::"],
    ["::1", "::"],
    ["2001:0DB8:0:0::1", "2001:db8::"],
    ["::ffff:203.0.113.77", "203.0.113.0"],
  ])("%s is stored as %s", (ip, stored) => {
    expect(anonymizeIp(ip)).toBe(stored);
  });

  test("redirect and ingest store the network, not the address; sessions still group, by network and browser", async () => {
    const ctx = await withLink({ ipAnonymize: true });
    await ctx.hit({ "x-forwarded-for": "203.0.113.42" });
    await ctx.hit({ "x-forwarded-for": "203.0.113.42" });
    await ctx.hit({ "x-forwarded-for": "203.0.113.43" });
    await ctx.hit({ "x-forwarded-for": "203.0.114.42" });
    await call(ctx.app, "/api/tracking-ingest/batch", { json: { events: [{ tracking_id: "p1", ip_address: "198.51.100.7" }] } });
    const rows = (await ctx.rows());
    expect(rows.map((r) => r.ip_address)).toEqual(["203.0.113.0", "203.0.113.0", "203.0.113.0", "203.0.114.0", "198.51.100.0"]);
    expect(rows[0].session_id).toBe(rows[1].session_id);
    // The session id is made from the stored network, not the full address: one network, one browser, one session.
    expect(rows[2].session_id).toBe(rows[0].session_id);
    expect(rows[3].session_id).not.toBe(rows[0].session_id);
  });

  test("the session id cannot give the full address back, even with the day's salt from the database", async () => {
    const ctx = await withLink({ ipAnonymize: true });
    await ctx.hit({ "x-forwarded-for": "203.0.113.42", "user-agent": "Mozilla/5.0 Firefox/133.0" });
    await ctx.hit({ "x-forwarded-for": "203.0.113.77", "user-agent": "Mozilla/5.0 Firefox/133.0" });
    const [a, b] = (await ctx.rows());
    // Every last octet gives the same id: guessing the 256 of them tells nothing.
    expect(a.session_id).toBe(b.session_id);
  });
});

describe("Do Not Track", () => {
  test.each([["dnt"], ["sec-gpc"]])("%s: 1 is counted without IP, user agent or session", async (header) => {
    const ctx = await withLink();
    const res = await ctx.hit({ [header]: "1", "x-forwarded-for": "203.0.113.42" });
    expect(res.status).toBe(302);
    expect((await ctx.rows())).toEqual([{ ip_address: null, user_agent: null, session_id: null, visitor_kind: "human" }]);
    expect((await call(ctx.app, "/api/link-tracking/analytics/p1")).body.click_statistics.total_clicks).toBe(1);
  });

  test("a DNT click keeps only the referrer's origin and the utm_* parameters", async () => {
    const ctx = await withLink();
    await ctx.app.handle(
      new Request("http://localhost/linkedin?uuid=p1&utm_source=resume&utm_medium=pdf&gclid=abc&name=steve", {
        headers: { ...BROWSER, "sec-gpc": "1", referer: "https://mail.google.com/mail/u/0/#inbox/FMfcgzQXJ", "x-forwarded-for": "203.0.113.42" },
      }),
    );
    const row = (await sql(ctx.store)).query("select referrer_url, metadata, click_source from link_clicks").get() as Record<string, string>;
    expect(row.referrer_url).toBe("https://mail.google.com");
    expect(JSON.parse(row.metadata)).toEqual({ utm_source: "resume", utm_medium: "pdf" });
  });

  test("RESPECT_DNT=false records them like any other", async () => {
    const ctx = await withLink({ respectDnt: false });
    await ctx.hit({ dnt: "1", "x-forwarded-for": "203.0.113.42" });
    expect((await ctx.rows())[0].ip_address).toBe("203.0.113.42");
  });
});

describe("DELETE /api/link-tracking/clicks?ip=", () => {
  test("erases every click from one address and nothing else", async () => {
    const ctx = await withLink();
    await ctx.hit({ "x-forwarded-for": "203.0.113.42" });
    await ctx.hit({ "x-forwarded-for": "203.0.113.42" });
    await ctx.hit({ "x-forwarded-for": "198.51.100.1" });
    const res = await call(ctx.app, "/api/link-tracking/clicks?ip=203.0.113.42", { method: "DELETE" });
    expect(res.body).toEqual({ ip: "203.0.113.42", clicks_deleted: 2 });
    expect((await ctx.rows()).map((r) => r.ip_address)).toEqual(["198.51.100.1"]);
  });

  test(`a table of more than ${ERASE_SLICE_ROWS} rows a slice: every click of the address erased, a slice at a time, the counts kept exact`, async () => {
    const ctx = await withLink();
    const db = await sql(ctx.store);
    const insert = db.prepare(
      "insert into link_clicks (click_id, tracking_id, clicked_at, received_at, metadata, origin, visitor_kind, ip_address, clicked_epoch) values (?, 'p1', ?, ?, '{}', 'redirect', 'human', ?, ?)",
    );
    const rows = ERASE_SLICE_ROWS * 2 + 500;
    db.transaction(() => {
      for (let i = 0; i < rows; i++) {
        const at = new Date(Date.UTC(2026, 10, 1) + i * 1000).toISOString();
        insert.run(crypto.randomUUID(), at, at, i % 10 === 0 ? "203.0.113.42" : "198.51.100.1", Date.parse(at));
      }
    })();
    countClicksNow(ctx.store);
    const res = await call(ctx.app, "/api/link-tracking/clicks?ip=203.0.113.42", { method: "DELETE" });
    expect(res.body).toEqual({ ip: "203.0.113.42", clicks_deleted: Math.ceil(rows / 10) });
    expect(db.query("select count(*) as n from link_clicks where ip_address = '203.0.113.42'").get()).toEqual({ n: 0 });
    const analytics = await call(ctx.app, "/api/link-tracking/analytics/p1?include_bots=true");
    expect(analytics.body.click_statistics.total_clicks).toBe(rows - Math.ceil(rows / 10));
  });

  test("with IP_ANONYMIZE the network is erased", async () => {
    const ctx = await withLink({ ipAnonymize: true });
    await ctx.hit({ "x-forwarded-for": "203.0.113.42" });
    expect((await call(ctx.app, "/api/link-tracking/clicks?ip=203.0.113.42", { method: "DELETE" })).body).toEqual({ ip: "203.0.113.0", clicks_deleted: 1 });
  });

  test("erases every spelling of an address: ingested 2001:0db8:0:0::ab, 2001:DB8::AB and ::ffff:203.0.113.77", async () => {
    const ctx = await withLink();
    const events = ["2001:0db8:0:0::ab", "2001:DB8::AB", "2001:db8::ab", "::ffff:203.0.113.77", "203.0.113.77", "::FFFF:cb00:714d", "2001:db8::ac"].map((ip, i) => ({
      tracking_id: "p1",
      ip_address: ip,
      event_id: `spelling-${i}`,
    }));
    expect((await call(ctx.app, "/api/tracking-ingest/batch", { json: { events } })).status).toBe(200);
    expect((await call(ctx.app, "/api/link-tracking/clicks?ip=2001:0DB8::00AB", { method: "DELETE" })).body).toEqual({ ip: "2001:db8::ab", clicks_deleted: 3 });
    expect((await call(ctx.app, "/api/link-tracking/clicks?ip=203.0.113.77", { method: "DELETE" })).body).toEqual({ ip: "203.0.113.77", clicks_deleted: 3 });
    expect((await ctx.rows()).map((r) => r.ip_address)).toEqual(["2001:db8::ac"]);
  });

  test("addresses stored in another spelling before the upgrade are rewritten once, then erasable", async () => {
    const { store } = setup();
    const insert = (await sql(store)).prepare("insert into link_clicks (click_id, tracking_id, clicked_at, received_at, ip_address, metadata, origin) values (?, 'p1', ?, ?, ?, '{}', 'ingest')");
    const at = new Date().toISOString();
    for (const ip of ["2001:0db8:0:0::ab", "2001:DB8::AB", "::ffff:203.0.113.77", "198.51.100.1"]) insert.run(crypto.randomUUID(), at, at, ip);
    (await sql(store)).run("delete from settings where key = 'upgrade:canonical_ips'");
    runUpgrades((store as SqliteStore).db);
    const stored = ((await sql(store)).query("select ip_address from link_clicks order by ip_address").all() as { ip_address: string }[]).map((r) => r.ip_address);
    expect(stored).toEqual(["198.51.100.1", "2001:db8::ab", "2001:db8::ab", "203.0.113.77"]);
  });

  test.each([["ip=nope"], [""]])("?%s is a 400", async (q) => {
    const ctx = await withLink();
    const res = await call(ctx.app, `/api/link-tracking/clicks?${q}`, { method: "DELETE" });
    expect(res.status).toBe(400);
  });
});

describe("RETENTION_DAYS", () => {
  test("clicks older than the limit are pruned in batches; newer ones stay", async () => {
    const { store } = setup();
    const old = new Date(Date.now() - 40 * 86_400_000).toISOString();
    const recent = new Date().toISOString();
    const click = (clickedAt: string) => ({ clickId: crypto.randomUUID(), trackingId: "x", clickedAt, receivedAt: clickedAt, origin: "redirect" as const, visitorKind: "human" as const, outcome: "redirected" as const });
    await store.clicks.insert([...Array.from({ length: 2500 }, () => click(old)), ...Array.from({ length: 3 }, () => click(recent))]);
    const retention = startRetention(store, 30, silentLogger());
    await retention.done;
    retention.stop();
    expect((await clickCount(store)).n).toBe(3);
  });
});
