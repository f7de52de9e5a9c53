import { afterAll, describe, expect, test } from "bun:test";
import { afterCheck, checkDestination, CHECK_USER_AGENT } from "../../../src/modules/links/destination";

/** A loopback destination: each path answers as a moved or dead page would; every request noted. */
const seen: { method: string; path: string; range: string | null; agent: string | null }[] = [];
const site: ReturnType<typeof Bun.serve> = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch(req): Promise<Response> {
    const { pathname } = new URL(req.url);
    seen.push({ method: req.method, path: pathname, range: req.headers.get("range"), agent: req.headers.get("user-agent") });
    if (pathname === "/ok") return new Response("fine");
    if (pathname === "/gone") return new Response("no", { status: 404 });
    if (pathname === "/broken") return new Response("no", { status: 500 });
    if (pathname === "/private") return new Response("no", { status: 403 });
    if (pathname === "/no-head") return req.method === "HEAD" ? new Response(null, { status: 405 }) : new Response("x".repeat(100_000));
    if (pathname === "/moved") return Response.redirect(`http://127.0.0.1:${site.port}/moved-again`, 301);
    if (pathname === "/moved-again") return new Response(null, { status: 302, headers: { location: "/ok" } });
    if (pathname === "/loop") return new Response(null, { status: 302, headers: { location: "/loop" } });
    if (pathname === "/slow") return Bun.sleep(2000).then(() => new Response("late"));
    if (pathname === "/slow-body")
      return new Response(new ReadableStream({ async pull(c) { await Bun.sleep(2000); c.enqueue(new TextEncoder().encode("x")); } }));
    return new Response("?", { status: 404 });
  },
});
const url = (path: string) => `http://127.0.0.1:${site.port}${path}`;
// A port nothing listens on: one taken and let go.
const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
const closedPort = closed.port;
closed.stop(true);

afterAll(() => site.stop(true));

const allowed = { allowPrivate: true, timeoutMs: 500 };

describe("a destination check", () => {
  test.each([
    ["200", "/ok", true, 200, null],
    ["404", "/gone", false, 404, "404 Not Found"],
    ["500", "/broken", false, 500, "500 Internal Server Error"],
    ["403 (there, not for us)", "/private", true, 403, null],
    ["HEAD refused, a ranged GET", "/no-head", true, 200, null],
    ["two redirects to a 200", "/moved", true, 200, null],
    ["a redirect loop", "/loop", false, null, "more than 5 redirects"],
    ["headers that never come", "/slow", false, null, "timed out after 0.5 s"],
  ])("%s", async (_name, path, ok, status, error) => {
    expect(await checkDestination(url(path), allowed)).toMatchObject({ ok, status, error });
  });

  test("a slow body is never read: the headers decide", async () => {
    expect(await checkDestination(url("/slow-body"), allowed)).toMatchObject({ ok: true, status: 200 });
  });

  test("a refused connection", async () => {
    expect(await checkDestination(`http://127.0.0.1:${closedPort}/`, allowed)).toMatchObject({ ok: false, status: null, error: "connection refused" });
  });

  test("HEAD first, a GET of one byte only where HEAD is refused, with an agent naming link-tracker", async () => {
    seen.length = 0;
    await checkDestination(url("/no-head"), allowed);
    expect(seen.map((s) => [s.method, s.range])).toEqual([["HEAD", null], ["GET", "bytes=0-0"]]);
    expect(seen[0]!.agent).toBe(CHECK_USER_AGENT);
    expect(CHECK_USER_AGENT).toContain("link-tracker/");
  });

  test("never sent to a private address without DESTINATION_CHECK_ALLOW_PRIVATE: the receiver gets nothing", async () => {
    seen.length = 0;
    for (const target of [url("/ok"), `http://localhost:${site.port}/ok`]) {
      const check = await checkDestination(target, { allowPrivate: false, timeoutMs: 500 });
      expect(check.ok).toBe(false);
      expect(check.error).toContain("DESTINATION_CHECK_ALLOW_PRIVATE");
    }
    expect(seen).toEqual([]);
  });
});

describe("down and up", () => {
  const failed = { ok: false, status: 404, error: "404 Not Found", checked_at: "" };
  const passed = { ok: true, status: 200, error: null, checked_at: "" };
  test("two failures in a row mark it down; the first success up again", () => {
    let state = { failures: 0, down: false };
    const steps = [failed, failed, failed, passed, failed, passed].map((check) => {
      const next = afterCheck(state, check);
      state = { failures: next.failures, down: next.down };
      return [next.down, next.changed];
    });
    expect(steps).toEqual([
      [false, null],
      [true, "down"],
      [true, null],
      [false, "up"],
      [false, null],
      [false, null],
    ]);
  });
});
