/**
 * `import shlink URL` and `import kutt URL` against loopback servers answering in the
 * shapes of Shlink's REST API v3 and Kutt's API v2 (their published OpenAPI descriptions):
 * paged, the key sent, a 429 waited out, a refused key or a silent server one message;
 * Shlink's visits and orphan visits as clicks, Kutt's counts reported.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { runImport } from "../../../src/modules/import/run";
import { getJson, kuttSource, RemoteError, shlinkSource } from "../../../src/modules/import/remote";
import { call, setup } from "../../utils";

const SHLINK_KEY = "shlink-key-1";
const KUTT_KEY = "kutt-key-1";
const CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

const shortUrls = Array.from({ length: 130 }, (_, i) => ({
  shortCode: i === 0 ? "cv24" : `code${i}`,
  shortUrl: `https://s.example.com/${i === 0 ? "cv24" : `code${i}`}`,
  longUrl: i === 0 ? "https://www.linkedin.com/in/steve-glen" : `https://example.com/page/${i}`,
  deviceLongUrls: { android: null, ios: null, desktop: null },
  dateCreated: "2025-02-01T10:00:00+00:00",
  tags: i === 0 ? ["LinkedIn"] : [],
  meta: { validSince: null, validUntil: null, maxVisits: null },
  domain: null,
  title: i === 0 ? "Steve on LinkedIn" : null,
  crawlable: false,
  forwardQuery: true,
  visitsSummary: { total: 0, nonBots: 0, bots: 0 },
}));
const visits = [
  { referer: "https://mail.google.com/", date: "2025-02-03T09:00:00+00:00", userAgent: CHROME, potentialBot: false, visitLocation: { countryCode: "DE", countryName: "Germany", cityName: "Berlin", isEmpty: false } },
  { referer: "", date: "2025-02-03T09:00:05+00:00", userAgent: CHROME, potentialBot: true, visitLocation: null },
];
const orphans = [
  { referer: "", date: "2025-02-04T08:00:00+00:00", userAgent: CHROME, potentialBot: false, visitLocation: null, visitedUrl: "https://s.example.com/cv2", type: "invalid_short_url" },
  { referer: "", date: "2025-02-04T08:00:01+00:00", userAgent: CHROME, potentialBot: false, visitLocation: null, visitedUrl: "https://s.example.com/", type: "base_url" },
];
const requests: string[] = [];
let limited = 0;

const pageOf = <T,>(items: T[], url: URL) => {
  const page = Number(url.searchParams.get("page") ?? 1);
  const per = Number(url.searchParams.get("itemsPerPage") ?? 10);
  const data = items.slice((page - 1) * per, page * per);
  return { data, pagination: { currentPage: page, pagesCount: Math.max(1, Math.ceil(items.length / per)), itemsPerPage: per, itemsInCurrentPage: data.length, totalItems: items.length } };
};

const shlink = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch(req) {
    const url = new URL(req.url);
    requests.push(`${url.pathname}${url.search}`);
    if (req.headers.get("x-api-key") !== SHLINK_KEY) return Response.json({ type: "https://shlink.io/api/error/invalid-api-key", title: "Invalid API key", status: 401 }, { status: 401 });
    // The first list request is rate limited once.
    if (url.pathname === "/rest/v3/short-urls" && limited++ === 0) return new Response(null, { status: 429, headers: { "Retry-After": "1" } });
    if (url.pathname === "/rest/v3/short-urls") return Response.json({ shortUrls: pageOf(shortUrls, url) });
    if (url.pathname === "/rest/v3/short-urls/cv24/visits") return Response.json({ visits: pageOf(visits, url) });
    if (/^\/rest\/v3\/short-urls\/[^/]+\/visits$/.test(url.pathname)) return Response.json({ visits: pageOf([], url) });
    if (url.pathname === "/rest/v3/visits/orphan") return Response.json({ visits: pageOf(orphans, url) });
    return new Response("not found", { status: 404 });
  },
});
const kuttLinks = Array.from({ length: 120 }, (_, i) => ({
  id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
  address: i === 0 ? "steve-cv" : `k${i}`,
  banned: false,
  created_at: "2024-11-05T12:00:00.000Z",
  updated_at: "2024-11-05T12:00:00.000Z",
  description: i === 0 ? "CV" : null,
  expire_in: null,
  password: false,
  target: i === 0 ? "https://steve-glen.com/cv.pdf" : `https://example.com/k/${i}`,
  visit_count: i === 0 ? 7 : 0,
  domain: null,
  link: `https://kutt.example.com/${i === 0 ? "steve-cv" : `k${i}`}`,
}));
const kutt = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch(req) {
    const url = new URL(req.url);
    if (req.headers.get("x-api-key") !== KUTT_KEY) return Response.json({ error: "API key is not correct." }, { status: 401 });
    if (url.pathname !== "/api/v2/links") return new Response("not found", { status: 404 });
    const skip = Number(url.searchParams.get("skip") ?? 0);
    const limit = Number(url.searchParams.get("limit") ?? 10);
    return Response.json({ limit, skip, total: kuttLinks.length, data: kuttLinks.slice(skip, skip + limit) });
  },
});
// A server that takes the request and never answers.
const silent = Bun.serve({ port: 0, hostname: "127.0.0.1", idleTimeout: 0, fetch: () => new Promise<Response>(() => {}) });
afterAll(() => {
  shlink.stop(true);
  kutt.stop(true);
  silent.stop(true);
});

describe("import shlink", () => {
  test("short URLs page by page, the 429 waited out; with --with-clicks their visits and the orphan visits; a re-run adds nothing", async () => {
    const { app, store, config } = setup();
    const source = shlinkSource(`http://127.0.0.1:${shlink.port}/`, SHLINK_KEY, true);
    const report = await runImport(store, config, source, { withClicks: true });
    expect(report).toMatchObject({ refused: false, links: { imported: 130, failed: 0 }, clicks: { imported: 3, failed: 0 } });
    expect(requests.filter((r) => r.startsWith("/rest/v3/short-urls?")).length).toBeGreaterThanOrEqual(3); // 2 pages, one of them asked again after the 429
    expect((await call(app, "/api/link-tracking/links/cv24")).body).toMatchObject({ short_code: "cv24", link_function: "LinkedIn", description: "Steve on LinkedIn", created_by: "import:shlink" });
    const stats = (await call(app, "/api/link-tracking/analytics/cv24?include_bots=true")).body;
    expect(stats.clicks_by_kind).toMatchObject({ human: 1, bot: 1 });
    expect(stats.breakdowns.by_country).toContainEqual({ value: "DE", clicks: 1 });
    // The orphan visit to /cv2: an orphan hit, that probably was cv24.
    const orphans = (await call(app, "/api/link-tracking/analytics?from=2025-01-01T00:00:00Z")).body.orphans;
    expect(orphans).toContainEqual(expect.objectContaining({ tracking_id: "cv2", hits: 1 }));
    expect(report.notes.join()).toContain("1 orphan visits were to the bare domain");
    expect((await app.handle(new Request("http://localhost/cv24"))).status).toBe(302);

    const again = await runImport(store, config, shlinkSource(`http://127.0.0.1:${shlink.port}`, SHLINK_KEY, true), { withClicks: true });
    expect(again).toMatchObject({ links: { imported: 0, already: 130 }, clicks: { imported: 0, already: 3 } });
  }, 30_000);

  test("a refused key, a server that is not Shlink, one that never answers: one message each, nothing written", async () => {
    const { store, config } = setup();
    await expect(runImport(store, config, shlinkSource(`http://127.0.0.1:${shlink.port}`, "wrong", false))).rejects.toThrow("answered 401: it refused the key (check --key)");
    await expect(runImport(store, config, shlinkSource(`http://127.0.0.1:${kutt.port}`, KUTT_KEY, false))).rejects.toThrow("answered 404 (is it Shlink's address?)");
    expect(() => shlinkSource("ftp://x", "k", false)).toThrow(RemoteError);
    expect((await store.links.counts(new Date().toISOString())).links).toBe(0);
  });

  test("a server that takes the request and never answers is given up on, named", async () => {
    const started = performance.now();
    await expect(getJson(`http://127.0.0.1:${silent.port}/rest/v3/short-urls`, "X-Api-Key", "k", "Shlink")).rejects.toThrow("did not answer within 15 s");
    expect(performance.now() - started).toBeLessThan(20_000);
  }, 25_000);
});

describe("import kutt", () => {
  test("links page by page, addresses kept as short codes; visit counts reported, not made into clicks", async () => {
    const { app, store, config } = setup();
    const report = await runImport(store, config, kuttSource(`http://127.0.0.1:${kutt.port}`, KUTT_KEY), { withClicks: true });
    expect(report).toMatchObject({ links: { imported: 120, failed: 0 }, clicks: { imported: 0 } });
    expect(report.notes.join()).toContain("1 links have 7 visits in all: Kutt keeps counts, not single visits");
    expect((await call(app, "/api/link-tracking/links/steve-cv")).body).toMatchObject({ short_code: "steve-cv", original_url: "https://steve-glen.com/cv.pdf", description: "CV", created_at: "2024-11-05T12:00:00.000Z" });
    expect((await app.handle(new Request("http://localhost/steve-cv"))).status).toBe(302);
    await expect(runImport(store, config, kuttSource(`http://127.0.0.1:${kutt.port}`, "nope"))).rejects.toThrow("answered 401");
  });
});
