/**
 * The binary's background destination checks, as an operator runs them: a dead page is
 * found without anyone asking and told to a webhook; a server without
 * DESTINATION_CHECK_ALLOW_PRIVATE sends nothing to a loopback destination; two instances
 * on one PostgreSQL database share one pass instead of checking everything twice.
 * Every destination and receiver is on loopback.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { realPostgres } from "../postgres-utils";
import { buildBinary, emptyFolder, startServer, stop, type Server } from "./binary";

const KEY = "dest-key-0123456789abcdef";
const running: Server[] = [];
const pg = await realPostgres();

/** The destinations: /dead-* answer 404, anything else 200; every request counted by path. */
const asked = new Map<string, number>();
const site = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch(req) {
    const { pathname } = new URL(req.url);
    asked.set(pathname, (asked.get(pathname) ?? 0) + 1);
    return new Response(null, { status: pathname.startsWith("/dead") ? 404 : 200 });
  },
});
const delivered: { type: string; data: { link: { tracking_id: string } } }[] = [];
const receiver = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch(req) {
    delivered.push((await req.json()) as (typeof delivered)[number]);
    return new Response("ok");
  },
});

beforeAll(() => buildBinary(), 60_000);
afterAll(async () => {
  for (const s of running) if (s.proc.exitCode === null) await stop(s);
  site.stop(true);
  receiver.stop(true);
  if (pg.url) await pg.dropAll();
});

const post = (server: Server, path: string, json: unknown) =>
  fetch(`${server.base}${path}`, { method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" }, body: JSON.stringify(json) });

async function links(server: Server, paths: string[]) {
  const res = await post(server, "/api/link-tracking/links/bulk", { links: paths.map((p) => ({ link_function: "Portfolio", original_url: `http://127.0.0.1:${site.port}${p}` })) });
  expect(res.status).toBe(201);
  return ((await res.json()) as { links: { tracking_id: string }[] }).links.map((l) => l.tracking_id);
}

async function until(done: () => boolean, ms: number) {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await Bun.sleep(100);
  return done();
}

test("a dead page is found in the background, down at the second failure, and told to a webhook", async () => {
  const server = await startServer(emptyFolder(), {
    WEBHOOK_API_KEY: KEY, DESTINATION_CHECK_SECONDS: "2", DESTINATION_CHECK_ALLOW_PRIVATE: "true", WEBHOOK_ALLOW_PRIVATE: "true", SIGNAL_HOLD_SECONDS: "0",
  });
  running.push(server);
  expect((await post(server, "/api/link-tracking/webhooks", { url: `http://127.0.0.1:${receiver.port}/hook`, event_types: ["link.destination_down"] })).status).toBe(201);
  const [dead] = await links(server, ["/dead-portfolio", "/fine-calendly"]);
  expect(await until(() => delivered.some((e) => e.data.link.tracking_id === dead), 15_000)).toBe(true);
  expect(delivered.find((e) => e.data.link.tracking_id === dead)).toMatchObject({ type: "link.destination_down", data: { destination: { down: true, status: 404 } } });
  const down = (await (await fetch(`${server.base}/api/link-tracking/destinations/down`, { headers: { "x-api-key": KEY } })).json()) as { links: { tracking_id: string }[] };
  expect(down.links.map((l) => l.tracking_id)).toEqual([dead]);
  expect(await stop(server)).toBe(0);
}, 30_000);

test("without DESTINATION_CHECK_ALLOW_PRIVATE a loopback destination is never asked", async () => {
  const server = await startServer(emptyFolder(), { WEBHOOK_API_KEY: KEY, DESTINATION_CHECK_SECONDS: "1" });
  running.push(server);
  const [id] = await links(server, ["/never-asked"]);
  await Bun.sleep(3000);
  expect(asked.get("/never-asked")).toBeUndefined();
  const link = (await (await fetch(`${server.base}/api/link-tracking/links/${id}`, { headers: { "x-api-key": KEY } })).json()) as { destination: { ok: boolean; error: string } | null };
  expect(link.destination).toMatchObject({ ok: false, error: expect.stringContaining("DESTINATION_CHECK_ALLOW_PRIVATE") });
  expect(await stop(server)).toBe(0);
}, 30_000);

describe.skipIf(!pg.url)(`two instances on one PostgreSQL database${pg.url ? "" : ` (skipped: ${pg.reason})`}`, () => {
  test("share one pass: each link is asked about once per interval, not once per instance", async () => {
    const url = await pg.freshDatabase();
    const env = { WEBHOOK_API_KEY: KEY, DATABASE_URL: url, DESTINATION_CHECK_SECONDS: "4", DESTINATION_CHECK_ALLOW_PRIVATE: "true" };
    const a = await startServer(emptyFolder(), env);
    running.push(a);
    const paths = ["/shared-1", "/shared-2", "/shared-3", "/shared-4"];
    await links(a, paths);
    const b = await startServer(emptyFolder(), env);
    running.push(b);
    // Two passes' time: about 2 checks a link (4 with each instance on its own).
    await Bun.sleep(8500);
    const counts = paths.map((p) => asked.get(p) ?? 0);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(1);
    expect(counts.reduce((n, c) => n + c, 0)).toBeLessThanOrEqual(12);
    expect(Math.max(...counts)).toBeLessThanOrEqual(3);
    expect(await stop(a)).toBe(0);
    expect(await stop(b)).toBe(0);
  }, 40_000);
});
