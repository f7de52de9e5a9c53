import { describe, expect, test } from "bun:test";
import { createKey } from "../../../src/modules/auth/service";
import { call, clickCount, KEY, setup, sql } from "../../utils";

const linkedin = { original_url: "https://linkedin.com/in/steve-glen", link_function: "LinkedIn", link_type: "profile" };

describe("GET /api/link-tracking/lookup", () => {
  test("/lookup/{id} and ?uuid= answer the seed's flat link structure with Bearer auth", async () => {
    const { app } = setup();
    await call(app, "/api/link-tracking/links", { json: { ...linkedin, tracking_id: "lt_abc123def456" } });
    const headers = { authorization: `Bearer ${KEY}` };
    const byPath = await call(app, "/api/link-tracking/lookup/lt_abc123def456", { key: null, headers });
    const byQuery = await call(app, "/api/link-tracking/lookup?uuid=lt_abc123def456", { key: null, headers });
    expect(byPath.status).toBe(200);
    expect(byQuery.body).toEqual(byPath.body);
    expect(byPath.body).toMatchObject({
      tracking_id: "lt_abc123def456",
      original_url: "https://linkedin.com/in/steve-glen",
      redirect_url: "http://localhost:5001/linkedin?uuid=lt_abc123def456",
      link_function: "LinkedIn",
      link_type: "profile",
      job_id: null,
      application_id: null,
      is_active: true,
      created_at: expect.stringMatching(/Z$/),
    });
  });

  test("inactive and expired links are answered with is_active false", async () => {
    const { app } = setup();
    await call(app, "/api/link-tracking/links", { json: { ...linkedin, tracking_id: "off" } });
    await call(app, "/api/link-tracking/links/off", { method: "PATCH", json: { is_active: false } });
    await call(app, "/api/link-tracking/links", { json: { ...linkedin, tracking_id: "old", expires_at: "2020-01-01T00:00:00Z" } });
    expect((await call(app, "/api/link-tracking/lookup/off")).body.is_active).toBe(false);
    const old = await call(app, "/api/link-tracking/lookup/old");
    expect(old.status).toBe(200);
    expect(old.body).toMatchObject({ is_active: false, expires_at: "2020-01-01T00:00:00.000Z" });
  });

  test("an unknown id is the seed's 404 body", async () => {
    const { app } = setup();
    const res = await call(app, "/api/link-tracking/lookup/lt_missing");
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: "Link not found or expired", tracking_id: "lt_missing", timestamp: expect.stringMatching(/Z$/) });
  });

  test("an ingest key may look up; ?uuid missing is a 400", async () => {
    const { app, store } = setup();
    const key = await createKey(store, "node", "ingest");
    expect((await call(app, "/api/link-tracking/lookup/x", { key })).status).toBe(404);
    const res = await call(app, "/api/link-tracking/lookup", { key });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("Missing required query parameter: uuid");
  });
});

describe("POST /api/link-tracking/record-click", () => {
  const click = {
    tracking_id: "lt_abc123def456",
    clicked_at: "2025-07-27T21:15:30Z",
    ip_address: "192.168.1.100",
    user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36",
    referrer_url: "https://gmail.com",
    session_id: "sess_xyz789",
    click_source: "email",
    metadata: { utm_source: "email", utm_medium: "application" },
  };

  test("the seed's request answers 201 with the seed's body and stores the click", async () => {
    const { app, store } = setup();
    const res = await call(app, "/api/link-tracking/record-click", { json: click });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      click_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      tracking_id: "lt_abc123def456",
      clicked_at: "2025-07-27T21:15:30.000Z",
      click_source: "email",
      status: "recorded",
    });
    const row = (await sql(store)).query("select * from link_clicks").get() as Record<string, unknown>;
    expect(row).toMatchObject({ click_id: res.body.click_id, origin: "api", session_id: "sess_xyz789", referrer_url: "https://gmail.com" });
  });

  test("sent twice, it is stored once and the second answer names the same click", async () => {
    const { app, store } = setup();
    const first = await call(app, "/api/link-tracking/record-click", { json: click });
    const second = await call(app, "/api/link-tracking/record-click", { json: click });
    expect(second.status).toBe(200);
    expect(second.body).toEqual({ ...first.body, status: "duplicate" });
    expect((await clickCount(store)).n).toBe(1);
  });

  test.each([
    ["tracking_id missing", { clicked_at: "2025-07-27T21:15:30Z" }, "Missing required field: tracking_id"],
    ["clicked_at invalid", { tracking_id: "x", clicked_at: "yesterday" }, "Invalid clicked_at format (must be ISO 8601 datetime)"],
    ["ip_address invalid", { tracking_id: "x", ip_address: "999.1.1.1" }, "ip_address is not a valid IPv4 or IPv6 address"],
  ])("%s: the seed's 400 body", async (_name, body, message) => {
    const { app, store } = setup();
    const res = await call(app, "/api/link-tracking/record-click", { json: body });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: message, required_fields: ["tracking_id"], timestamp: expect.stringMatching(/Z$/) });
    expect((await clickCount(store)).n).toBe(0);
  });

  test("a read-only database is a 503 with Retry-After", async () => {
    const { readOnlySetup } = await import("../../utils");
    const { app } = readOnlySetup();
    const res = await call(app, "/api/link-tracking/record-click", { json: click });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
  });
});
