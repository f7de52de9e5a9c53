/**
 * Edge mode's links come from another server (LOOKUP_API_URL): whatever it answers goes
 * into our Location header, so it passes the same destination rules as a link created
 * here, and ids that are path segments (`.`, `..`) are never asked for.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { createApp } from "../../../src/app";
import { testConfig } from "../../../src/config";
import { openSqliteStore } from "../../../src/db/sqlite/store";
import { silentLogger } from "../../../src/lib/log";
import { upstreamLinks } from "../../../src/modules/edge/links";
import { checkedApp } from "../../utils";

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

/** A loopback lookup server that answers every id with `original_url`, and notes what it was asked. */
function upstream(originalUrl: string) {
  const asked: string[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req) {
      asked.push(new URL(req.url).pathname);
      return Response.json({ tracking_id: "x", original_url: originalUrl, is_active: true, expires_at: null, application_id: null });
    },
  });
  stops.push(() => server.stop(true));
  return { url: `http://127.0.0.1:${server.port}/api/link-tracking/lookup`, asked };
}

function edgeApp(lookupApiUrl: string) {
  const edge = { trackingApiUrl: "http://127.0.0.1:9/api/tracking-ingest/batch", lookupApiUrl, cacheSeconds: 60 };
  const config = testConfig({ webhookApiKey: "edge-key-0123456789abcdef", edge });
  const store = openSqliteStore(":memory:");
  const links = upstreamLinks(edge, config.webhookApiKey!, silentLogger());
  const writes: unknown[] = [];
  return checkedApp(createApp({ store, config, links, clickWriter: { write: async (clicks) => void writes.push(...clicks) } }));
}

const visit = (app: ReturnType<typeof edgeApp>, path: string) => app.handle(new Request(`http://localhost${path}`, { headers: { "accept-language": "en" } }));

describe("edge: the upstream's link passes our destination rules", () => {
  test.each([
    ["CR/LF", "https://example.com/a\r\nSet-Cookie: x=1"],
    ["NUL", "https://example.com/\u0000"],
    ["U+2028", "https://example.com/\u2028x"],
  ])("%s in original_url: a 302 to the URL with it made inert, never a 500", async (_, bad) => {
    const up = upstream(bad);
    const res = await visit(edgeApp(up.url), "/linkedin?uuid=abc");
    expect(res.status).toBe(302);
    const location = res.headers.get("location")!;
    expect(location).toStartWith("https://example.com/");
    expect(location).not.toMatch(/[\r\n\u0000\u2028]/);
  });

  test.each([
    ["a space in the scheme's place", " https://example.com/"],
    ["no host", "https:////evil.example"],
    ["javascript:", "javascript:alert(1)"],
    ["a relative path", "/elsewhere"],
    ["not a string", 42 as unknown as string],
  ])("%s: the 503 page, nothing in Location", async (_, bad) => {
    const up = upstream(bad);
    const res = await visit(edgeApp(up.url), "/linkedin?uuid=abc");
    expect(res.status).toBe(503);
    expect(res.headers.get("location")).toBeNull();
    expect(res.headers.get("content-type")).toContain("text/html");
  });

  test("ids made of dots are never looked up", async () => {
    const up = upstream("https://example.com/");
    const app = edgeApp(up.url);
    for (const path of ["/track/..", "/track/.", "/linkedin?uuid=..", "/linkedin?uuid=.", "/linkedin?uuid=..."]) {
      expect((await visit(app, path)).status).toBe(404);
    }
    expect(up.asked).toEqual([]);
    expect((await visit(app, "/linkedin?uuid=a.b")).status).toBe(302);
    expect(up.asked).toEqual(["/api/link-tracking/lookup/a.b"]);
  });
});
