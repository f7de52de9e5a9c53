/**
 * Requests that could hold the one event loop, or cost the server before it knows who
 * is asking: each is refused from what arrived first (headers, the first bytes), never
 * after reading or parsing everything.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { JsonShapeScanner, MAX_JSON_DEPTH, MAX_JSON_TOKENS, readJsonBody, withoutNul } from "../../../src/lib/body";
import { RateLimiter } from "../../../src/lib/rate-limit";
import { call, FC_SEED, KEY, setup, sql } from "../../utils";

fc.configureGlobal({ seed: FC_SEED });

const DEEP = 30_000;
const deepArray = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

/** A body that sends `first` and then never ends: a server that waits for the whole body never answers. */
function hangingBody(first: string) {
  let pulls = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulls++;
      if (pulls === 1) controller.enqueue(new TextEncoder().encode(first));
      // later pulls: nothing, ever
      return new Promise(() => {});
    },
  });
  return { stream, pulls: () => pulls };
}

const post = (path: string, body: ReadableStream<Uint8Array> | string, headers: Record<string, string>) =>
  new Request(`http://localhost${path}`, { method: "POST", body, headers, duplex: "half" } as RequestInit);

/** Answers `request`, or "no answer" when none came in `ms` (the request is stuck reading). */
async function answerOf(app: { handle(r: Request): Promise<Response> }, request: Request, ms = 2000) {
  const res = await Promise.race([app.handle(request), Bun.sleep(ms).then(() => null)]);
  if (!res) return "no answer" as const;
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const BODY_ROUTES = [
  "/api/tracking-ingest/batch",
  "/api/link-tracking/record-click",
  "/api/link-tracking/links",
  "/api/link-tracking/links/bulk",
  "/api/link-tracking/webhooks",
  "/api/link-tracking/orphans/x/attribute",
];

describe("the key is checked before the body is read", () => {
  test.each(BODY_ROUTES)("POST %s without a key: 401 while the body is still arriving", async (path) => {
    const { app } = setup();
    const body = hangingBody(`{"events": ${"[".repeat(1000)}`);
    const answer = await answerOf(app, post(path, body.stream, { "content-type": "application/json" }));
    expect(answer).not.toBe("no answer");
    expect(answer).toMatchObject({ status: 401, body: { success: false, error: "Unauthorized", message: "Valid API key required in X-API-Key header" } });
  });

  test.each(["/dashboard/session", "/dashboard/session/"])("a wrong key on the dashboard's sign-in (%s): 401 without reading the body", async (path) => {
    const { app } = setup();
    const body = hangingBody(`{"a":${"[".repeat(1000)}`);
    const answer = await answerOf(app, post(path, body.stream, { "content-type": "application/json", "x-api-key": "wrong-key-0123456789" }));
    expect(answer).toMatchObject({ status: 401 });
  });

  test("a body of a type no route takes is refused unread (415), key or not", async () => {
    const { app } = setup();
    for (const type of ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x", "application/octet-stream"]) {
      const body = hangingBody("a=1&".repeat(1000));
      const answer = await answerOf(app, post("/api/link-tracking/links", body.stream, { "content-type": type, "x-api-key": KEY }));
      expect(answer).toMatchObject({ status: 415, body: { error: "Content-Type must be application/json" } });
    }
  });

  test("a streamed body past 5 MiB is a 413 in the documented shape", async () => {
    const { app } = setup();
    const chunk = new TextEncoder().encode(`{"a":"${"x".repeat(1024 * 1024)}`);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const answer = await answerOf(app, post("/api/tracking-ingest/batch", stream, { "content-type": "application/json", "x-api-key": KEY }));
    expect(answer).toMatchObject({ status: 413, body: { success: false, error: "Payload Too Large" } });
    expect(sent).toBeLessThan(8);
  });
});

describe("a route that takes no body never reads one", () => {
  test.each([
    ["DELETE", "/dashboard/session", {}, 200],
    ["DELETE", "/api/link-tracking/links/nothing-here", { "x-api-key": KEY }, 404],
    ["POST", "/api/link-tracking/webhooks/nothing/deliveries/1/redeliver", { "x-api-key": KEY }, 404],
    ["POST", "/api/tracking-ingest/test", { "x-api-key": KEY }, 200],
  ] as const)("%s %s with a body that never ends: answered at once, and the connection closed", async (method, path, headers, status) => {
    const { app } = setup();
    const body = hangingBody(`{${Array.from({ length: 50_000 }, (_, i) => `"k${i}":1`).join(",")}`);
    const request = new Request(`http://localhost${path}`, { method, body: body.stream, headers: { "content-type": "application/json", ...headers }, duplex: "half" } as RequestInit);
    const res = await Promise.race([app.handle(request), Bun.sleep(2000).then(() => null)]);
    expect(res).not.toBeNull();
    expect(res!.status).toBe(status);
    expect(res!.headers.get("connection")).toBe("close");
    expect(body.pulls()).toBeLessThanOrEqual(1);
  });
});

describe("JSON nested deeper than 32 levels is refused before parsing", () => {
  const tooDeep = `Request body nests objects or arrays deeper than ${MAX_JSON_DEPTH} levels`;

  test("a link whose description is an array nested 30,000 deep: 400 at once, while the body is still arriving", async () => {
    const { app } = setup();
    const body = hangingBody(`{"original_url":"https://example.com/","link_function":"x","description":${"[".repeat(DEEP)}`);
    const answer = await answerOf(app, post("/api/link-tracking/links", body.stream, { "content-type": "application/json", "x-api-key": KEY }));
    expect(answer).toMatchObject({ status: 400, body: { error: tooDeep } });
  });

  test.each([
    ["POST", "/api/link-tracking/links", (v: string) => `{"original_url":"https://example.com/","link_function":"x","description":${v}}`],
    ["POST", "/api/link-tracking/links/bulk", (v: string) => `{"links":[{"original_url":"https://example.com/","link_function":"x","description":${v}}]}`],
    ["PATCH", "/api/link-tracking/links/abc", (v: string) => `{"description":${v}}`],
    ["POST", "/api/link-tracking/webhooks", (v: string) => `{"url":"https://example.com/","events":${v}}`],
    ["POST", "/api/link-tracking/orphans/abc/attribute", (v: string) => `{"tracking_id":${v}}`],
    ["POST", "/api/link-tracking/record-click", (v: string) => `{"tracking_id":"abc","metadata":{"m":${v}}}`],
  ])("%s %s with a value nested 100,000 deep: the documented 400, no 500", async (method, path, body) => {
    const { app } = setup();
    const res = await call(app, path, { method, body: body(deepArray(100_000)), headers: { "content-type": "application/json" } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: tooDeep });
  });

  test("an ingest event whose metadata nests 100,000 deep: the seed's 400 body, nothing stored", async () => {
    const { app, store } = setup();
    const res = await call(app, "/api/tracking-ingest/batch", {
      body: `{"events":[{"tracking_id":"abc","metadata":{"m":${deepArray(100_000)}}}]}`,
      method: "POST",
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ success: false, error: "Validation Failed", message: tooDeep, results: { failed: 0 } });
    expect((await sql(store)).query("select count(*) as n from link_clicks").get()).toEqual({ n: 0 });
  });

  test("32 levels are accepted (an event's metadata can nest)", async () => {
    const { app } = setup();
    let metadata: unknown = "leaf";
    for (let i = 0; i < MAX_JSON_DEPTH - 4; i++) metadata = { m: metadata };
    const res = await call(app, "/api/tracking-ingest/batch", { json: { events: [{ tracking_id: "abc", metadata }] } });
    expect(res.status).toBe(200);
  });

  test("the scanner ignores brackets inside strings and escaped quotes, across chunk boundaries", () => {
    const scanner = new JsonShapeScanner(2);
    expect(scanner.push(Buffer.from('{"a": "[[[[\\"[[[['))).toBeNull();
    expect(scanner.push(Buffer.from('{{{{", "b": [1]'))).toBeNull();
    expect(scanner.push(Buffer.from(', "c": [['))).toBe("deep");
    expect(new JsonShapeScanner(3).push(Buffer.from('{"é[": ["ü", {"k": "\\\\"}]}'))).toBeNull();
    expect(new JsonShapeScanner(2).push(Buffer.from('{"é[": ["ü", {"k": "\\\\"}]}'))).toBe("deep");
  });
});

describe(`JSON of more than ${MAX_JSON_TOKENS} keys and values is refused before parsing`, () => {
  const tooLarge = `Request body has more than ${MAX_JSON_TOKENS} keys and values`;
  const manyKeys = (n: number) => `{${Array.from({ length: n }, (_, i) => `"k${i}":1`).join(",")}}`;

  test("the scanner counts each key and value once, and none inside strings, across chunk boundaries", () => {
    const six = new JsonShapeScanner(32, 6);
    expect(six.push(Buffer.from('{"a":1,"b"'))).toBeNull();
    expect(six.push(Buffer.from(':[2,3], "c,:[{": "x"'))).toBe("large");
    expect(new JsonShapeScanner(32, 6).push(Buffer.from('{"a":1,"b":[2,3]}'))).toBeNull();
    expect(new JsonShapeScanner(32, 5).push(Buffer.from('{"a":1,"b":[2,3]}'))).toBe("large");
    expect(new JsonShapeScanner(32, 2).push(Buffer.from('{"a,b:c[d{":"e,f"}'))).toBeNull();
  });

  test.each([
    ["POST", "/api/tracking-ingest/batch", (n: number) => manyKeys(n)],
    ["POST", "/api/tracking-ingest/batch", (n: number) => `{"events":[${Array.from({ length: n / 2 }, () => "[1]").join(",")}]}`],
    ["POST", "/api/link-tracking/record-click", (n: number) => manyKeys(n)],
    ["POST", "/api/link-tracking/links/bulk", (n: number) => `{"links":${JSON.stringify(Array.from({ length: n }, () => 0))}}`],
    ["PATCH", "/api/link-tracking/webhooks/abc", (n: number) => manyKeys(n)],
  ])("%s %s with a key and a body of 446,000 values: the documented 400, refused while it is read", async (method, path, body) => {
    const { app } = setup();
    const started = performance.now();
    const res = await call(app, path, { method, body: body(446_000), headers: { "content-type": "application/json" } });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain(tooLarge);
    expect(performance.now() - started).toBeLessThan(5000); // a clear stall only; bench/ measures
  });

  test("a batch of 1000 events with a dozen fields and metadata each is well under the limit", async () => {
    const { app } = setup();
    const events = Array.from({ length: 1000 }, (_, i) => ({
      event_id: `e-${i}`,
      tracking_id: "abc",
      clicked_at: "2025-10-22T14:30:00Z",
      ip_address: "203.0.113.42",
      user_agent: "Mozilla/5.0",
      click_source: "linkedin",
      referrer_url: "https://www.linkedin.com/",
      metadata: Object.fromEntries(Array.from({ length: 40 }, (_, k) => [`m${k}`, k])),
    }));
    const res = await call(app, "/api/tracking-ingest/batch", { json: { events } });
    expect(res.status).toBe(200);
  });
});

describe("one failure limit for every way in with a key", () => {
  test("the dashboard's sign-in counts wrong keys and refuses a locked-out client, even with the right key", async () => {
    const { app } = setup({ trustProxy: true, rateLimits: { api: 0, authFailures: 5, redirect: 0 } });
    const signIn = (key: string) => app.handle(new Request("http://localhost/dashboard/session", { method: "POST", headers: { "x-api-key": key, "x-forwarded-for": "198.51.100.9" } }));
    for (let i = 0; i < 5; i++) expect((await signIn(`wrong-${i}-0123456789abcdef`)).status).toBe(401);
    const locked = await signIn(KEY);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  test("sign-in and API failures share the budget", async () => {
    const { app } = setup({ trustProxy: true, rateLimits: { api: 0, authFailures: 4, redirect: 0 } });
    const from = { "x-forwarded-for": "198.51.100.10" };
    for (let i = 0; i < 2; i++) await app.handle(new Request("http://localhost/dashboard/session", { method: "POST", headers: { ...from, "x-api-key": "wrong-key-0123456789" } }));
    for (let i = 0; i < 2; i++) expect((await call(app, "/api/link-tracking/links", { key: "wrong-key-0123456789", headers: from })).status).toBe(401);
    expect((await call(app, "/api/link-tracking/links", { headers: from })).status).toBe(429);
  });

  test("an IPv6 client is limited per /64: rotating addresses inside it does not reset the count", async () => {
    const { app } = setup({ trustProxy: true, rateLimits: { api: 0, authFailures: 5, redirect: 0 } });
    const statuses: number[] = [];
    for (let i = 1; i <= 8; i++) {
      const res = await call(app, "/api/link-tracking/links", { key: "wrong-key-0123456789", headers: { "x-forwarded-for": `2001:db8:1:2:${i.toString(16)}::${i}` } });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    // Another /64 has its own budget.
    expect((await call(app, "/api/link-tracking/links", { headers: { "x-forwarded-for": "2001:db8:1:3::1" } })).status).toBe(200);
  });

  test("a failure limiter whose table is full refuses new clients; the redirect limiter lets them pass", () => {
    const failures = new RateLimiter(10, "refuse", 3);
    const redirects = new RateLimiter(10, "pass", 3);
    for (const key of ["a", "b", "c"]) {
      failures.hit(key);
      redirects.hit(key);
    }
    expect(failures.exceeded("d")).toBe(true);
    expect(failures.hit("d")).toBe(true);
    expect(failures.exceeded("a")).toBe(false); // clients already counted keep their budget
    expect(redirects.exceeded("d")).toBe(false);
    expect(redirects.hit("d")).toBe(false);
  });
});

describe("ingest batches and redirects share the event loop", () => {
  test("a redirect that arrives with four 1000-event batches is answered before the last of them is written", async () => {
    const { app } = setup();
    await call(app, "/api/link-tracking/links", { json: { original_url: "https://example.com/", link_function: "LinkedIn", tracking_id: "shared-loop" } });
    const batch = (n: number) =>
      app.handle(
        new Request("http://localhost/api/tracking-ingest/batch", {
          method: "POST",
          headers: { "content-type": "application/json", "x-api-key": KEY },
          body: JSON.stringify({ events: Array.from({ length: 1000 }, (_, i) => ({ event_id: `turn-${n}-${i}`, tracking_id: `ingest-${i % 50}`, clicked_at: "2025-10-22T14:30:00Z" })) }),
        }),
      );
    const order: string[] = [];
    const batches = [1, 2, 3, 4].map((n) => batch(n).then((res) => order.push(`batch ${res.status}`)));
    const redirect = app
      .handle(new Request("http://localhost/linkedin?uuid=shared-loop", { headers: { "accept-language": "en", "user-agent": "Mozilla/5.0 Firefox/133.0" } }))
      .then((res) => order.push(`redirect ${res.status}`));
    await Promise.all([...batches, redirect]);
    expect(order.filter((o) => o.startsWith("batch"))).toEqual(["batch 200", "batch 200", "batch 200", "batch 200"]);
    // Each batch is written in a turn of its own: the redirect's click is committed between two of them.
    expect(order.indexOf("redirect 302")).toBeLessThan(order.length - 1);
  });
});

describe("a large body is parsed a part at a time, to the same value or the same error", () => {
  const read = (text: string) => readJsonBody(new Request("http://localhost/", { method: "POST", body: text })).then(
    (value) => ({ value }),
    (error) => ({ error: (error as Error).message }),
  );
  const big = fc.record({
    key: fc.constantFrom("events", "links", "__proto__", "a,b", 'q"uote'),
    elements: fc.array(fc.jsonValue({ maxDepth: 4 }), { maxLength: 60 }),
    before: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
    after: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
    space: fc.constantFrom("", " ", "\n  "),
  });
  /** Past the size from which bodies are parsed in parts: a long string beside the array. */
  const padded = (o: { key: string; elements: unknown[]; before: object; after: object; space: string }) => {
    const array = `[${o.space}${o.elements.map((e) => JSON.stringify(e)).join(`,${o.space}`)}${o.space}]`;
    const inner = [...Object.entries(o.before).filter(([k]) => k !== o.key).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`), `${JSON.stringify(o.key)}:${array}`, `"pad":"${"x".repeat(300_000)}"`, ...Object.entries(o.after).filter(([k]) => k !== o.key && k !== "pad").map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`)];
    return `{${o.space}${inner.join(`,${o.space}`)}${o.space}}`;
  };

  test("valid bodies: the value JSON.parse gives", async () => {
    await fc.assert(
      fc.asyncProperty(big, async (o) => {
        const text = padded(o);
        const got = await read(text);
        expect(got).toEqual({ value: withoutNul(JSON.parse(text)) });
        expect(Object.keys((got as { value: object }).value)).toEqual(Object.keys(withoutNul(JSON.parse(text)) as object));
      }),
      { numRuns: 40 },
    );
  });

  test("broken bodies (a comma more or less, a cut, a stray character): the 400 JSON.parse would have caused", async () => {
    await fc.assert(
      fc.asyncProperty(big, fc.nat(), fc.constantFrom(",", "", "]", "}", "x", '"'), async (o, at, insert) => {
        const text = padded(o);
        // Somewhere in the array or what is around it, before the padding.
        const cut = at % (text.indexOf('"pad"') + 6);
        const broken = text.slice(0, cut) + insert + text.slice(cut + (insert === "" ? 1 : 0));
        let parses = true;
        try {
          const v = JSON.parse(broken);
          if (typeof v !== "object" || v === null || Array.isArray(v)) parses = false;
        } catch {
          parses = false;
        }
        const got = await read(broken);
        if (parses) expect(got).toEqual({ value: withoutNul(JSON.parse(broken)) });
        else expect(got).toHaveProperty("error");
      }),
      { numRuns: 60 },
    );
  });

  test("NUL characters, which no database text holds, leave keys and strings, nested too, in small bodies and large", async () => {
    const events = [{ tracking_id: "a\u0000b", metadata: { "k\u0000": 1, nested: { "x\u0000y": ["v\u0000"] } } }];
    const cleaned = [{ tracking_id: "ab", metadata: { k: 1, nested: { xy: ["v"] } } }];
    expect(await read(JSON.stringify({ events }))).toEqual({ value: { events: cleaned } });
    expect(await read(JSON.stringify({ "e\u0000vents": events, pad: "x".repeat(300_000) }))).toEqual({ value: { events: cleaned, pad: "x".repeat(300_000) } });
  });

  test("an array with nothing in it, and one element of whitespace around it", async () => {
    const pad = `"pad":"${"x".repeat(300_000)}"`;
    expect(await read(`{"events":[ ],${pad}}`)).toEqual({ value: { events: [], pad: "x".repeat(300_000) } });
    expect(await read(`{"events":[ 1 ],${pad}}`)).toEqual({ value: { events: [1], pad: "x".repeat(300_000) } });
    expect(await read(`{"events":[1,],${pad}}`)).toEqual({ error: "Request body is not valid JSON" });
    expect(await read(`{"events":[,],${pad}}`)).toEqual({ error: "Request body is not valid JSON" });
  });
});
