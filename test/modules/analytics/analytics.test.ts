import { beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { NewClick as ClickInsert } from "../../../src/db/store";
import { oneEditApart, probableLink } from "../../../src/modules/analytics/overview";
import { call, countClicksNow, FC_SEED, setup, sql, sqliteOf } from "../../utils";

fc.configureGlobal({ seed: FC_SEED });

const JOB1 = "11111111-1111-4111-8111-111111111111";
const JOB2 = "22222222-2222-4222-8222-222222222222";
const APP_A = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa";
const APP_B = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb";
const APP_C = "cccccccc-cccc-4ccc-8ccc-cccccccccccc";
const DAY = 86_400_000;
const now = Date.now();
const at = (daysAgo: number, minutes = 0) => new Date(now - daysAgo * DAY + minutes * 60_000).toISOString();

const ctx = setup();
const { app, store } = ctx;

function click(trackingId: string, clickedAt: string, kind: ClickInsert["visitorKind"], extra: Partial<ClickInsert> = {}): ClickInsert {
  return {
    clickId: crypto.randomUUID(),
    trackingId,
    clickedAt,
    receivedAt: clickedAt,
    origin: "redirect",
    visitorKind: kind,
    outcome: "redirected",
    userAgent: kind === "human" ? "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36" : "LinkedInBot/1.0",
    clickSource: "linkedin",
    ...extra,
  };
}

beforeAll(async () => {
  const links = [
    { tracking_id: "linkA1linkedin", link_function: "LinkedIn", job_id: JOB1, application_id: APP_A },
    { tracking_id: "linkA2portfolio", link_function: "Portfolio", job_id: JOB1, application_id: APP_A },
    { tracking_id: "linkA3calendly", link_function: "Calendly", job_id: JOB1, application_id: APP_A },
    { tracking_id: "linkB1linkedin", link_function: "LinkedIn", job_id: JOB1, application_id: APP_B },
    { tracking_id: "linkB2portfolio", link_function: "Portfolio", job_id: JOB1, application_id: APP_B },
    { tracking_id: "linkC1linkedin", link_function: "LinkedIn", job_id: JOB2, application_id: APP_C },
  ].map((l) => ({ ...l, original_url: `https://example.com/${l.tracking_id}` }));
  const res = await call(app, "/api/link-tracking/links/bulk", { json: { links } });
  expect(res.status).toBe(201);
  // Links made 12 days ago, so time-to-first-click is easy to check.
  (await sql(store)).run("update link_tracking set created_at = ?", [at(12)]);
  await store.clicks.insert([
    // Application A: one visit of three clicks (session s1), a second visit days later, bots.
    click("linkA1linkedin", at(9), "human", { sessionId: "s1", referrerUrl: "https://mail.google.com/mail/u/0/" }),
    click("linkA2portfolio", at(9, 5), "human", { sessionId: "s1" }),
    click("linkA3calendly", at(9, 7), "human", { sessionId: "s1" }),
    click("linkA1linkedin", at(2), "human", { sessionId: "s2", userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1" }),
    click("linkA1linkedin", at(1), "bot", { userAgent: "Googlebot/2.1" }),
    click("linkA1linkedin", at(1), "preview"),
    click("linkA2portfolio", at(1), "owner"),
    // Application B: a human within the last 24 hours, a scanner on both links.
    click("linkB1linkedin", at(0, -60), "human", { sessionId: "s3" }),
    click("linkB1linkedin", at(5), "scanner"),
    click("linkB2portfolio", at(5), "scanner"),
    // Application C: only a bot and a preview.
    click("linkC1linkedin", at(3), "bot"),
    click("linkC1linkedin", at(3), "preview"),
    // Orphans: a cut-off id (twice) and an ingested event for an id no link has.
    click("linkA1link", at(1), "human", { outcome: "not_found" }),
    click("linkA1link", at(0, -30), "human", { outcome: "not_found" }),
    click("unknown-xyz", at(4), "human", { origin: "ingest" }),
  ]);
});

describe("GET /api/link-tracking/analytics/{id}", () => {
  test("every number of one link", async () => {
    const { status, body } = await call(app, "/api/link-tracking/analytics/linkA1linkedin");
    expect(status).toBe(200);
    expect(body.link_info).toEqual({
      tracking_id: "linkA1linkedin",
      original_url: "https://example.com/linkA1linkedin",
      link_function: "LinkedIn",
      link_type: "link",
      job_id: JOB1,
      application_id: APP_A,
      is_active: true,
      description: null,
    });
    expect(body.click_statistics).toEqual({ total_clicks: 2, unique_sessions: 2, first_click: at(9), last_click: at(2), clicks_24h: 0, clicks_7d: 1 });
    expect(body.bot_clicks).toBe(2);
    expect(body.clicks_by_kind).toEqual({ human: 2, assistant: 0, bot: 1, preview: 1, scanner: 0, owner: 0 });
    expect(body.breakdowns.by_referrer_domain).toEqual([
      { value: "(none)", clicks: 1 },
      { value: "mail.google.com", clicks: 1 },
    ]);
    expect(body.breakdowns.by_device).toEqual([
      { value: "desktop", clicks: 1 },
      { value: "mobile", clicks: 1 },
    ]);
    expect(body.breakdowns.by_os).toEqual([
      { value: "iOS", clicks: 1 },
      { value: "Windows", clicks: 1 },
    ]);
    expect(body.breakdowns.by_day).toEqual([
      { day: at(9).slice(0, 10), clicks: 1 },
      { day: at(2).slice(0, 10), clicks: 1 },
    ]);
  });

  test("include_bots, from and to", async () => {
    expect((await call(app, "/api/link-tracking/analytics/linkA1linkedin?include_bots=true")).body.click_statistics.total_clicks).toBe(4);
    const recent = await call(app, `/api/link-tracking/analytics/linkA1linkedin?from=${encodeURIComponent(at(3))}`);
    expect(recent.body.click_statistics.total_clicks).toBe(1);
    const none = await call(app, `/api/link-tracking/analytics/linkA1linkedin?to=${encodeURIComponent(at(20))}`);
    expect(none.body.click_statistics).toEqual({ total_clicks: 0, unique_sessions: 0, first_click: null, last_click: null, clicks_24h: 0, clicks_7d: 0 });
  });

  test.each([
    ["from=yesterday", "from must be an ISO 8601 date-time with Z or an offset"],
    ["from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z", "from must not be after to"],
    ["include_bots=maybe", "include_bots must be true or false"],
  ])("%s: 400", async (q, message) => {
    const res = await call(app, `/api/link-tracking/analytics/linkA1linkedin?${q}`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: message, validation_errors: [message], timestamp: expect.any(String) });
  });

  test("an id of 101 characters is a 400, an unknown one the seed's 404", async () => {
    expect((await call(app, `/api/link-tracking/analytics/${"x".repeat(101)}`)).status).toBe(400);
    const res = await call(app, "/api/link-tracking/analytics/nope");
    expect(res.status).toBe(404);
    expect(res.body.error).toBe("Link not found or expired");
  });
});

describe("roll-ups", () => {
  test("an application: each link, first human click, time to it, and its visits", async () => {
    const { status, body } = await call(app, `/api/link-tracking/analytics/applications/${APP_A}`);
    expect(status).toBe(200);
    expect(body.totals).toEqual({ links: 3, human_clicks: 4, links_clicked: 3, first_human_click: at(9) });
    const a1 = body.links.find((l: any) => l.tracking_id === "linkA1linkedin");
    expect(a1).toMatchObject({
      human_clicks: 2,
      clicks_by_kind: { human: 2, assistant: 0, bot: 1, preview: 1, scanner: 0, owner: 0 },
      first_human_click: at(9),
      last_human_click: at(2),
      time_to_first_click_seconds: 3 * 86_400,
    });
    const a2 = body.links.find((l: any) => l.tracking_id === "linkA2portfolio");
    expect(a2.clicks_by_kind.owner).toBe(1);
    expect(body.visits).toHaveLength(2);
    expect(body.visits[0]).toMatchObject({ session_id: "s1", started_at: at(9), ended_at: at(9, 7) });
    expect(body.visits[0].clicks.map((c: any) => c.link_function)).toEqual(["LinkedIn", "Portfolio", "Calendly"]);
    expect(body.visits[1].clicks).toHaveLength(1);
  });

  test("an application with no human click yet: zeros and nulls", async () => {
    const { body } = await call(app, `/api/link-tracking/analytics/applications/${APP_C}`);
    expect(body.totals).toEqual({ links: 1, human_clicks: 0, links_clicked: 0, first_human_click: null });
    expect(body.links[0]).toMatchObject({ human_clicks: 0, first_human_click: null, time_to_first_click_seconds: null });
    expect(body.visits).toEqual([]);
  });

  test("a job: its applications and links", async () => {
    const { body } = await call(app, `/api/link-tracking/analytics/jobs/${JOB1}`);
    expect(body.totals).toEqual({ links: 5, human_clicks: 5, links_clicked: 4, first_human_click: at(9) });
    expect(body.applications).toEqual([
      { application_id: APP_A, label: APP_A.slice(0, 8), links: 3, human_clicks: 4, links_clicked: 3, first_human_click: at(9) },
      { application_id: APP_B, label: APP_B.slice(0, 8), links: 2, human_clicks: 1, links_clicked: 1, first_human_click: at(0, -60) },
    ]);
  });

  test("bad and unknown ids", async () => {
    expect((await call(app, "/api/link-tracking/analytics/jobs/42")).body.error).toBe("job_id must be a UUID");
    const unknown = await call(app, "/api/link-tracking/analytics/applications/99999999-9999-4999-8999-999999999999");
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error: "No links for this application", application_id: "99999999-9999-4999-8999-999999999999" });
  });
});

describe("GET /api/link-tracking/analytics (overview)", () => {
  test("every number of the last 30 days", async () => {
    const { status, body } = await call(app, "/api/link-tracking/analytics");
    expect(status).toBe(200);
    expect(body.totals).toEqual({
      links: 6,
      active_links: 6,
      applications: 3,
      applications_clicked: 2,
      human_clicks: 6, // five on links and the ingested event for unknown-xyz
      clicks_by_kind: { human: 6, assistant: 0, bot: 2, preview: 2, scanner: 2, owner: 1 },
    });
    expect(body.top_links[0]).toEqual({ tracking_id: "linkA1linkedin", link_function: "LinkedIn", application_id: APP_A, application_label: APP_A.slice(0, 8), human_clicks: 2 });
    expect(body.clicks_per_day.reduce((n: number, d: any) => n + d.clicks, 0)).toBe(6);
    expect(body.recent_clicks).toHaveLength(15);
    expect(body.recent_clicks[0]).toMatchObject({ tracking_id: "linkA1link", outcome: "not_found" });
    expect(body.recent_clicks.find((c: any) => c.visitor_kind === "preview")).toBeDefined();
    expect(body.orphans).toEqual([
      { tracking_id: "linkA1link", hits: 2, first_seen: at(1), last_seen: at(0, -30), probably: { tracking_id: "linkA1linkedin", redirect_url: expect.stringContaining("linkA1linkedin"), link_function: "LinkedIn", application_id: APP_A, application_label: APP_A.slice(0, 8) } },
      { tracking_id: "unknown-xyz", hits: 1, first_seen: at(4), last_seen: at(4), probably: null },
    ]);
    expect(body.applications_without_human_click).toEqual([{ application_id: APP_C, label: APP_C.slice(0, 8), links: 1, first_link_at: at(12) }]);
  });

  test("attributing an orphan makes its hits the link's clicks", async () => {
    const res = await call(app, "/api/link-tracking/orphans/linkA1link/attribute", { json: { tracking_id: "linkA1linkedin" } });
    expect(res.body).toEqual({ orphan_id: "linkA1link", tracking_id: "linkA1linkedin", hits_attributed: 2 });
    expect((await call(app, "/api/link-tracking/analytics/linkA1linkedin")).body.click_statistics.total_clicks).toBe(4);
    expect((await call(app, "/api/link-tracking/analytics")).body.orphans.map((o: any) => o.tracking_id)).toEqual(["unknown-xyz"]);
    expect((await call(app, "/api/link-tracking/orphans/linkA1link/attribute", { json: { tracking_id: "linkA1linkedin" } })).status).toBe(404);
    expect((await call(app, "/api/link-tracking/orphans/unknown-xyz/attribute", { json: { tracking_id: "nope" } })).status).toBe(404);
  });
});

describe("probable links", () => {
  test.each([
    ["abcdefgh", ["abcdefghij"], "abcdefghij"], // cut off
    ["abcdXfgh", ["abcdefgh"], "abcdefgh"], // one character wrong
    ["abcdfgh", ["abcdefgh"], "abcdefgh"], // one missing
    ["abcdeefgh", ["abcdefgh"], "abcdefgh"], // one extra
    ["abcdefgh", ["abcdefghij", "abcdefghik"], null], // two fit: no guess
    ["abc", ["abcdefgh"], null], // too short to guess
    ["zzzzzzzz", ["abcdefgh"], null],
  ])("%s among %p → %p", (orphan, ids, expected) => {
    expect(probableLink(orphan, ids)).toBe(expected);
  });

  test("one edit apart", () => {
    expect(oneEditApart("abc", "abc")).toBe(false);
    expect(oneEditApart("abc", "abd")).toBe(true);
    expect(oneEditApart("abc", "abdc")).toBe(true);
    expect(oneEditApart("abc", "adbc")).toBe(true);
    expect(oneEditApart("abc", "cab")).toBe(false);
  });

  test("one edit apart is exactly a Levenshtein distance of 1 (2,000 random pairs)", () => {
    const distance = (a: string, b: string): number => {
      const row = Array.from({ length: b.length + 1 }, (_, j) => j);
      for (let i = 1; i <= a.length; i++) {
        let diagonal = row[0];
        row[0] = i;
        for (let j = 1; j <= b.length; j++) {
          const above = row[j];
          row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
          diagonal = above;
        }
      }
      return row[b.length];
    };
    const word = fc.string({ unit: fc.constantFrom("a", "b", "c"), maxLength: 6 });
    fc.assert(fc.property(word, word, (a, b) => oneEditApart(a, b) === (distance(a, b) === 1)), { numRuns: 2000 });
  });
});

describe("every analytics query uses an index", () => {
  test("EXPLAIN QUERY PLAN shows no full scan of link_clicks", async () => {
    const seen = new Set<string>();
    const client = sqliteOf(store) as any;
    const prepare = client.prepare.bind(client);
    const query = client.query.bind(client);
    client.prepare = (sql: string, ...rest: unknown[]) => (seen.add(sql), prepare(sql, ...rest));
    client.query = (sql: string, ...rest: unknown[]) => (seen.add(sql), query(sql, ...rest));
    try {
      await call(app, "/api/link-tracking/analytics/linkA2portfolio?include_bots=true&from=2020-01-01T00:00:00Z");
      await call(app, "/api/link-tracking/analytics/linkA2portfolio");
      await call(app, `/api/link-tracking/analytics/applications/${APP_A}`);
      await call(app, `/api/link-tracking/analytics/jobs/${JOB1}`);
      await call(app, "/api/link-tracking/analytics");
    } finally {
      client.prepare = prepare;
      client.query = query;
    }
    const clickQueries = [...seen].filter((sql) => /link_clicks/.test(sql) && /^\s*select/i.test(sql));
    expect(clickQueries.length).toBeGreaterThan(8);
    for (const sql of clickQueries) {
      const params = (sql.match(/\?/g) ?? []).map(() => "x");
      const plan = (client.query(`explain query plan ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail);
      const fullScans = plan.filter((d) => /^SCAN (link_clicks|c)\b/.test(d));
      expect({ sql, fullScans }).toEqual({ sql, fullScans: [] });
    }
  });
});

describe("click_daily", () => {
  test("stays equal to the clicks it counts through inserts, reclassification, attribution and deletion", async () => {
    const { app: a, store: d } = setup({ trustProxy: true });
    const links = ["LinkedIn", "Portfolio", "Calendly"].map((f) => ({ original_url: "https://example.com/", link_function: f, application_id: APP_A, tracking_id: `daily-${f}` }));
    await call(a, "/api/link-tracking/links/bulk", { json: { links } });
    const hit = (id: string, ip: string) =>
      a.handle(new Request(`http://localhost/x?uuid=${id}`, { headers: { "user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "accept-language": "en", "x-forwarded-for": ip } }));
    for (const f of ["LinkedIn", "Portfolio", "Calendly"]) await hit(`daily-${f}`, "203.0.113.9"); // a burst: reclassified
    await hit("daily-LinkedIn", "198.51.100.1");
    await hit("daily-Linked", "198.51.100.2"); // an orphan, then attributed
    await Bun.sleep(5);
    await call(a, "/api/link-tracking/orphans/daily-Linked/attribute", { json: { tracking_id: "daily-LinkedIn" } });
    await call(a, "/api/link-tracking/clicks?ip=198.51.100.1", { method: "DELETE" });
    await call(a, "/api/link-tracking/links/daily-Calendly", { method: "DELETE" });
    countClicksNow(d);
    const truth = (await sql(d))
      .query("select substr(clicked_at, 1, 10) as day, tracking_id, visitor_kind, outcome, count(*) as clicks from link_clicks group by 1, 2, 3, 4 order by 1, 2, 3, 4")
      .all();
    const daily = sqliteOf(d).query("select day, tracking_id, visitor_kind, outcome, clicks from click_daily where clicks > 0 order by 1, 2, 3, 4").all();
    expect(daily).toEqual(truth);
    expect(truth.length).toBeGreaterThan(1);
  });
});

describe("orphans under a flood of random ids", () => {
  test("60 junk ids hit after a truncated link's hit do not push it out of the overview, nor do a typo's", async () => {
    const { app } = setup();
    for (const id of ["Zq81LmTy0pRk2WvX4bNc7a", "Hd5sPq0LmZx9Wc2Vb7Nn4k"]) {
      await call(app, "/api/link-tracking/links", { json: { original_url: "https://example.com/", link_function: "LinkedIn", tracking_id: id } });
    }
    const visit = (id: string) => app.handle(new Request(`http://localhost/linkedin?uuid=${id}`, { headers: { "accept-language": "en", "user-agent": "Mozilla/5.0 Firefox/133.0" } }));
    await visit("Zq81LmTy0pRk"); // cut short by a line break
    await visit("Hd5sPq0LmZx9Wc2Vb7Nn4K"); // one character wrong
    for (let i = 0; i < 60; i++) await visit(`junk${i}${crypto.randomUUID().slice(0, 8)}`);
    const { body } = await call(app, "/api/link-tracking/analytics");
    expect(body.orphans).toHaveLength(50);
    expect(body.orphans.slice(0, 2).map((o: any) => [o.tracking_id, o.probably?.tracking_id])).toEqual([
      ["Hd5sPq0LmZx9Wc2Vb7Nn4K", "Hd5sPq0LmZx9Wc2Vb7Nn4k"],
      ["Zq81LmTy0pRk", "Zq81LmTy0pRk2WvX4bNc7a"],
    ]);
  });

  test("a truncated id seen before its link existed still ranks first (it begins a link's id)", async () => {
    const { app } = setup();
    const visit = (id: string) => app.handle(new Request(`http://localhost/linkedin?uuid=${id}`, { headers: { "accept-language": "en", "user-agent": "Mozilla/5.0 Firefox/133.0" } }));
    await visit("Qm3Kx8Lp");
    for (let i = 0; i < 60; i++) await visit(`junk${i}${crypto.randomUUID().slice(0, 8)}`);
    await call(app, "/api/link-tracking/links", { json: { original_url: "https://example.com/", link_function: "LinkedIn", tracking_id: "Qm3Kx8LpVw2Zr5Tn" } });
    const { body } = await call(app, "/api/link-tracking/analytics");
    expect(body.orphans[0]).toMatchObject({ tracking_id: "Qm3Kx8Lp", probably: { tracking_id: "Qm3Kx8LpVw2Zr5Tn" } });
  });
});
