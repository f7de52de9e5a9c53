/**
 * Property-based fuzzing of every JSON endpoint and of the redirect route: whatever the
 * body, headers and query string, the answer is never a 500, never takes long, and
 * never reflects input unescaped into HTML.
 */
import { afterAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { FC_SEED, KEY, setup } from "../utils";

fc.configureGlobal({ seed: FC_SEED });

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const { app } = setup({ trustProxy: true });
await app.handle(
  new Request("http://localhost/api/link-tracking/links", {
    method: "POST",
    headers: { "x-api-key": KEY, "content-type": "application/json" },
    body: JSON.stringify({ original_url: "https://example.com/", link_function: "LinkedIn", tracking_id: "fuzz-link" }),
  }),
);

const MARKER = "<x-fuzz>";

// Values that look like what a client might send, and things no client should.
const jsonValue = fc.jsonValue({ maxDepth: 3 });
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom("", MARKER, "../..", "%00", "2025-13-45T00:00:00Z", "1e309", "null", "\u0000", "a".repeat(200)));
const eventLike = fc.record(
  {
    tracking_id: fc.oneof(text, fc.constant("fuzz-link"), jsonValue),
    clicked_at: fc.oneof(text, fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), jsonValue),
    ip_address: fc.oneof(text, fc.ipV4(), fc.ipV6(), jsonValue),
    user_agent: fc.oneof(text, jsonValue),
    click_source: fc.oneof(text, jsonValue),
    referrer_url: fc.oneof(text, fc.webUrl(), jsonValue),
    metadata: fc.oneof(fc.dictionary(fc.string({ maxLength: 10 }), jsonValue, { maxKeys: 5 }), jsonValue),
    event_id: fc.oneof(text, jsonValue),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  jsonValue.map((v) => JSON.stringify(v)),
  fc.record({ events: fc.oneof(fc.array(eventLike, { maxLength: 5 }), jsonValue) }).map((v) => JSON.stringify(v)),
  eventLike.map((v) => JSON.stringify(v)),
  fc.record({ links: fc.array(fc.record({ original_url: fc.oneof(text, fc.webUrl()), link_function: text, tracking_id: text }, { requiredKeys: [] }), { maxLength: 3 }) }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
);
const contentType = fc.constantFrom("application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", "", "application/vnd.api+json");
const queryString = fc.array(fc.tuple(fc.oneof(fc.constantFrom("uuid", "from", "to", "include_bots", "limit", "cursor", "job_id", "active", "ip"), fc.string({ maxLength: 8 })), text), { maxLength: 4 }).map(
  (pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&"),
);
const headerValue = fc.string({ maxLength: 60 }).map((s) => s.replace(/[^\x20-\x7e]/g, ""));
const headers = fc.record(
  {
    "user-agent": headerValue,
    referer: fc.oneof(headerValue, fc.webUrl()),
    "x-forwarded-for": fc.oneof(headerValue, fc.ipV4(), fc.ipV6()),
    "accept-language": headerValue,
    dnt: fc.constantFrom("1", "0", "x"),
  },
  { requiredKeys: [] },
);
const pathId = fc.oneof(fc.constant("fuzz-link"), text.map((t) => encodeURIComponent(t) || "x"));

async function expectSound(request: Request) {
  const started = performance.now();
  const res = await app.handle(request);
  const elapsed = performance.now() - started;
  const out = await res.text();
  expect(res.status).toBeLessThan(500);
  expect(elapsed).toBeLessThan(2000);
  if ((res.headers.get("content-type") ?? "").includes("text/html")) expect(out).not.toContain(MARKER);
}

const JSON_ROUTES: [string, (id: string) => string][] = [
  ["POST", () => "/api/tracking-ingest/batch"],
  ["POST", () => "/api/tracking-ingest/test"],
  ["POST", () => "/api/link-tracking/record-click"],
  ["POST", () => "/api/link-tracking/links"],
  ["POST", () => "/api/link-tracking/links/bulk"],
  ["PATCH", (id) => `/api/link-tracking/links/${id}`],
  ["POST", (id) => `/api/link-tracking/orphans/${id}/attribute`],
  ["POST", () => "/api/link-tracking/webhooks"],
  ["PATCH", (id) => `/api/link-tracking/webhooks/${id}`],
];

const QUERY_ROUTES: [string, (id: string) => string][] = [
  ["GET", () => "/api/link-tracking/links"],
  ["GET", (id) => `/api/link-tracking/links/${id}`],
  ["GET", (id) => `/api/link-tracking/lookup/${id}`],
  ["GET", () => "/api/link-tracking/lookup"],
  ["GET", (id) => `/api/link-tracking/analytics/${id}`],
  ["GET", () => "/api/link-tracking/analytics"],
  ["GET", (id) => `/api/link-tracking/analytics/jobs/${id}`],
  ["GET", (id) => `/api/link-tracking/analytics/applications/${id}`],
  ["GET", () => "/api/link-tracking/clicks.csv"],
  ["DELETE", () => "/api/link-tracking/clicks"],
  ["GET", () => "/api/tracking-ingest/health"],
  ["GET", () => "/api/link-tracking/events"],
  ["GET", (id) => `/api/link-tracking/webhooks/${id}/deliveries`],
];

describe(`fuzzing (${RUNS} cases per endpoint)`, () => {
  for (const [method, path] of JSON_ROUTES) {
    test(`${method} ${path(":id")} with arbitrary bodies`, async () => {
      await fc.assert(
        fc.asyncProperty(body, contentType, pathId, fc.boolean(), async (b, type, id, withKey) => {
          const h: Record<string, string> = type ? { "content-type": type } : {};
          if (withKey) h["x-api-key"] = KEY;
          await expectSound(new Request(`http://localhost${path(id)}`, { method, headers: h, body: b }));
        }),
        { numRuns: RUNS },
      );
    }, 120_000);
  }

  for (const [method, path] of QUERY_ROUTES) {
    test(`${method} ${path(":id")} with arbitrary query strings`, async () => {
      await fc.assert(
        fc.asyncProperty(queryString, pathId, async (q, id) => {
          await expectSound(new Request(`http://localhost${path(id)}?${q}`, { method, headers: { "x-api-key": KEY } }));
        }),
        { numRuns: RUNS },
      );
    }, 120_000);
  }

  test("the redirect route with arbitrary paths, query strings and headers", async () => {
    await fc.assert(
      fc.asyncProperty(text, queryString, headers, fc.constantFrom("GET", "HEAD"), async (source, q, h, method) => {
        const path = `/${encodeURIComponent(source) || "linkedin"}`;
        await expectSound(new Request(`http://localhost${path}?${q}&uuid=${encodeURIComponent(MARKER)}`, { method, headers: h }));
        await expectSound(new Request(`http://localhost/track/${encodeURIComponent(source) || "x"}?${q}`, { method, headers: h }));
      }),
      { numRuns: RUNS },
    );
  }, 120_000);
});

// Bodies built to cost the server: nesting far past the limit, hundreds of thousands of
// fields, and any of them streamed in chunks of any size. With a key or without.
const HOSTILE_RUNS = Math.max(10, Math.floor(RUNS / 40));
// Its own app without failure limits: keyed cases must reach the parsers, not a 429.
const hostile = setup({ rateLimits: { api: 0, authFailures: 0, redirect: 0 } });
const nested = fc.record({ depth: fc.integer({ min: 33, max: 100_000 }), open: fc.constantFrom("[", '{"a":') }).map(({ depth, open }) => {
  const close = open === "[" ? "]" : "}";
  return open.repeat(depth) + "1" + close.repeat(depth);
});
const manyFields = fc.record({ count: fc.integer({ min: 10_000, max: 200_000 }), form: fc.boolean() }).map(({ count, form }) =>
  form
    ? Array.from({ length: count }, (_, i) => `f${i}=x`).join("&")
    : `{${Array.from({ length: count }, (_, i) => `"f${i}":${i}`).join(",")}}`,
);
/** A body that a failing case reports by its start and length, not its megabytes. */
const shown = (body: string) => Object.assign(new String(body), { [fc.toStringMethod]: () => `${JSON.stringify(body.slice(0, 60))}… (${body.length} chars)` });
const hostileBody = fc
  .oneof(
    nested,
    nested.map((n) => `{"events":[{"tracking_id":"fuzz-link","metadata":{"m":${n}}}]}`),
    nested.map((n) => `{"original_url":"https://example.com/","link_function":"x","description":${n}}`),
    manyFields,
    manyFields.map((f) => (f.startsWith("{") ? `{"events":[${f}]}` : f)),
  )
  .map(shown);
// Any chunk size, down to a byte, but at most MAX_CHUNKS chunks a body: a network hands a
// server its bytes by the segment, and a sender dribbling bytes one by one pays for each in
// time on the wire, not in one turn of the server (3 million one-byte chunks made in-process
// cost the stream machinery ~3 s whatever the server does with them).
const MAX_CHUNKS = 20_000;
const chunking = fc.option(fc.integer({ min: 1, max: 65_536 }), { nil: undefined });

function streamed(text: string, size: number): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, (at += size)));
    },
  });
}

const BODY_ROUTES: [string, (id: string) => string][] = [
  ...JSON_ROUTES,
  ["DELETE", (id) => `/api/link-tracking/links/${id}`],
  ["DELETE", () => "/api/link-tracking/clicks"],
  ["POST", () => "/dashboard/session"],
  ["POST", (id) => `/api/link-tracking/webhooks/${id}/deliveries/1/redeliver`],
  ["POST", () => "/api/link-tracking/unknown-route"],
  ["POST", () => "/linkedin"],
];

describe(`hostile bodies (${HOSTILE_RUNS} cases per route)`, () => {
  // Megabytes of bodies were made here: give the memory back before the next file's timing-sensitive tests.
  afterAll(() => Bun.gc(true));
  for (const [method, path] of BODY_ROUTES) {
    test(`${method} ${path(":id")}: deep nesting, huge field counts, chunked; never a 500, never slow; no key, no look at the body`, async () => {
      await fc.assert(
        fc.asyncProperty(hostileBody, contentType, chunking, fc.boolean(), async (boxed, type, chunk, withKey) => {
          const b = String(boxed);
          const h: Record<string, string> = type ? { "content-type": type } : {};
          if (withKey) h["x-api-key"] = KEY;
          const size = chunk && Math.max(chunk, Math.ceil(b.length / MAX_CHUNKS));
          const init = { method, headers: h, body: size ? streamed(b, size) : b, duplex: "half" } as RequestInit;
          const started = performance.now();
          const res = await hostile.app.handle(new Request(`http://localhost${path("fuzz-link")}`, init));
          expect(res.status).toBeLessThan(500);
          const answer = await res.text();
          expect(performance.now() - started).toBeLessThan(2000);
          // Without a key: refused from the headers.
          if (!withKey && path("x").startsWith("/api/")) expect(res.status).toBe(401);
          if (res.status === 400 && b.length > 10_000) expect(answer.length).toBeLessThan(10_000); // no echo of the body
        }),
        { numRuns: HOSTILE_RUNS },
      );
    }, 120_000);
  }
});
