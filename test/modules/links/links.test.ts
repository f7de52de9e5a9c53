import { describe, expect, test } from "bun:test";
import { createKey } from "../../../src/modules/auth/service";
import { generateTrackingId, trackedUrl } from "../../../src/modules/links/service";
import { call, clickCount, setup, sql } from "../../utils";

const LINKS = "/api/link-tracking/links";
const JOB = "550e8400-e29b-41d4-a716-446655440000";
const APP = "550e8400-e29b-41d4-a716-446655440001";

const linkedin = { original_url: "https://linkedin.com/in/steve-glen", link_function: "LinkedIn", link_type: "profile" };

function withBase() {
  return setup({ publicBaseUrl: "https://steve-glen.com" });
}

describe("POST /api/link-tracking/links", () => {
  test("answers 201 with the stored link and its tracked URL in the seed's form", async () => {
    const { app } = withBase();
    const res = await call(app, LINKS, { json: { ...linkedin, job_id: JOB, application_id: APP, description: "Professional LinkedIn profile" } });
    expect(res.status).toBe(201);
    const id = res.body.tracking_id;
    expect(id).toMatch(/^[A-Za-z0-9]{22}$/);
    expect(res.body).toEqual({
      tracking_id: id,
      original_url: "https://linkedin.com/in/steve-glen",
      redirect_url: `https://steve-glen.com/linkedin?uuid=${id}`,
      link_function: "LinkedIn",
      link_type: "profile",
      job_id: JOB,
      application_id: APP,
      is_active: true,
      created_at: expect.stringMatching(/Z$/),
      updated_at: expect.stringMatching(/Z$/),
      created_by: "system",
      description: "Professional LinkedIn profile",
      expires_at: null,
      // Not checked yet (checks.test.ts).
      destination: null,
    });
    const got = await call(app, `${LINKS}/${id}`);
    expect(got.body).toEqual(res.body);
  });

  test("a custom tracking_id is kept; taking it again is 409", async () => {
    const { app } = withBase();
    const first = await call(app, LINKS, { json: { ...linkedin, tracking_id: "lt_abc123def456" } });
    expect(first.status).toBe(201);
    expect(first.body.redirect_url).toBe("https://steve-glen.com/linkedin?uuid=lt_abc123def456");
    const again = await call(app, LINKS, { json: { ...linkedin, tracking_id: "lt_abc123def456" } });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ error: "tracking_id is already taken", tracking_id: "lt_abc123def456", timestamp: expect.any(String) });
  });

  test("link_type defaults to link; a function that is no usable path gets the /track/ form", async () => {
    const { app } = withBase();
    const res = await call(app, LINKS, { json: { original_url: "https://example.com/", link_function: "API" } });
    expect(res.body.link_type).toBe("link");
    expect(res.body.redirect_url).toBe(`https://steve-glen.com/track/${res.body.tracking_id}`);
    expect(trackedUrl("https://x.com", "Company Website", "ID")).toBe("https://x.com/company-website?uuid=ID");
  });

  test("generated ids carry at least 120 random bits and do not repeat", () => {
    const ids = new Set(Array.from({ length: 10_000 }, generateTrackingId));
    expect(ids.size).toBe(10_000);
    const sample = [...ids][0];
    expect(sample.length * Math.log2(62)).toBeGreaterThanOrEqual(120);
    expect(sample).toMatch(/^[A-Za-z0-9]+$/);
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ["original_url javascript:", { original_url: "javascript:alert(1)" }, "original_url must be an absolute http:// or https:// URL with a host"],
    ["original_url //evil.com", { original_url: "//evil.com" }, "original_url must be an absolute http:// or https:// URL with a host"],
    ["original_url http:// with no host", { original_url: "http://" }, "original_url must be an absolute http:// or https:// URL with a host"],
    ["original_url ftp:", { original_url: "ftp://example.com/file" }, "original_url must be an absolute http:// or https:// URL with a host"],
    ["original_url of 1001 chars", { original_url: `https://example.com/${"a".repeat(981)}` }, "original_url exceeds 1000 characters"],
    ["original_url missing", { original_url: undefined }, "Missing required field: original_url"],
    ["link_function missing", { link_function: undefined }, "Missing required field: link_function"],
    ["link_function of 51 chars", { link_function: "f".repeat(51) }, "link_function exceeds 50 characters"],
    ["tracking_id with /", { tracking_id: "a/b" }, "Invalid tracking_id format (allowed: A-Z a-z 0-9 . _ ~ -)"],
    ["tracking_id with spaces", { tracking_id: "a b" }, "Invalid tracking_id format (allowed: A-Z a-z 0-9 . _ ~ -)"],
    ["job_id not a UUID", { job_id: "42" }, "job_id must be a UUID"],
    ["expires_at not a date", { expires_at: "next week" }, "expires_at must be an ISO 8601 date-time with Z or an offset"],
  ];

  test.each(bad)("%s: 400 with the error named, nothing stored", async (_name, change, message) => {
    const { app, store } = withBase();
    const res = await call(app, LINKS, { json: { ...linkedin, ...change } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: message, validation_errors: [message], timestamp: expect.stringMatching(/Z$/) });
    expect(((await sql(store)).query("select count(*) as n from link_tracking").get() as { n: number }).n).toBe(0);
  });

  test("malformed JSON is a 400 in the same shape", async () => {
    const { app } = withBase();
    const res = await call(app, LINKS, { method: "POST", body: "{", headers: { "content-type": "application/json" } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: "Request body is not valid JSON", timestamp: expect.any(String) });
  });
});

describe("POST /api/link-tracking/links/bulk", () => {
  test("creates all the links of one résumé at once", async () => {
    const { app } = withBase();
    const res = await call(app, `${LINKS}/bulk`, {
      json: {
        links: [
          { ...linkedin, application_id: APP },
          { original_url: "https://calendly.com/steve", link_function: "Calendly", application_id: APP },
          { original_url: "https://steve.dev", link_function: "Portfolio", application_id: APP },
        ],
      },
    });
    expect(res.status).toBe(201);
    expect(res.body.links.map((l: any) => l.redirect_url.split("?")[0])).toEqual([
      "https://steve-glen.com/linkedin",
      "https://steve-glen.com/calendly",
      "https://steve-glen.com/portfolio",
    ]);
  });

  test("one invalid link fails them all, naming it; nothing is stored", async () => {
    const { app, store } = withBase();
    const res = await call(app, `${LINKS}/bulk`, { json: { links: [linkedin, { ...linkedin, original_url: "javascript:x" }] } });
    expect(res.status).toBe(400);
    expect(res.body.validation_errors).toEqual(["Link 2: original_url must be an absolute http:// or https:// URL with a host"]);
    expect(((await sql(store)).query("select count(*) as n from link_tracking").get() as { n: number }).n).toBe(0);
  });

  test("one taken id fails them all with 409; nothing is stored", async () => {
    const { app, store } = withBase();
    await call(app, LINKS, { json: { ...linkedin, tracking_id: "taken" } });
    const res = await call(app, `${LINKS}/bulk`, { json: { links: [linkedin, { ...linkedin, tracking_id: "taken" }] } });
    expect(res.status).toBe(409);
    expect(((await sql(store)).query("select count(*) as n from link_tracking").get() as { n: number }).n).toBe(1);
  });

  test.each([
    ["no links array", {}, "links must be an array"],
    ["an empty array", { links: [] }, "links must contain at least 1 link"],
    ["101 links", { links: Array.from({ length: 101 }, () => linkedin) }, "links must contain at most 100 links"],
  ])("%s is a 400", async (_name, body, message) => {
    const { app } = withBase();
    const res = await call(app, `${LINKS}/bulk`, { json: body });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe(message);
  });
});

describe("GET /api/link-tracking/links", () => {
  async function seeded() {
    const ctx = withBase();
    const mk = (change: Record<string, unknown>) => call(ctx.app, LINKS, { json: { ...linkedin, ...change } });
    for (let i = 0; i < 5; i++) await mk({ job_id: JOB, tracking_id: `job-${i}` });
    await mk({ application_id: APP, link_function: "Calendly", tracking_id: "cal" });
    await mk({ tracking_id: "old", expires_at: "2020-01-01T00:00:00Z" });
    return ctx;
  }

  test("filters by job, application, function and active", async () => {
    const { app } = await seeded();
    const ids = async (q: string) => (await call(app, `${LINKS}?${q}`)).body.links.map((l: any) => l.tracking_id).sort();
    expect(await ids(`job_id=${JOB}`)).toEqual(["job-0", "job-1", "job-2", "job-3", "job-4"]);
    expect(await ids(`application_id=${APP}`)).toEqual(["cal"]);
    expect(await ids("link_function=calendly")).toEqual(["cal"]);
    expect(await ids("active=false")).toEqual(["old"]);
    expect((await ids("active=true")).length).toBe(6);
  });

  test("pages with a cursor, newest first, each link once", async () => {
    const { app } = await seeded();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await call(app, `${LINKS}?limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      expect(res.body.links.length).toBeLessThanOrEqual(3);
      seen.push(...res.body.links.map((l: any) => l.tracking_id));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(seen.length).toBe(7);
    expect(new Set(seen).size).toBe(7);
  });

  test.each([["limit=0"], ["limit=abc"], ["limit=501"], ["active=maybe"], ["cursor=garbage"]])("%s is a 400", async (q) => {
    const { app } = await seeded();
    const res = await call(app, `${LINKS}?${q}`);
    expect(res.status).toBe(400);
    expect(typeof res.body.error).toBe("string");
  });
});

describe("PATCH and DELETE /api/link-tracking/links/{id}", () => {
  test("deactivate, reactivate, change destination and expiry", async () => {
    const { app } = withBase();
    await call(app, LINKS, { json: { ...linkedin, tracking_id: "p1" } });
    const off = await call(app, `${LINKS}/p1`, { method: "PATCH", json: { is_active: false } });
    expect(off.status).toBe(200);
    expect(off.body.is_active).toBe(false);
    const moved = await call(app, `${LINKS}/p1`, {
      method: "PATCH",
      json: { is_active: true, original_url: "https://linkedin.com/in/steve-glen-2", expires_at: "2099-01-01T00:00:00+02:00" },
    });
    expect(moved.body).toMatchObject({ is_active: true, original_url: "https://linkedin.com/in/steve-glen-2", expires_at: "2098-12-31T22:00:00.000Z" });
    const cleared = await call(app, `${LINKS}/p1`, { method: "PATCH", json: { expires_at: null } });
    expect(cleared.body.expires_at).toBeNull();
    expect(cleared.body.updated_at >= cleared.body.created_at).toBe(true);
  });

  test.each([
    ["unknown fields", { colour: "blue" }, "Unknown field(s): colour"],
    ["is_active a string", { is_active: "yes" }, "is_active must be true or false"],
    ["original_url javascript:", { original_url: "javascript:alert(1)" }, "original_url must be an absolute http:// or https:// URL with a host"],
    ["nothing to change", {}, "Nothing to change: send at least one field"],
  ])("PATCH with %s is a 400", async (_name, body, message) => {
    const { app } = withBase();
    await call(app, LINKS, { json: { ...linkedin, tracking_id: "p1" } });
    const res = await call(app, `${LINKS}/p1`, { method: "PATCH", json: body });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe(message);
  });

  test("PATCH or GET of an unknown link is the seed's 404 body", async () => {
    const { app } = withBase();
    for (const method of ["GET", "PATCH", "DELETE"]) {
      const res = await call(app, `${LINKS}/nope`, { method, ...(method === "PATCH" ? { json: { is_active: false } } : {}) });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: "Link not found or expired", tracking_id: "nope", timestamp: expect.stringMatching(/Z$/) });
    }
  });

  test("DELETE removes the link and its clicks", async () => {
    const { app, store } = withBase();
    await call(app, LINKS, { json: { ...linkedin, tracking_id: "d1" } });
    await app.handle(new Request("http://localhost/linkedin?uuid=d1"));
    await app.handle(new Request("http://localhost/linkedin?uuid=d1"));
    expect((await clickCount(store)).n).toBe(2);
    const res = await call(app, `${LINKS}/d1`, { method: "DELETE" });
    expect(res.body).toEqual({ tracking_id: "d1", deleted: true, clicks_deleted: 2 });
    expect((await clickCount(store)).n).toBe(0);
    expect((await app.handle(new Request("http://localhost/linkedin?uuid=d1"))).status).toBe(404);
  });
});

describe("scopes", () => {
  test("link management needs an admin key: ingest and read keys get 403", async () => {
    const { app, store } = withBase();
    for (const scope of ["ingest", "read"] as const) {
      const key = await createKey(store, `k-${scope}`, scope);
      const res = await call(app, LINKS, { json: linkedin, key });
      expect(res.status).toBe(403);
      expect(res.body.error).toContain("admin");
    }
    const admin = await createKey(store, "k-admin", "admin");
    expect((await call(app, LINKS, { json: linkedin, key: admin })).status).toBe(201);
  });

  test("no key is 401 before the body is looked at", async () => {
    const { app } = withBase();
    const res = await call(app, LINKS, { json: { original_url: "javascript:x" }, key: null });
    expect(res.status).toBe(401);
  });
});

describe("body limits on the link routes", () => {
  test("a 6 MiB body without a declared length is cut off with 413 JSON", async () => {
    const { app } = withBase();
    const chunk = new TextEncoder().encode(" ".repeat(1024 * 1024));
    let sent = 0;
    const body = new ReadableStream({
      pull(controller) {
        if (sent++ < 6) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await app.handle(
      new Request(`http://localhost${LINKS}`, { method: "POST", body, headers: { "content-type": "application/json", "x-api-key": "test-key-0123456789abcdef" } }),
    );
    expect(res.status).toBe(413);
    expect(((await res.json()) as any).error).toBe("Request body exceeds 5242880 bytes");
  });
});
