import { describe, expect, test } from "bun:test";
import { valueOf } from "../../../src/lib/metrics";
import { sourceFromReferrer } from "../../../src/modules/redirect/service";
import { checkedApp, call, clickCount, KEY, readOnlySetup, setup, sql } from "../../utils";

const CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";
const DEST = "https://linkedin.com/in/steve-glen";

type Ctx = ReturnType<typeof setup>;

async function withLink(overrides: Parameters<typeof setup>[0] = {}, link: Record<string, unknown> = {}) {
  const ctx = setup({ publicBaseUrl: "https://steve-glen.com", ...overrides });
  const res = await call(ctx.app, "/api/link-tracking/links", {
    json: { original_url: DEST, link_function: "LinkedIn", link_type: "profile", ...link },
  });
  expect(res.status).toBe(201);
  return { ...ctx, id: res.body.tracking_id as string, trackedUrl: res.body.redirect_url as string };
}

/** A browser's request: browsers always send Accept-Language (without it a hit counts as a scanner's). */
const visit = (ctx: Ctx, path: string, init: RequestInit = {}) => {
  const headers = new Headers(init.headers);
  if (!headers.has("accept-language")) headers.set("accept-language", "en-GB,en;q=0.9");
  return ctx.app.handle(new Request(`http://localhost${path}`, { ...init, headers }));
};

const clicks = async (ctx: Ctx) => ((await sql(ctx.store)).query("select * from link_clicks order by clicked_at, click_id").all() as Record<string, any>[]);

const redirectsBy = (ctx: Ctx, outcome: string) => valueOf(ctx.metrics.registry, "link_tracker_redirects_total", { outcome });

describe("GET /{source}?uuid={id}", () => {
  test("a recruiter's click: 302 to the destination, no caching, no referrer leak, the click recorded", async () => {
    const ctx = await withLink({ trustProxy: true });
    const path = new URL(ctx.trackedUrl).pathname + new URL(ctx.trackedUrl).search;
    expect(path).toBe(`/linkedin?uuid=${ctx.id}`);
    const res = await visit(ctx, `${path}&utm_source=email&utm_campaign=acme`, {
      headers: { "user-agent": CHROME, referer: "https://mail.google.com/mail/u/0/", "x-forwarded-for": "203.0.113.42" },
    });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(DEST);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("set-cookie")).toBeNull();
    const [row] = (await clicks(ctx));
    expect(row).toMatchObject({
      tracking_id: ctx.id,
      click_source: "linkedin",
      ip_address: "203.0.113.42",
      user_agent: CHROME,
      referrer_url: "https://mail.google.com/mail/u/0/",
      origin: "redirect",
      outcome: "redirected",
      is_bot: 0,
      visitor_kind: "human",
      idempotency_key: null,
    });
    expect(row.session_id).toMatch(/^s_[A-Za-z0-9_-]{22}$/);
    expect(row.session_id).not.toContain("203");
    expect(JSON.parse(row.metadata)).toEqual({ utm_source: "email", utm_campaign: "acme" });
    expect(row.clicked_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(await redirectsBy(ctx, "redirected")).toBe(1);
  });

  test("the path becomes click_source whatever its case; the link's own path is not required", async () => {
    const ctx = await withLink();
    await visit(ctx, `/Calendly?uuid=${ctx.id}`);
    await visit(ctx, `/portfolio?uuid=${ctx.id}`);
    expect((await clicks(ctx)).map((c) => c.click_source)).toEqual(["calendly", "portfolio"]);
  });

  test("the session id is the same for one visitor on one day and differs for another", async () => {
    const ctx = await withLink({ trustProxy: true });
    const from = (ip: string, ua: string) => visit(ctx, `/linkedin?uuid=${ctx.id}`, { headers: { "x-forwarded-for": ip, "user-agent": ua } });
    await from("198.51.100.1", CHROME);
    await from("198.51.100.1", CHROME);
    await from("198.51.100.2", CHROME);
    await from("198.51.100.1", "Mozilla/5.0 (iPhone)");
    const ids = (await clicks(ctx)).map((c) => c.session_id);
    expect(ids[0]).toBe(ids[1]);
    expect(new Set(ids).size).toBe(3);
  });

  test("HEAD answers the same status and headers and records nothing", async () => {
    const ctx = await withLink();
    const head = await visit(ctx, `/linkedin?uuid=${ctx.id}`, { method: "HEAD" });
    expect(head.status).toBe(302);
    expect(head.headers.get("location")).toBe(DEST);
    expect(head.headers.get("cache-control")).toBe("no-store");
    const unknown = await visit(ctx, "/linkedin?uuid=nope", { method: "HEAD" });
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toBe("");
    expect((await clickCount(ctx.store)).n).toBe(0);
  });

  test("a bot is redirected too, and flagged", async () => {
    const ctx = await withLink();
    const res = await visit(ctx, `/linkedin?uuid=${ctx.id}`, { headers: { "user-agent": "Googlebot/2.1 (+http://www.google.com/bot.html)" } });
    expect(res.status).toBe(302);
    expect((await clicks(ctx))[0]).toMatchObject({ is_bot: 1, visitor_kind: "bot" });
  });

  test("clicks arriving together are all recorded (group commit)", async () => {
    const ctx = await withLink();
    const answers = await Promise.all(Array.from({ length: 200 }, () => visit(ctx, `/linkedin?uuid=${ctx.id}`)));
    expect(answers.every((r) => r.status === 302)).toBe(true);
    expect((await clickCount(ctx.store)).n).toBe(200);
    expect(await valueOf(ctx.metrics.registry, "link_tracker_clicks_total", { result: "recorded" })).toBe(200);
  });
});

describe("links that cannot be followed", () => {
  test("unknown id: friendly 404 page, kept as an orphan visit", async () => {
    const ctx = await withLink();
    const res = await visit(ctx, `/linkedin?uuid=${ctx.id.slice(0, 12)}`);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.text()).toContain("may be incomplete");
    expect((await clicks(ctx))[0]).toMatchObject({ tracking_id: ctx.id.slice(0, 12), outcome: "not_found", click_source: "linkedin" });
    expect(await redirectsBy(ctx, "not_found")).toBe(1);
  });

  test("inactive link: 410 page, kept as a refused visit", async () => {
    const ctx = await withLink();
    await call(ctx.app, `/api/link-tracking/links/${ctx.id}`, { method: "PATCH", json: { is_active: false } });
    const res = await visit(ctx, `/linkedin?uuid=${ctx.id}`);
    expect(res.status).toBe(410);
    expect(await res.text()).toContain("no longer active");
    expect((await clicks(ctx))[0]).toMatchObject({ tracking_id: ctx.id, outcome: "gone" });
    expect(await redirectsBy(ctx, "gone")).toBe(1);
  });

  test("expired link: 410", async () => {
    const ctx = await withLink({}, { expires_at: "2020-01-01T00:00:00Z" });
    const res = await visit(ctx, `/linkedin?uuid=${ctx.id}`);
    expect(res.status).toBe(410);
    expect((await clicks(ctx))[0].outcome).toBe("gone");
  });

  test("NOT_FOUND_REDIRECT sends unknown, inactive and expired ids there instead", async () => {
    const ctx = await withLink({ notFoundRedirect: "https://steve-glen.com/" }, { expires_at: "2020-01-01T00:00:00Z" });
    for (const path of ["/linkedin?uuid=unknown", `/linkedin?uuid=${ctx.id}`, "/track/unknown"]) {
      const res = await visit(ctx, path);
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toBe("https://steve-glen.com/");
    }
    expect((await clicks(ctx)).map((c) => c.outcome)).toEqual(["not_found", "gone", "not_found"]);
  });

  test("a missing uuid on a path some link uses is an orphan (a link cut before ?uuid=); elsewhere it is ignored", async () => {
    const ctx = await withLink();
    expect((await visit(ctx, "/linkedin")).status).toBe(404);
    expect((await visit(ctx, "/wp-login.php")).status).toBe(404);
    expect((await clicks(ctx)).map((c) => [c.tracking_id, c.click_source])).toEqual([["", "linkedin"]]);
  });
});

describe("GET /track/{id}", () => {
  test("redirects and takes click_source from the Referer host", async () => {
    const ctx = await withLink();
    const referrers: [string | null, string][] = [
      ["https://mail.google.com/mail/u/0/", "email"],
      ["https://gmail.com/", "email"],
      ["https://outlook.live.com/mail/0/inbox", "email"],
      ["https://outlook.office.com/mail/", "email"],
      ["https://outlook.office365.com/owa/", "email"],
      ["https://www.linkedin.com/messaging/", "linkedin"],
      ["https://ca.indeed.com/viewjob?jk=1", "indeed"],
      [null, "direct"],
      ["https://news.ycombinator.com/", "external"],
      ["not a url", "external"],
    ];
    for (const [referer, _] of referrers) {
      const res = await visit(ctx, `/track/${ctx.id}`, { headers: referer ? { referer } : {} });
      expect(res.status).toBe(302);
    }
    expect((await clicks(ctx)).map((c) => c.click_source)).toEqual(referrers.map(([, source]) => source));
  });

  test("the guide's table, not its sample code: gmail.com in a path is not webmail", () => {
    expect(sourceFromReferrer("https://example.com/?from=gmail.com")).toBe("external");
    expect(sourceFromReferrer("https://webmail.example.org/")).toBe("email");
  });
});

describe("bad input", () => {
  test.each([
    ["uuid empty", "/linkedin?uuid=", ""],
    ["uuid with <script>", "/linkedin?uuid=%3Cscript%3Ealert(1)%3C/script%3E", "<script>alert(1)</script>"],
    ["uuid with %00", "/linkedin?uuid=abc%00def", "abcdef"],
    ["uuid of 10 KB", `/linkedin?uuid=${"a".repeat(10_240)}`, "a".repeat(100)],
  ])("%s: 404 page, nothing reflected, orphan kept cropped", async (_name, path, stored) => {
    const ctx = await withLink();
    const res = await visit(ctx, path);
    expect(res.status).toBe(404);
    const html = await res.text();
    expect(html).not.toContain("<script>alert");
    expect(html).not.toContain("aaaaaaaaaa");
    expect((await clicks(ctx))[0].tracking_id).toBe(stored);
  });

  test("a repeated uuid takes the first", async () => {
    const ctx = await withLink();
    const res = await visit(ctx, `/linkedin?uuid=${ctx.id}&uuid=other`);
    expect(res.status).toBe(302);
    expect((await clicks(ctx))[0].tracking_id).toBe(ctx.id);
    expect(JSON.parse((await clicks(ctx))[0].metadata)).toEqual({});
  });

  test("a path of 5 KB: 302 with click_source cropped to 50", async () => {
    const ctx = await withLink();
    const res = await visit(ctx, `/${"p".repeat(5120)}?uuid=${ctx.id}`);
    expect(res.status).toBe(302);
    expect((await clicks(ctx))[0].click_source).toBe("p".repeat(50));
  });

  test("a user agent of 100 KB is cropped to 500 characters", async () => {
    const ctx = await withLink();
    const res = await visit(ctx, `/linkedin?uuid=${ctx.id}`, { headers: { "user-agent": `Mozilla/5.0 ${"x".repeat(100_000)}` } });
    expect(res.status).toBe(302);
    expect((await clicks(ctx))[0].user_agent.length).toBe(500);
  });

  test("many query parameters are kept bounded", async () => {
    const ctx = await withLink();
    const params = Array.from({ length: 50 }, (_, i) => `p${i}=${"v".repeat(1000)}`).join("&");
    await visit(ctx, `/linkedin?uuid=${ctx.id}&${params}`);
    const metadata = JSON.parse((await clicks(ctx))[0].metadata);
    expect(Object.keys(metadata).length).toBe(20);
    expect(metadata.p0.length).toBe(500);
  });

  test("X-Forwarded-For, X-Real-IP and Forwarded are ignored without TRUST_PROXY", async () => {
    const ctx = await withLink();
    await visit(ctx, `/linkedin?uuid=${ctx.id}`, {
      headers: { "x-forwarded-for": "6.6.6.6", "x-real-ip": "6.6.6.6", forwarded: "for=6.6.6.6" },
    });
    expect((await clicks(ctx))[0].ip_address).toBeNull();
  });

  test("with TRUST_PROXY, the proxy's own entry (the last) is taken, not what the client claimed; X-Real-IP only when named", async () => {
    const ctx = await withLink({ trustProxy: true });
    await visit(ctx, `/linkedin?uuid=${ctx.id}`, { headers: { "x-forwarded-for": "6.6.6.6, 198.51.100.7" } });
    await visit(ctx, `/linkedin?uuid=${ctx.id}`, { headers: { "x-real-ip": "::ffff:198.51.100.8" } });
    await visit(ctx, `/linkedin?uuid=${ctx.id}`, { headers: { "x-forwarded-for": "not-an-ip" } });
    expect((await clicks(ctx)).map((c) => c.ip_address)).toEqual(["198.51.100.7", null, null]);
    const named = await withLink({ trustProxy: true, clientIpHeader: "x-real-ip" });
    await visit(named, `/linkedin?uuid=${named.id}`, { headers: { "x-real-ip": "::ffff:198.51.100.8", "x-forwarded-for": "6.6.6.6" } });
    expect((await clicks(named)).map((c) => c.ip_address)).toEqual(["198.51.100.8"]);
  });

  test("reserved paths are never sources and record nothing", async () => {
    const ctx = await withLink();
    for (const path of ["/health", "/favicon.ico", "/dashboardx", "/swaggerx", "/track"]) {
      const res = await visit(ctx, `${path}?uuid=${ctx.id}`);
      expect(res.status).toBe(404);
    }
    expect((await visit(ctx, `/metrics?uuid=${ctx.id}`)).status).toBe(401); // the metrics route, which needs a key
    expect((await visit(ctx, `/api?uuid=${ctx.id}`)).status).toBe(401); // the API, which needs a key
    expect((await visit(ctx, `/dashboard?uuid=${ctx.id}`)).headers.get("content-type")).toContain("text/html"); // the dashboard
    expect((await clickCount(ctx.store)).n).toBe(0);
  });

  test("unknown deeper paths get the HTML page, API paths JSON", async () => {
    const ctx = await withLink();
    const page = await visit(ctx, "/a/b/c");
    expect(page.status).toBe(404);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect((await visit(ctx, "/api/nothing-here")).status).toBe(401); // no key: nothing is told
    for (const path of ["/api/nothing-here", "/api", "/api/"]) {
      const api = await visit(ctx, path, { headers: { "x-api-key": KEY } });
      expect(api.status).toBe(404);
      expect(api.headers.get("content-type")).toContain("application/json");
      expect(((await api.json()) as { error: string }).error).toContain("No route");
    }
  });
});

describe("principle 1: the redirect never fails because tracking failed", () => {
  test("on a read-only database (not even today's salt can be stored) the recruiter still gets the 302, and the failure is counted", async () => {
    const setupRo = readOnlySetup({ publicBaseUrl: "https://steve-glen.com" });
    // The link is written before the database turns read-only.
    const { Database } = await import("bun:sqlite");
    const path = setupRo.path;
    const writer = new Database(path);
    writer.run(
      "insert into link_tracking (tracking_id, link_function, link_type, original_url, redirect_url, created_at, updated_at) values ('ro1','LinkedIn','profile',?, 'x', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z')",
      [DEST],
    );
    writer.close();
    const answers = await Promise.all(Array.from({ length: 5 }, () => setupRo.app.handle(new Request("http://localhost/linkedin?uuid=ro1"))));
    for (const res of answers) {
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toBe(DEST);
    }
    expect(await valueOf(setupRo.metrics.registry, "link_tracker_clicks_total", { result: "failed" })).toBe(5);
    expect(await valueOf(setupRo.metrics.registry, "link_tracker_clicks_total", { result: "recorded" })).toBe(0);
  });

  test("with another process holding the write lock, the 302 still goes out, and the click is written once the lock is free", async () => {
    const { Database } = await import("bun:sqlite");
    const { tempDir, testStore, sqliteOf } = await import("../../utils");
    const { createApp } = await import("../../../src/app");
    const { testConfig } = await import("../../../src/config");
    const { createMetrics } = await import("../../../src/lib/metrics");
    const path = `${tempDir()}/db.sqlite`;
    const store = testStore(testConfig(), path);
    const metrics = createMetrics();
    const app = checkedApp(createApp({ store, config: testConfig(), metrics }));
    sqliteOf(store).run(
      "insert into link_tracking (tracking_id, link_function, link_type, original_url, redirect_url, created_at, updated_at) values ('lk1','LinkedIn','profile',?, 'x', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z')",
      [DEST],
    );
    await app.handle(new Request("http://localhost/linkedin?uuid=lk1")); // today's salt exists from here on
    const other = new Database(path);
    other.run("begin immediate");
    // The store waits for the lock on later turns of the event loop, so the recorder's
    // bound (a second) holds: the redirect does not wait for the lock's holder.
    const started = performance.now();
    const res = await app.handle(new Request("http://localhost/linkedin?uuid=lk1"));
    expect(performance.now() - started).toBeLessThan(2500);
    expect(res.status).toBe(302);
    other.run("rollback");
    other.close();
    for (let i = 0; i < 100 && (await valueOf(metrics.registry, "link_tracker_clicks_total", { result: "recorded" })) < 2; i++) await Bun.sleep(20);
    expect(await valueOf(metrics.registry, "link_tracker_clicks_total", { result: "recorded" })).toBe(2);
    expect(await valueOf(metrics.registry, "link_tracker_clicks_total", { result: "failed" })).toBe(0);
    expect((await clickCount(store)).n).toBe(2);
  });
});

describe("/robots.txt", () => {
  test("disallows everything", async () => {
    const ctx = setup();
    const res = await visit(ctx, "/robots.txt");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("User-agent: *\nDisallow: /\n");
  });
});

describe("the link cache", () => {
  test("a change made by another process (the CLI) is seen within a moment", async () => {
    const { tempDir, testStore, sqliteOf } = await import("../../utils");
    const { createApp } = await import("../../../src/app");
    const { testConfig } = await import("../../../src/config");
    const { Database } = await import("bun:sqlite");
    const path = `${tempDir()}/db.sqlite`;
    const store = testStore(testConfig(), path);
    const app = checkedApp(createApp({ store, config: testConfig() }));
    sqliteOf(store).run(
      "insert into link_tracking (tracking_id, link_function, link_type, original_url, redirect_url, created_at, updated_at) values ('c1','LinkedIn','profile',?, 'x', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z')",
      [DEST],
    );
    const hit = () => app.handle(new Request("http://localhost/linkedin?uuid=c1")).then((r) => r.status);
    expect(await hit()).toBe(302);
    const other = new Database(path);
    other.run("update link_tracking set is_active = 0 where tracking_id = 'c1'");
    other.close();
    await Bun.sleep(150);
    expect(await hit()).toBe(410);
  });

  test("this process's own changes apply at once", async () => {
    const ctx = await withLink();
    expect((await visit(ctx, `/linkedin?uuid=${ctx.id}`)).status).toBe(302);
    await call(ctx.app, `/api/link-tracking/links/${ctx.id}`, { method: "PATCH", json: { original_url: "https://example.com/new" } });
    expect((await visit(ctx, `/linkedin?uuid=${ctx.id}`)).headers.get("location")).toBe("https://example.com/new");
    expect((await visit(ctx, "/linkedin?uuid=later")).status).toBe(404); // now cached as unknown
    await call(ctx.app, "/api/link-tracking/links", { json: { original_url: DEST, link_function: "LinkedIn", tracking_id: "later" } });
    expect((await visit(ctx, "/linkedin?uuid=later")).status).toBe(302);
  });
});
