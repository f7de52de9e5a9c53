/**
 * Destination checks as the job seeker meets them: "check now" on a link, down after two
 * failures in a row and up at the first success, each change an event (webhooks, the
 * feed), the links that lead nowhere listed; and the background pass, which asks each
 * active link once per interval, one request per host at a time, never a private address
 * without DESTINATION_CHECK_ALLOW_PRIVATE.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { createKey } from "../../../src/modules/auth/service";
import { startDestinationChecks } from "../../../src/modules/links/checks";
import { silentLogger } from "../../../src/lib/log";
import { eventText } from "../../../src/modules/mcp/words";
import { call, setup } from "../../utils";

const LINKS = "/api/link-tracking/links";
const APP = "550e8400-e29b-41d4-a716-446655440007";

/** A loopback destination whose pages a test breaks and mends; every request noted, and how many were in flight at once. */
const answers = new Map<string, number>();
const seen: string[] = [];
let inFlight = 0;
let mostInFlight = 0;
const hostsInFlight = new Map<string, number>();
const mostByHost = new Map<string, number>();
async function answer(req: Request) {
  const { pathname, host } = new URL(req.url);
  seen.push(`${req.method} ${pathname}`);
  inFlight++;
  hostsInFlight.set(host, (hostsInFlight.get(host) ?? 0) + 1);
  mostInFlight = Math.max(mostInFlight, inFlight);
  mostByHost.set(host, Math.max(mostByHost.get(host) ?? 0, hostsInFlight.get(host)!));
  await Bun.sleep(30);
  inFlight--;
  hostsInFlight.set(host, hostsInFlight.get(host)! - 1);
  return new Response(null, { status: answers.get(pathname) ?? 200 });
}
const site = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: answer });
// A second host: another loopback address.
const other = Bun.serve({ port: 0, hostname: "127.0.0.2", fetch: answer });
afterAll(() => {
  site.stop(true);
  other.stop(true);
});
const at = (path: string) => `http://127.0.0.1:${site.port}${path}`;

async function linkTo(app: ReturnType<typeof setup>["app"], path: string, extra: Record<string, unknown> = {}) {
  const res = await call(app, LINKS, { json: { original_url: at(path), link_function: "Portfolio", link_type: "website", application_id: APP, ...extra } });
  expect(res.status).toBe(201);
  return res.body.tracking_id as string;
}

const check = (app: ReturnType<typeof setup>["app"], id: string, key?: string) => call(app, `${LINKS}/${id}/check`, { method: "POST", ...(key ? { key } : {}) });

describe("checking a link's destination on demand", () => {
  test("a dead page: failed once, then down (an event), listed with its application; mended: up (an event)", async () => {
    const { app } = setup({ destinationCheckAllowPrivate: true, signalHoldSeconds: 0 });
    await call(app, `/api/link-tracking/applications/${APP}`, { method: "PUT", json: { company: "Acme", role: "Engineer" } });
    answers.set("/portfolio", 404);
    const id = await linkTo(app, "/portfolio");
    expect((await call(app, `${LINKS}/${id}`)).body.destination).toBeNull();

    const once = await check(app, id);
    expect(once.status).toBe(200);
    expect(once.body.destination).toEqual({ ok: false, down: false, status: 404, error: "404 Not Found", checked_at: expect.stringMatching(/Z$/), down_since: null });
    expect((await call(app, "/api/link-tracking/destinations/down")).body.links).toEqual([]);

    const twice = await check(app, id);
    expect(twice.body.destination).toMatchObject({ ok: false, down: true, status: 404, down_since: twice.body.destination.checked_at });
    expect((await call(app, `${LINKS}/${id}`)).body.destination).toEqual(twice.body.destination);
    const down = await call(app, "/api/link-tracking/destinations/down");
    expect(down.body.links).toEqual([expect.objectContaining({ tracking_id: id, application_label: "Acme — Engineer", destination: twice.body.destination })]);
    // The application's page and the list of links say it too.
    const rollup = await call(app, `/api/link-tracking/analytics/applications/${APP}`);
    expect(rollup.body.links[0].destination).toEqual(twice.body.destination);
    expect((await call(app, `${LINKS}?application_id=${APP}`)).body.links[0].destination).toEqual(twice.body.destination);
    // A third failure is no new event.
    await check(app, id);

    answers.set("/portfolio", 200);
    const mended = await check(app, id);
    expect(mended.body.destination).toMatchObject({ ok: true, down: false, status: 200, error: null, down_since: null });
    expect((await call(app, "/api/link-tracking/destinations/down")).body.links).toEqual([]);

    const feed = await call(app, "/api/link-tracking/events");
    const changes = feed.body.events.filter((e: { type: string }) => e.type.startsWith("link.destination"));
    expect(changes.map((e: { type: string }) => e.type)).toEqual(["link.destination_down", "link.destination_up"]);
    expect(changes[0].data).toMatchObject({
      link: { tracking_id: id, link_function: "Portfolio", original_url: at("/portfolio") },
      application_id: APP,
      application: { label: "Acme — Engineer", company: "Acme" },
      destination: { ok: false, down: true, status: 404, error: "404 Not Found" },
    });
    // As an assistant's whats_new tells it.
    const now = Date.parse(changes[1].data.destination.checked_at);
    expect(eventText(changes[0], Date.parse(changes[0].data.destination.checked_at))).toBe(`${changes[0].data.destination.checked_at} (0 s ago): Acme — Engineer: the Portfolio link leads nowhere (${at("/portfolio")} answered 404 Not Found, twice in a row); a recruiter would find an error page.`);
    expect(eventText(changes[1], now)).toBe(`${changes[1].data.destination.checked_at} (0 s ago): Acme — Engineer: the Portfolio link works again (${at("/portfolio")} answers).`);
  });

  test("a new destination forgets the old one's checks", async () => {
    const { app } = setup({ destinationCheckAllowPrivate: true });
    answers.set("/moved-away", 410);
    const id = await linkTo(app, "/moved-away");
    await check(app, id);
    await check(app, id);
    const patched = await call(app, `${LINKS}/${id}`, { method: "PATCH", json: { original_url: at("/new-home") } });
    expect(patched.body.destination).toBeNull();
    expect((await check(app, id)).body.destination).toMatchObject({ ok: true, down: false });
  });

  test("a private address is refused without DESTINATION_CHECK_ALLOW_PRIVATE: nothing reaches it", async () => {
    const { app } = setup();
    const id = await linkTo(app, "/private-check");
    seen.length = 0;
    const res = await check(app, id);
    expect(res.status).toBe(200);
    expect(res.body.destination).toMatchObject({ ok: false, status: null, error: expect.stringContaining("DESTINATION_CHECK_ALLOW_PRIVATE") });
    expect(seen).toEqual([]);
  });

  test("bad requests: an unknown link is a 404, an overlong id a 400, a read key a 403; all in the documented shape", async () => {
    const { app, store } = setup({ destinationCheckAllowPrivate: true });
    const unknown = await check(app, "no-such-link");
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: "Link not found or expired", tracking_id: "no-such-link", timestamp: expect.stringMatching(/Z$/) });
    const long = await check(app, "x".repeat(101));
    expect(long.status).toBe(400);
    expect(long.body).toMatchObject({ error: "tracking_id exceeds 100 characters" });
    const key = await createKey(store, "viewer", "read");
    const id = await linkTo(app, "/fine");
    expect((await check(app, id, key)).status).toBe(403);
    expect((await call(app, "/api/link-tracking/destinations/down", { key })).status).toBe(200);
  });
});

describe("the background checks", () => {
  test("a pass asks every active link once, a share of it each tick (spread over the interval), never an inactive one", async () => {
    const { app, store } = setup();
    for (let i = 0; i < 4; i++) await linkTo(app, `/spread-${i}`);
    const inactive = await linkTo(app, "/spread-inactive");
    await call(app, `${LINKS}/${inactive}`, { method: "PATCH", json: { is_active: false } });
    seen.length = 0;
    // 4 links in 4 seconds: about one a second.
    const pass = startDestinationChecks(store, silentLogger(), { everySeconds: 4, allowPrivate: true });
    pass.stop();
    const counts: number[] = [];
    for (let t = 0; t < 5; t++) {
      if (t > 0) await Bun.sleep(1000);
      await pass.tick();
      counts.push(seen.length);
    }
    expect(counts).toEqual([1, 2, 3, 4, 4]);
    expect(new Set(seen).size).toBe(4);
    expect(seen.some((s) => s.includes("inactive"))).toBe(false);
  }, 20_000);

  test("each host one request at a time, two hosts at once; a failure is looked at again soon, and the second makes it down", async () => {
    const { app, store } = setup({ signalHoldSeconds: 0 });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(await linkTo(app, `/host-a-${i}`), await linkTo(app, `/host-b-${i}`, { original_url: `http://127.0.0.2:${other.port}/host-b-${i}` }));
    const pass = startDestinationChecks(store, silentLogger(), { everySeconds: 1, allowPrivate: true });
    pass.stop();
    seen.length = 0;
    await pass.tick();
    // One of those the first tick left fails.
    const b = [0, 1, 2, 3].find((i) => !seen.includes(`HEAD /host-b-${i}`))!;
    answers.set(`/host-b-${b}`, 503);
    hostsInFlight.clear();
    mostByHost.clear();
    mostInFlight = 0;
    await Bun.sleep(1100);
    // The other 7 at once.
    await pass.tick();
    expect([...mostByHost.values()]).toEqual([1, 1]);
    expect(mostInFlight).toBe(2);
    const failed = ids[2 * b + 1]!;
    expect((await store.destinations.of([failed])).get(failed)).toMatchObject({ ok: false, down: false, failures: 1 });
    await Bun.sleep(1100);
    await pass.tick();
    expect((await store.destinations.of([failed])).get(failed)).toMatchObject({ ok: false, down: true, failures: 2, status: 503 });
    const events = (await call(app, "/api/link-tracking/events")).body.events;
    expect(events.map((e: { type: string; data: { link: { tracking_id: string } } }) => [e.type, e.data.link.tracking_id])).toEqual([["link.destination_down", failed]]);
  }, 20_000);
});
