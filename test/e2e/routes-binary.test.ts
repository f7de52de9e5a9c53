/**
 * Every API route once against the compiled, minified binary: the bundle must behave
 * as the sources do (framework inference over minified code has bitten before).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { buildBinary, emptyFolder, startServer, type Server } from "./binary";

const KEY = "e2e-key-0123456789abcdef";
let server: Server;

beforeAll(async () => {
  buildBinary();
  server = await startServer(emptyFolder(), { WEBHOOK_API_KEY: KEY });
}, 60_000);
afterAll(() => server?.proc.kill("SIGKILL"));

const api = async (method: string, path: string, body?: unknown, key: string | null = KEY) => {
  const headers: Record<string, string> = {};
  if (key) headers["x-api-key"] = key;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${server.base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), redirect: "manual" });
  const text = await res.text();
  return { status: res.status, body: text.startsWith("{") ? JSON.parse(text) : text, type: res.headers.get("content-type") };
};

test("each route answers as in-process, with and without a key", async () => {
  const link = { original_url: "https://calendly.com/steve", link_function: "Calendly", tracking_id: "cal-1" };
  const cases: [string, string, unknown, number][] = [
    ["GET", "/api/tracking-ingest/health", undefined, 200],
    ["POST", "/api/tracking-ingest/test", undefined, 200],
    ["POST", "/api/tracking-ingest/batch", { events: [{ tracking_id: "cal-1", event_id: "e1" }] }, 200],
    ["POST", "/api/tracking-ingest/batch", { events: [] }, 400],
    ["POST", "/api/link-tracking/links", link, 201],
    ["POST", "/api/link-tracking/links", link, 409],
    ["POST", "/api/link-tracking/links", { ...link, original_url: "javascript:x" }, 400],
    ["POST", "/api/link-tracking/links/bulk", { links: [{ ...link, tracking_id: "cal-2" }] }, 201],
    ["GET", "/api/link-tracking/links?limit=1", undefined, 200],
    ["GET", "/api/link-tracking/links/cal-1", undefined, 200],
    ["PATCH", "/api/link-tracking/links/cal-2", { is_active: false }, 200],
    ["PATCH", "/api/link-tracking/links/cal-2", { colour: "red" }, 400],
    ["GET", "/api/link-tracking/lookup/cal-2", undefined, 200],
    ["GET", "/api/link-tracking/lookup?uuid=cal-1", undefined, 200],
    ["GET", "/api/link-tracking/lookup/none", undefined, 404],
    ["POST", "/api/link-tracking/record-click", { tracking_id: "cal-1", event_id: "rc1" }, 201],
    ["POST", "/api/link-tracking/record-click", {}, 400],
    ["DELETE", "/api/link-tracking/links/cal-2", undefined, 200],
    // Answered by the analytics worker thread, whose entry must be inside the binary.
    ["GET", "/api/link-tracking/analytics/cal-1", undefined, 200],
    ["GET", "/api/link-tracking/analytics/cal-2", undefined, 404],
    ["GET", "/api/link-tracking/clicks.csv?tracking_id=cal-1", undefined, 200],
    ["GET", "/calendly?uuid=cal-1", undefined, 302],
    ["GET", "/track/cal-1", undefined, 302],
    ["GET", "/calendly?uuid=cal-2", undefined, 404],
    ["GET", "/robots.txt", undefined, 200],
    ["GET", "/swagger", undefined, 200],
    ["GET", "/swagger/json", undefined, 200],
    ["GET", "/api/unknown", undefined, 404],
  ];
  for (const [method, path, body, status] of cases) {
    const res = await api(method, path, body);
    expect(`${method} ${path} ${res.status}`).toBe(`${method} ${path} ${status}`);
    if (path.startsWith("/api/") && !path.includes(".csv")) expect(res.type).toContain("application/json");
    if (path.startsWith("/api/") && path !== "/api/tracking-ingest/health" && path !== "/api/unknown") {
      const anonymous = await api(method, path, body, null);
      expect(`${method} ${path} without key ${anonymous.status}`).toBe(`${method} ${path} without key 401`);
    }
  }
  // The checkpointer worker was found inside the binary and is running.
  expect(server.output()).not.toContain("checkpoints stopped");
  expect(server.output()).not.toContain('"level":"error"');
}, 30_000);
