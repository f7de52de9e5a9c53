import pino from "pino";
import { describe, expect, test } from "bun:test";
import type { Store } from "../../../src/db/store";
import { call, clickCount, KEY, readOnlySetup, setup, sql } from "../../utils";

const URL = "/api/tracking-ingest/batch";
const ISO_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

// The seed's "Recommended Request Body".
const seedEvents = [
  {
    tracking_id: "dfsgzzpzpweeAFGJJEkdlfjoxbvnv",
    clicked_at: "2025-10-22T14:30:00Z",
    ip_address: "192.168.1.1",
    user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36",
    click_source: "linkedin",
  },
  {
    tracking_id: "AdjoEJogidjwqpsljdkjlsdkx",
    clicked_at: "2025-10-22T14:35:00Z",
    ip_address: "203.0.113.42",
    user_agent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)",
    click_source: "calendly",
  },
];

const rows = async (store: Store) => (await sql(store)).query("select * from link_clicks order by clicked_at").all() as Record<string, any>[];

describe("POST /api/tracking-ingest/batch: the seed's contract", () => {
  test("the recommended body answers the seed's 200 body and stores both events", async () => {
    const { app, store } = setup();
    const res = await call(app, URL, { json: { events: seedEvents } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      success: true,
      message: "Processed 2 events",
      results: { total_events: 2, successful: 2, failed: 0, duplicates: 0, errors: [] },
      timestamp: expect.stringMatching(ISO_Z),
    });
    const stored = (await rows(store));
    expect(stored).toHaveLength(2);
    expect(stored[0]).toMatchObject({
      tracking_id: "dfsgzzpzpweeAFGJJEkdlfjoxbvnv",
      clicked_at: "2025-10-22T14:30:00.000Z",
      ip_address: "192.168.1.1",
      click_source: "linkedin",
      origin: "ingest",
      metadata: "{}",
      is_bot: 0,
      visitor_kind: "human",
    });
    expect(stored[0].click_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  test("the minimal body (tracking_id only) is stored with the server's time", async () => {
    const { app, store } = setup();
    const before = new Date().toISOString();
    const res = await call(app, URL, { json: { events: [{ tracking_id: "dfsgzzpzpweeAFGJJEkdlfjoxbvnv" }] } });
    expect(res.status).toBe(200);
    const [row] = (await rows(store));
    expect(row.clicked_at >= before).toBe(true);
    expect(row.clicked_at).toMatch(ISO_Z);
  });

  test("offsets are stored as UTC; referrer, session and metadata are kept", async () => {
    const { app, store } = setup();
    const res = await call(app, URL, {
      json: {
        events: [
          {
            tracking_id: "lt_abc123def456",
            clicked_at: "2025-10-22T09:30:00-05:00",
            ip_address: "2001:db8::1",
            referrer_url: "https://indeed.com/job/123",
            session_id: "sess_xyz789",
            metadata: { utm_source: "email", utm_campaign: "job_search" },
          },
        ],
      },
    });
    expect(res.status).toBe(200);
    expect((await rows(store))[0]).toMatchObject({
      clicked_at: "2025-10-22T14:30:00.000Z",
      ip_address: "2001:db8::1",
      referrer_url: "https://indeed.com/job/123",
      session_id: "sess_xyz789",
    });
    expect(JSON.parse((await rows(store))[0].metadata)).toEqual({ utm_source: "email", utm_campaign: "job_search" });
  });

  test("29 February of a leap year (2024, 2000) is a day like any other", async () => {
    const { app, store } = setup();
    const res = await call(app, URL, {
      json: { events: [{ tracking_id: "leap", clicked_at: "2024-02-29T23:59:59Z" }, { tracking_id: "leap", clicked_at: "2000-02-29T00:00:00+01:00" }] },
    });
    expect(res.status).toBe(200);
    expect((await rows(store)).map((r) => r.clicked_at)).toEqual(["2000-02-28T23:00:00.000Z", "2024-02-29T23:59:59.000Z"]);
  });

  test("the seed's JS client's empty strings and nulls count as not sent", async () => {
    const { app, store } = setup();
    const res = await call(app, URL, {
      json: { events: [{ tracking_id: "x1", user_agent: "", referrer_url: "", ip_address: null, metadata: null, clicked_at: "" }] },
    });
    expect(res.status).toBe(200);
    expect((await rows(store))[0]).toMatchObject({ user_agent: null, referrer_url: null, ip_address: null, metadata: "{}" });
  });

  test("unknown fields are ignored", async () => {
    const { app } = setup();
    const res = await call(app, URL, { json: { events: [{ tracking_id: "x1", colour: "blue" }], extra: 1 } });
    expect(res.status).toBe(200);
  });

  test("a bot's user agent is flagged", async () => {
    const { app, store } = setup();
    await call(app, URL, { json: { events: [{ tracking_id: "x1", user_agent: "Googlebot/2.1 (+http://www.google.com/bot.html)" }] } });
    expect((await rows(store))[0]).toMatchObject({ is_bot: 1, visitor_kind: "bot" });
  });

  test("some events invalid: the valid ones are stored and the answer is the seed's 207 body", async () => {
    const { app, store } = setup();
    const res = await call(app, URL, { json: { events: [seedEvents[0], { tracking_id: "bad id" }] } });
    expect(res.status).toBe(207);
    expect(res.body).toEqual({
      success: false,
      message: "Processed 2 events",
      warning: "1 events failed to process",
      results: {
        total_events: 2,
        successful: 1,
        failed: 1,
        duplicates: 0,
        errors: ["Event 2: Invalid tracking_id format (allowed: A-Z a-z 0-9 . _ ~ -)"],
      },
      timestamp: expect.stringMatching(ISO_Z),
    });
    expect((await clickCount(store)).n).toBe(1);
  });

  test("1000 events are taken in one batch", async () => {
    const { app, store } = setup();
    const events = Array.from({ length: 1000 }, (_, i) => ({ tracking_id: `t${i}`, clicked_at: "2025-10-22T14:30:00Z" }));
    const res = await call(app, URL, { json: { events } });
    expect(res.status).toBe(200);
    expect(res.body.results.successful).toBe(1000);
    expect((await clickCount(store)).n).toBe(1000);
  });
});

describe("idempotency", () => {
  test("a re-sent batch with event_ids counts as successful, reports duplicates and is stored once", async () => {
    const { app, store } = setup();
    const events = seedEvents.map((e, i) => ({ ...e, event_id: `evt-${i}` }));
    await call(app, URL, { json: { events } });
    const again = await call(app, URL, { json: { events } });
    expect(again.status).toBe(200);
    expect(again.body.success).toBe(true);
    expect(again.body.results).toEqual({ total_events: 2, successful: 2, failed: 0, duplicates: 2, errors: [] });
    expect((await clickCount(store)).n).toBe(2);
  });

  test("without event_id, identical events with clicked_at are stored once, even within one batch", async () => {
    const { app, store } = setup();
    const res = await call(app, URL, { json: { events: [seedEvents[0], seedEvents[0], seedEvents[1]] } });
    expect(res.body.results.duplicates).toBe(1);
    await call(app, URL, { json: { events: seedEvents } });
    expect((await clickCount(store)).n).toBe(2);
  });

  test("events without clicked_at or event_id are distinct clicks each time", async () => {
    const { app, store } = setup();
    await call(app, URL, { json: { events: [{ tracking_id: "x1" }] } });
    await call(app, URL, { json: { events: [{ tracking_id: "x1" }] } });
    expect((await clickCount(store)).n).toBe(2);
  });

  test("the same event_id with different fields is still the same event", async () => {
    const { app, store } = setup();
    await call(app, URL, { json: { events: [{ tracking_id: "x1", event_id: "e1" }] } });
    const res = await call(app, URL, { json: { events: [{ tracking_id: "x2", event_id: "e1" }] } });
    expect(res.body.results.duplicates).toBe(1);
    expect((await clickCount(store)).n).toBe(1);
  });
});

describe("bad input: the documented 400 body, nothing written", () => {
  const validationFailed = (errors: string[]) => ({
    success: false,
    error: "Validation Failed",
    message: expect.any(String),
    validation_errors: errors,
    results: expect.objectContaining({ successful: 0, errors }),
    timestamp: expect.stringMatching(ISO_Z),
  });

  const eventCases: [string, unknown, string][] = [
    ["tracking_id missing", {}, "Event 1: Missing required field: tracking_id"],
    ["tracking_id empty", { tracking_id: "" }, "Event 1: Missing required field: tracking_id"],
    ["tracking_id of 101 chars", { tracking_id: "a".repeat(101) }, "Event 1: tracking_id exceeds 100 characters"],
    ["tracking_id with spaces", { tracking_id: "a b" }, "Event 1: Invalid tracking_id format (allowed: A-Z a-z 0-9 . _ ~ -)"],
    ["tracking_id with /", { tracking_id: "a/b" }, "Event 1: Invalid tracking_id format (allowed: A-Z a-z 0-9 . _ ~ -)"],
    ["tracking_id a number", { tracking_id: 42 }, "Event 1: tracking_id must be a string"],
    ["clicked_at yesterday", { tracking_id: "x", clicked_at: "yesterday" }, "Event 1: Invalid clicked_at format (must be ISO 8601 datetime)"],
    ["clicked_at 2025-13-45", { tracking_id: "x", clicked_at: "2025-13-45T00:00:00Z" }, "Event 1: Invalid clicked_at format (must be ISO 8601 datetime)"],
    ["clicked_at 30 February", { tracking_id: "x", clicked_at: "2025-02-30T00:00:00Z" }, "Event 1: Invalid clicked_at format (must be ISO 8601 datetime)"],
    ["clicked_at 29 February of a common year", { tracking_id: "x", clicked_at: "2025-02-29T00:00:00Z" }, "Event 1: Invalid clicked_at format (must be ISO 8601 datetime)"],
    ["clicked_at 29 February 1900 (not a leap year)", { tracking_id: "x", clicked_at: "1900-02-29T00:00:00Z" }, "Event 1: Invalid clicked_at format (must be ISO 8601 datetime)"],
    ["clicked_at 31 April", { tracking_id: "x", clicked_at: "2025-04-31T00:00:00Z" }, "Event 1: Invalid clicked_at format (must be ISO 8601 datetime)"],
    ["clicked_at without zone", { tracking_id: "x", clicked_at: "2025-10-22T14:30:00" }, "Event 1: Invalid clicked_at format (must be ISO 8601 datetime)"],
    [
      "clicked_at two days ahead",
      { tracking_id: "x", clicked_at: new Date(Date.now() + 2 * 86400000).toISOString() },
      "Event 1: clicked_at is more than one day in the future",
    ],
    ["ip_address 999.1.1.1", { tracking_id: "x", ip_address: "999.1.1.1" }, "Event 1: ip_address is not a valid IPv4 or IPv6 address"],
    ["user_agent of 501 chars", { tracking_id: "x", user_agent: "u".repeat(501) }, "Event 1: user_agent exceeds 500 characters"],
    ["click_source of 51 chars", { tracking_id: "x", click_source: "s".repeat(51) }, "Event 1: click_source exceeds 50 characters"],
    ["referrer_url of 1001 chars", { tracking_id: "x", referrer_url: "r".repeat(1001) }, "Event 1: referrer_url exceeds 1000 characters"],
    ["session_id of 101 chars", { tracking_id: "x", session_id: "s".repeat(101) }, "Event 1: session_id exceeds 100 characters"],
    ["event_id of 101 chars", { tracking_id: "x", event_id: "e".repeat(101) }, "Event 1: event_id exceeds 100 characters"],
    ["metadata an array", { tracking_id: "x", metadata: [1, 2] }, "Event 1: metadata must be a JSON object"],
    ["metadata a string", { tracking_id: "x", metadata: "utm" }, "Event 1: metadata must be a JSON object"],
    ["metadata over 4 KiB", { tracking_id: "x", metadata: { big: "m".repeat(4100) } }, "Event 1: metadata exceeds 4096 bytes when serialised"],
    ["an event that is not an object", "x", "Event 1: Event must be a JSON object"],
    ["an event that is null", null, "Event 1: Event must be a JSON object"],
  ];

  test.each(eventCases)("%s", async (_name, event, error) => {
    const { app, store } = setup();
    const res = await call(app, URL, { json: { events: [event] } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual(validationFailed([error]));
    expect(res.body.message).toBe("One or more events failed validation");
    expect(res.body.results).toEqual({ total_events: 1, successful: 0, failed: 1, duplicates: 0, errors: [error] });
    expect((await clickCount(store)).n).toBe(0);
  });

  test("every invalid event is reported with its 1-based position, problems joined", async () => {
    const { app } = setup();
    const res = await call(app, URL, {
      json: { events: [{ clicked_at: "2025-10-22T14:30:00Z" }, { tracking_id: "ok" }, { tracking_id: "x", clicked_at: "nope", ip_address: "1.2.3" }] },
    });
    expect(res.status).toBe(207);
    expect(res.body.results.errors).toEqual([
      "Event 1: Missing required field: tracking_id",
      "Event 3: Invalid clicked_at format (must be ISO 8601 datetime); ip_address is not a valid IPv4 or IPv6 address",
    ]);
  });

  const envelopeCases: [string, string, string][] = [
    ["not JSON", "{not json", "Request body is not valid JSON"],
    ["an empty body", "", "Request body is empty; a JSON object is required"],
    ["JSON but not an object", "[1,2,3]", "Request body must be a JSON object"],
    ["JSON null", "null", "Request body must be a JSON object"],
    ["events missing", "{}", "events must be an array"],
    ["events not an array", '{"events":{"tracking_id":"x"}}', "events must be an array"],
    ["events empty", '{"events":[]}', "events must contain at least 1 event"],
    ["1001 events", JSON.stringify({ events: Array.from({ length: 1001 }, () => ({ tracking_id: "x" })) }), "events must contain at most 1000 events"],
  ];

  test.each(envelopeCases)("envelope: %s", async (_name, body, message) => {
    const { app, store } = setup();
    const res = await call(app, URL, { method: "POST", body, headers: { "content-type": "application/json" } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ success: false, error: "Validation Failed", message, validation_errors: [message] });
    expect(res.body.results).toMatchObject({ successful: 0, errors: [message] });
    expect(res.body.timestamp).toMatch(ISO_Z);
    expect((await clickCount(store)).n).toBe(0);
  });

  test("a body of 6 MiB is refused with 413 JSON before it is read", async () => {
    const { app, store } = setup();
    const big = JSON.stringify({ events: [{ tracking_id: "x", metadata: { pad: "p".repeat(6 * 1024 * 1024) } }] });
    const res = await call(app, URL, { method: "POST", body: big, headers: { "content-type": "application/json" } });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ success: false, error: "Payload Too Large", message: "Request body exceeds 5242880 bytes" });
    expect((await clickCount(store)).n).toBe(0);
  });

  test("a 6 MiB body that declares no length is cut off at the limit with 413 JSON", async () => {
    const { app } = setup();
    const chunk = new TextEncoder().encode("x".repeat(1024 * 1024));
    let sent = 0;
    const stream = new ReadableStream({
      pull(controller) {
        if (sent++ < 6) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await app.handle(
      new Request(`http://localhost${URL}`, { method: "POST", body: stream, headers: { "content-type": "application/json", "x-api-key": KEY } }),
    );
    expect(res.status).toBe(413);
    expect(((await res.json()) as any).error).toBe("Payload Too Large");
  });

  test.each([["text/plain"], ["application/x-www-form-urlencoded"], [null]])("Content-Type %s is refused with 415 JSON", async (type) => {
    const { app, store } = setup();
    const headers: Record<string, string> = type ? { "content-type": type } : {};
    const res = await call(app, URL, { method: "POST", body: JSON.stringify({ events: seedEvents }), headers });
    expect(res.status).toBe(415);
    expect(res.body).toMatchObject({ success: false, error: "Unsupported Media Type", message: "Content-Type must be application/json" });
    expect((await clickCount(store)).n).toBe(0);
  });

  test("application/json; charset=utf-8 is accepted", async () => {
    const { app } = setup();
    const res = await call(app, URL, {
      method: "POST",
      body: JSON.stringify({ events: seedEvents }),
      headers: { "content-type": "application/json; charset=utf-8" },
    });
    expect(res.status).toBe(200);
  });

  test("GET on the batch route is a JSON 404, not HTML", async () => {
    const { app } = setup();
    const res = await call(app, URL, { method: "GET" });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/json");
  });
});

describe("database trouble", () => {
  test("a database that refuses writes answers 503 with Retry-After and writes nothing, and the log says why at warn", async () => {
    const lines: string[] = [];
    const { app, store } = readOnlySetup({}, pino({ level: "warn" }, { write: (line: string) => void lines.push(line) }));
    const res = await call(app, URL, { json: { events: seedEvents } });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(res.body).toMatchObject({ success: false, error: "Service Unavailable", message: expect.stringContaining("nothing was written") });
    expect((await clickCount(store)).n).toBe(0);
    const logged = lines.map((l) => JSON.parse(l));
    expect(logged).toContainEqual(expect.objectContaining({ level: 40, code: "SQLITE_READONLY", clicks: seedEvents.length, msg: expect.stringContaining("clicks not written") }));
  });
});
