import { describe, expect, test } from "bun:test";
import { call, setup } from "../../utils";

const APP = "0b9d3c52-6a1e-4a8e-9c39-6f2f6c1b2a10";
const OTHER = "7c1f0a2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b";

describe("PUT /api/link-tracking/applications/{application_id}", () => {
  test("names an application, changes only what is sent, clears what is null; GET shows it", async () => {
    const { app } = setup();
    const put = await call(app, `/api/link-tracking/applications/${APP}`, {
      method: "PUT",
      json: { company: "  Acme ", role: "Senior Engineer", sent_at: "2026-11-20T09:00:00+01:00", notes: "Referred by Jane" },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      application_id: APP,
      label: "Acme — Senior Engineer",
      company: "Acme",
      role: "Senior Engineer",
      sent_at: "2026-11-20T08:00:00.000Z",
      notes: "Referred by Jane",
      job_id: null,
      links: 0,
      first_link_at: null,
    });
    const changed = await call(app, `/api/link-tracking/applications/${APP}`, { method: "PUT", json: { role: null, notes: "" } });
    expect(changed.body).toMatchObject({ label: "Acme", company: "Acme", role: null, notes: null, sent_at: "2026-11-20T08:00:00.000Z" });
    expect((await call(app, `/api/link-tracking/applications/${APP}`)).body).toEqual(changed.body);
  });

  test("bad input: a clear 400 in the documented shape, nothing stored", async () => {
    const { app } = setup();
    const cases: [string, unknown, RegExp][] = [
      ["/applications/not-a-uuid", { company: "Acme" }, /application_id must be a UUID/],
      [`/applications/${APP}`, { company: "x".repeat(201) }, /company exceeds 200 characters/],
      [`/applications/${APP}`, { notes: "x".repeat(2001) }, /notes exceeds 2000 characters/],
      [`/applications/${APP}`, { company: 42 }, /company must be a string/],
      [`/applications/${APP}`, { sent_at: "last tuesday" }, /sent_at/],
      [`/applications/${APP}`, { job_id: "nope" }, /job_id must be a UUID/],
      [`/applications/${APP}`, { compnay: "Acme" }, /compnay/],
    ];
    for (const [path, json, message] of cases) {
      const res = await call(app, `/api/link-tracking${path}`, { method: "PUT", json });
      expect([path, res.status]).toEqual([path, 400]);
      expect(res.body.error).toMatch(message);
      expect(res.body.timestamp).toMatch(/Z$/);
    }
    expect((await call(app, `/api/link-tracking/applications/${APP}`)).status).toBe(404);
  });

  test("needs the admin scope; reading needs read", async () => {
    const { app, store } = setup();
    const { createKey } = await import("../../../src/modules/auth/service");
    const read = await createKey(store, "reader", "read");
    const denied = await call(app, `/api/link-tracking/applications/${APP}`, { method: "PUT", json: { company: "Acme" }, key: read });
    expect(denied.status).toBe(403);
    expect((await call(app, "/api/link-tracking/applications", { key: read })).status).toBe(200);
    expect((await call(app, "/api/link-tracking/applications", { key: null })).status).toBe(401);
  });
});

describe("GET /api/link-tracking/applications", () => {
  test("lists named applications and the ones only links know, each with its label and links", async () => {
    const { app } = setup();
    await call(app, "/api/link-tracking/links", { json: { original_url: "https://x.com/a", link_function: "LinkedIn", application_id: OTHER } });
    await call(app, `/api/link-tracking/applications/${APP}`, { method: "PUT", json: { company: "Acme", role: "Engineer", sent_at: "2026-11-01T00:00:00Z" } });
    const list = await call(app, "/api/link-tracking/applications");
    expect(list.status).toBe(200);
    expect(list.body.applications.map((a: any) => [a.application_id, a.label, a.links])).toEqual([
      [OTHER, OTHER.slice(0, 8), 1], // its first link is today's
      [APP, "Acme — Engineer", 0], // sent on 1 November
    ]);
    expect(list.body.next_cursor).toBeNull();
    const one = await call(app, `/api/link-tracking/applications/${OTHER}`);
    expect(one.body).toMatchObject({ label: OTHER.slice(0, 8), company: null, links: 1, created_at: null });
  });
});

describe("GET /api/link-tracking/applications?company=&role=", () => {
  test("the named applications of that company and role, case and spaces aside, with their links; none is an empty page; too long is a 400", async () => {
    const { app } = setup();
    await call(app, `/api/link-tracking/applications/${APP}`, { method: "PUT", json: { company: "Initech", role: "SRE" } });
    await call(app, `/api/link-tracking/applications/${OTHER}`, { method: "PUT", json: { company: "Initech", role: "Manager" } });
    await call(app, "/api/link-tracking/links", { method: "POST", json: { original_url: "https://example.com/cv", link_function: "LinkedIn", application_id: APP } });
    const found = await call(app, "/api/link-tracking/applications?company=initech&role=%20sre");
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({ applications: [{ application_id: APP, label: "Initech — SRE", links: 1 }], next_cursor: null });
    expect((found.body as { applications: unknown[] }).applications).toHaveLength(1);
    expect((await call(app, "/api/link-tracking/applications?company=Globex&role=SRE")).body).toEqual({ applications: [], next_cursor: null });
    const tooLong = await call(app, `/api/link-tracking/applications?company=${"x".repeat(201)}`);
    expect(tooLong.status).toBe(400);
    expect(JSON.stringify(tooLong.body)).toContain("company exceeds 200 characters");
  });
});

describe("GET /api/link-tracking/applications, a page at a time", () => {
  test("limit and next_cursor walk every application once, newest first; a bad limit or cursor is a 400", async () => {
    const { app } = setup();
    const ids = Array.from({ length: 7 }, (_, i) => `c0000000-0000-4000-8000-00000000000${i}`);
    for (const [i, id] of ids.entries()) await call(app, `/api/link-tracking/applications/${id}`, { method: "PUT", json: { company: `Co ${i}`, sent_at: `2026-11-0${i + 1}T09:00:00Z` } });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: any } = await call(app, `/api/link-tracking/applications?limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.status).toBe(200);
      expect(page.body.applications.length).toBeLessThanOrEqual(3);
      seen.push(...page.body.applications.map((a: any) => a.company));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(["Co 6", "Co 5", "Co 4", "Co 3", "Co 2", "Co 1", "Co 0"]);
    expect((await call(app, "/api/link-tracking/applications")).body.applications).toHaveLength(7);
    for (const bad of ["limit=0", "limit=501", "limit=x", "cursor=not-ours", `cursor=${"a".repeat(401)}`]) {
      const res = await call(app, `/api/link-tracking/applications?${bad}`);
      expect(`${bad} ${res.status}`).toBe(`${bad} 400`);
      expect(res.body.error).toBeString();
    }
  });
});

describe("POST /api/link-tracking/links/bulk with an application", () => {
  const links = [
    { original_url: "https://www.linkedin.com/in/me", link_function: "LinkedIn" },
    { original_url: "https://me.dev/", link_function: "Portfolio" },
  ];

  test("names the application and links it in one call; an id is made up when none is given", async () => {
    const { app } = setup();
    const res = await call(app, "/api/link-tracking/links/bulk", { json: { links, application: { company: "Acme", role: "Senior Engineer", sent_at: "2026-11-28T10:00:00Z" } } });
    expect(res.status).toBe(201);
    const id = res.body.application.application_id;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.links.map((l: any) => l.application_id)).toEqual([id, id]);
    expect(res.body.application).toMatchObject({ label: "Acme — Senior Engineer", links: 2, sent_at: "2026-11-28T10:00:00.000Z" });
  });

  test("the links' own application_id is the application's; a different one is refused", async () => {
    const { app } = setup();
    const same = await call(app, "/api/link-tracking/links/bulk", { json: { links: links.map((l) => ({ ...l, application_id: APP })), application: { company: "Acme" } } });
    expect(same.status).toBe(201);
    expect(same.body.application).toMatchObject({ application_id: APP, label: "Acme" });
    const mixed = await call(app, "/api/link-tracking/links/bulk", {
      json: { links: [{ ...links[0], application_id: OTHER }, links[1]], application: { application_id: APP, company: "Acme" } },
    });
    expect(mixed.status).toBe(400);
    expect(mixed.body.error).toContain(`Link 1: application_id ${OTHER} is not the application's`);
  });

  test("all or none: a taken tracking_id leaves the application unnamed; a bad application is a 400", async () => {
    const { app } = setup();
    await call(app, "/api/link-tracking/links", { json: { ...links[0], tracking_id: "taken-one" } });
    const taken = await call(app, "/api/link-tracking/links/bulk", {
      json: { links: [links[1], { ...links[0], tracking_id: "taken-one" }], application: { application_id: APP, company: "Acme" } },
    });
    expect(taken.status).toBe(409);
    expect((await call(app, `/api/link-tracking/applications/${APP}`)).status).toBe(404);
    for (const application of [{ company: 7 }, { application_id: "x" }, "Acme", { unknown: 1 }]) {
      const bad = await call(app, "/api/link-tracking/links/bulk", { json: { links, application } });
      expect(bad.status).toBe(400);
      expect(bad.body.error).toStartWith("application:");
    }
  });
});

describe("the label wherever an application shows", () => {
  test("roll-ups, the overview, the applications list, the CSV export and the event feed", async () => {
    const { app } = setup({ signalHoldSeconds: 0 });
    const created = await call(app, "/api/link-tracking/links/bulk", {
      json: { links: [{ original_url: "https://www.linkedin.com/in/me", link_function: "LinkedIn", tracking_id: "acme-li" }], application: { application_id: APP, company: "Acme" } },
    });
    expect(created.status).toBe(201);
    // Named fully after the click: what is shown is the name as it is now.
    const click = await app.handle(
      new Request("http://localhost/linkedin?uuid=acme-li", { headers: { "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36", "accept-language": "en" } }),
    );
    expect(click.status).toBe(302);
    await call(app, `/api/link-tracking/applications/${APP}`, { method: "PUT", json: { role: "Senior Engineer" } });
    const label = "Acme — Senior Engineer";

    expect((await call(app, `/api/link-tracking/analytics/applications/${APP}`)).body).toMatchObject({ application_id: APP, label, company: "Acme", role: "Senior Engineer" });
    expect((await call(app, "/api/link-tracking/analytics/applications")).body.applications).toEqual([expect.objectContaining({ application_id: APP, label })]);
    const overview = (await call(app, "/api/link-tracking/analytics")).body;
    expect(overview.top_links[0]).toMatchObject({ application_id: APP, application_label: label });
    expect(overview.recent_clicks[0]).toMatchObject({ application_id: APP, application_label: label });
    const csv = await (await app.handle(new Request("http://localhost/api/link-tracking/clicks.csv", { headers: { "x-api-key": "test-key-0123456789abcdef" } }))).text();
    const [header, row] = csv.trim().split("\r\n");
    expect(header.split(",").slice(2, 5)).toEqual(["job_id", "application_id", "application_label"]);
    expect(row).toContain(`,${APP},${label},`);
    const events = (await call(app, "/api/link-tracking/events")).body.events;
    expect(events.length).toBe(2);
    for (const e of events) expect(e.data.application).toEqual({ application_id: APP, label, company: "Acme", role: "Senior Engineer" });
  });
});

describe("where each application stands (GET /api/link-tracking/analytics/applications)", () => {
  test("not opened, opened (by how many visitors), came back after more than SIGNAL_RETURN_DAYS", async () => {
    const { app } = setup({ signalReturnDays: 7 });
    const THIRD = "3c2d1e0f-4a5b-4c6d-8e7f-9a0b1c2d3e4f";
    const make = (application_id: string, tracking_id: string, company: string) =>
      call(app, "/api/link-tracking/links/bulk", { json: { links: [{ original_url: "https://x.com/", link_function: "LinkedIn", tracking_id }], application: { application_id, company } } });
    await make(APP, "st-acme", "Acme");
    await make(OTHER, "st-globex", "Globex");
    await make(THIRD, "st-initech", "Initech");
    const ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36";
    const click = (tracking_id: string, clicked_at: string, session_id: string) =>
      call(app, "/api/link-tracking/record-click", { json: { tracking_id, clicked_at, session_id, user_agent: ua } });
    const day = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();
    await click("st-globex", day(3), "s1");
    await click("st-globex", day(3), "s2");
    await click("st-initech", day(20), "s3");
    await click("st-initech", day(2), "s4");
    // Named but not linked yet: it stands too, not opened.
    const FOURTH = "4d3e2f10-5b6c-4d7e-8f90-a1b2c3d4e5f6";
    await call(app, `/api/link-tracking/applications/${FOURTH}`, { method: "PUT", json: { company: "Hooli" } });
    const overview = (await call(app, "/api/link-tracking/analytics/applications")).body;
    expect(overview.counts).toEqual({ applications: 4, not_opened: 2, opened: 1, came_back: 1 });
    expect(overview.next_cursor).toBeNull();
    const of = (id: string) => overview.applications.find((a: any) => a.application_id === id);
    expect(of(APP)).toMatchObject({ label: "Acme", status: "not_opened", visitors: 0, visits: 0, last_human_click: null });
    expect(of(OTHER)).toMatchObject({ label: "Globex", status: "opened", visitors: 2, visits: 2, human_clicks: 2 });
    expect(of(THIRD)).toMatchObject({ label: "Initech", status: "came_back", visitors: 2, last_human_click: expect.stringMatching(/Z$/) });
    expect(of(FOURTH)).toMatchObject({ label: "Hooli", status: "not_opened", links: 0, first_link_at: null });
    // A page at a time, most recent first; the counts are of every page.
    const seen: string[] = [];
    for (let cursor: string | null = "", n = 0; cursor !== null && n < 10; n++) {
      const page: any = (await call(app, `/api/link-tracking/analytics/applications?limit=1${cursor ? `&cursor=${cursor}` : ""}`)).body;
      expect(page.applications).toHaveLength(1);
      expect(page.counts).toEqual(overview.counts);
      seen.push(page.applications[0].application_id);
      cursor = page.next_cursor;
    }
    expect(seen).toEqual(overview.applications.map((a: any) => a.application_id));
    expect(seen[0]).toBe(FOURTH);
    for (const bad of ["limit=0", "limit=501", "cursor=nope"]) expect((await call(app, `/api/link-tracking/analytics/applications?${bad}`)).status).toBe(400);
  });
});
