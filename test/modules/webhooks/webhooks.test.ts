import { afterEach, describe, expect, test } from "bun:test";
import { createHmac, timingSafeEqual } from "node:crypto";
import { silentLogger } from "../../../src/lib/log";
import { startDelivery } from "../../../src/modules/webhooks/service";
import { call, setup, sqliteOf } from "../../utils";

const APP = "dddddddd-dddd-4ddd-8ddd-dddddddddddd";
const BROWSER = { "user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "accept-language": "en" };

type Received = { id: string; timestamp: string; signature: string; body: string; payload: any; answered: number };

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

/** A receiver on loopback: answers with `answer(n)` for the n-th request, keeps everything it got. */
function receiver(answer: (n: number) => Response | Promise<Response> = () => new Response("ok")) {
  const got: Received[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const body = await req.text();
      const entry: Received = {
        id: req.headers.get("webhook-id") ?? "",
        timestamp: req.headers.get("webhook-timestamp") ?? "",
        signature: req.headers.get("webhook-signature") ?? "",
        body,
        payload: JSON.parse(body),
        answered: 0,
      };
      got.push(entry);
      const res = await answer(got.length);
      entry.answered = res.status;
      return res;
    },
  });
  stops.push(() => server.stop(true));
  return { url: `http://127.0.0.1:${server.port}/hooks`, got };
}

/** The README's receiver check: Standard Webhooks, v1 HMAC-SHA256 over "id.timestamp.body". */
function verify(secret: string, r: Received): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(`${r.id}.${r.timestamp}.${r.body}`).digest("base64");
  return r.signature.split(" ").some((s) => {
    const [version, sig] = s.split(",");
    return version === "v1" && sig.length === expected.length && timingSafeEqual(Buffer.from(sig), Buffer.from(expected));
  });
}

async function world(options: { hold?: number; deliverPrivate?: boolean } = {}) {
  const ctx = setup({ trustProxy: true, signalHoldSeconds: options.hold ?? 0, webhookAllowPrivate: true });
  const links = ["LinkedIn", "Portfolio", "Calendly"].map((f) => ({ original_url: `https://example.com/${f}`, link_function: f, application_id: APP, tracking_id: `sig-${f}` }));
  expect((await call(ctx.app, "/api/link-tracking/links/bulk", { json: { links } })).status).toBe(201);
  const hit = (id: string, ip: string, headers: Record<string, string> = BROWSER) =>
    ctx.app.handle(new Request(`http://localhost/x?uuid=${id}`, { headers: { ...headers, "x-forwarded-for": ip } }));
  const delivery = startDelivery(ctx.store, silentLogger(), { everyMs: 60_000, timeoutMs: 300, baseDelayMs: 5, maxDelayMs: 20, allowPrivate: options.deliverPrivate ?? true });
  stops.push(delivery.stop);
  const deliverUntil = async (check: () => boolean, rounds = 50) => {
    for (let i = 0; i < rounds && !check(); i++) {
      await delivery.tick();
      await Bun.sleep(25);
    }
  };
  const events = async (after = "0") => (await call(ctx.app, `/api/link-tracking/events?after=${after}`)).body;
  return { ...ctx, hit, deliverUntil, events };
}

describe("signals", () => {
  test("a bot, a scanner burst, then a human: exactly one click.first_human per link and per application, for the human", async () => {
    const w = await world({ hold: 1 });
    await w.hit("sig-LinkedIn", "198.51.100.1", { "user-agent": "Googlebot/2.1" });
    for (const f of ["LinkedIn", "Portfolio", "Calendly"]) await w.hit(`sig-${f}`, "203.0.113.50"); // a gateway pre-clicking the mail
    await Bun.sleep(10);
    await w.hit("sig-LinkedIn", "198.51.100.77"); // the recruiter
    await Bun.sleep(1100); // the hold
    const { events } = await w.events();
    expect(events.map((e: any) => [e.type, e.data.scope, e.data.link.tracking_id])).toEqual([
      ["click.first_human", "link", "sig-LinkedIn"],
      ["click.first_human", "application", "sig-LinkedIn"],
    ]);
    expect(events[0].data).toMatchObject({ application_id: APP, click: { visitor_kind: "human", click_source: "x" } });
    expect(JSON.stringify(events)).not.toContain("198.51.100.77"); // no IP in an event
  });

  test("click.returned when a human comes back after more than N days", async () => {
    const w = await world();
    const old = new Date(Date.now() - 10 * 86_400_000).toISOString();
    // A click stored before this server ran (no signal of its own).
    sqliteOf(w.store).run(
      "insert into link_clicks (click_id, tracking_id, clicked_at, received_at, metadata, origin, visitor_kind) values (?, 'sig-Portfolio', ?, ?, '{}', 'redirect', 'human')",
      [crypto.randomUUID(), old, old],
    );
    await w.hit("sig-LinkedIn", "198.51.100.2");
    const { events } = await w.events();
    expect(events.map((e: any) => e.type)).toEqual(["click.first_human", "click.returned"]);
    expect(events[1].data).toMatchObject({ previous_human_click: old, days_since_previous: 10 });
  });

  test("history ingested out of order: the same signals as in time order, and a late click does not hide a later one", async () => {
    const DAY = 86_400_000;
    const base = Date.now() - 60 * DAY;
    const at = (day: number) => new Date(base + day * DAY).toISOString();
    // Days of the recruiter's clicks on the application's links: a return after 12 days (> 7), the rest close together.
    const days = [0, 1, 2, 14, 15, 16, 30, 31];
    const events = days.map((d, i) => ({ event_id: `h-${i}`, tracking_id: ["sig-LinkedIn", "sig-Portfolio"][i % 2], clicked_at: at(d), session_id: `s-${i}`, user_agent: BROWSER["user-agent"] }));
    const signalsOf = async (batches: (typeof events)[]): Promise<string[]> => {
      const w = await world();
      for (const batch of batches) expect((await call(w.app, "/api/tracking-ingest/batch", { json: { events: batch } })).status).toBe(200);
      return (await w.events()).events.map((e: any) => `${e.type} ${e.data.scope ?? ""} ${e.data.click.clicked_at} ${e.data.previous_human_click ?? ""}`);
    };
    const inOrder = await signalsOf([events]);
    expect(inOrder).toEqual([
      `click.first_human link ${at(0)} `,
      `click.first_human application ${at(0)} `,
      `click.first_human link ${at(1)} `,
      `click.returned  ${at(14)} ${at(2)}`,
      `click.returned  ${at(30)} ${at(16)}`,
    ]);
    const shuffled = [events[5]!, events[0]!, events[7]!, events[2]!, events[6]!, events[1]!, events[4]!, events[3]!];
    expect(await signalsOf([shuffled])).toEqual(inOrder);
    // The latest clicks first, then the older ones: nothing returned among the old ones but the gap they close.
    const lateFirst = await signalsOf([events.slice(6), events.slice(0, 6)]);
    expect(lateFirst.filter((e) => e.startsWith("click.returned"))).toEqual([`click.returned  ${at(14)} ${at(2)}`]);
    // Clicks stored, then an older one, then a newer one: the newer one's previous is the latest stored, not the late one.
    const gap = await signalsOf([[events[0]!, events[6]!], [events[3]!], [events[7]!]]);
    expect(gap).toContain(`click.returned  ${at(30)} ${at(0)}`);
    expect(gap).toContain(`click.returned  ${at(14)} ${at(0)}`);
    expect(gap.filter((e) => e.includes(` ${at(31)} `))).toEqual([]);
    // Stored before this server ran (nothing remembered of them), then a batch of one older and one newer click.
    const w = await world();
    for (const d of [0, 30])
      sqliteOf(w.store).run(
        "insert into link_clicks (click_id, tracking_id, clicked_at, received_at, metadata, origin, visitor_kind) values (?, 'sig-Calendly', ?, ?, '{}', 'redirect', 'human')",
        [crypto.randomUUID(), at(d), at(d)],
      );
    expect((await call(w.app, "/api/tracking-ingest/batch", { json: { events: [events[7]!, events[3]!] } })).status).toBe(200);
    const returned = (await w.events()).events.filter((e: any) => e.type === "click.returned").map((e: any) => [e.data.click.clicked_at, e.data.previous_human_click]);
    expect(returned).toEqual([[at(14), at(0)]]);
  });

  test("link.orphan_hit for an id that looks like one of ours cut short", async () => {
    const w = await world();
    await w.hit("sig-Linked", "198.51.100.3");
    await w.hit("zzzzzzzzzz", "198.51.100.3");
    const { events } = await w.events();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: "link.orphan_hit", data: { orphan_id: "sig-Linked", probably: "sig-LinkedIn" } });
  });

  test("an orphan hit names the link it probably meant as it is when sent, in the feed and in a delivery", async () => {
    const w = await world();
    const hook = receiver();
    expect((await call(w.app, "/api/link-tracking/webhooks", { json: { url: hook.url, event_types: ["link.orphan_hit"] } })).status).toBe(201);
    await w.hit("sig-Linked", "198.51.100.3");
    // Named after the hit: the name reaches the receiver all the same.
    expect((await call(w.app, `/api/link-tracking/applications/${APP}`, { method: "PUT", json: { company: "Acme", role: "SRE" } })).status).toBe(200);
    const meant = { tracking_id: "sig-LinkedIn", link_function: "LinkedIn", redirect_url: "http://localhost:5001/linkedin?uuid=sig-LinkedIn", application_id: APP, application_label: "Acme — SRE" };
    expect((await w.events()).events[0].data.probably_link).toEqual(meant);
    await w.deliverUntil(() => hook.got.length > 0);
    expect(hook.got[0].payload.data.probably_link).toEqual(meant);
    // Once the link is deleted, the event still says which id it was, and that the link is gone.
    expect((await call(w.app, "/api/link-tracking/links/sig-LinkedIn", { method: "DELETE" })).status).toBe(200);
    expect((await w.events()).events[0].data).toMatchObject({ probably: "sig-LinkedIn", probably_link: null });
  });

  test("the feed pages with a cursor and waits for the hold", async () => {
    const w = await world({ hold: 60 });
    await w.hit("sig-LinkedIn", "198.51.100.4");
    expect((await w.events()).events).toEqual([]); // held
    const fresh = await world();
    await fresh.hit("sig-LinkedIn", "198.51.100.4");
    await fresh.hit("sig-Portfolio", "198.51.100.5");
    const first = await call(fresh.app, "/api/link-tracking/events?limit=2");
    expect(first.body.events).toHaveLength(2);
    const rest = await fresh.events(first.body.next_cursor);
    expect(rest.events.map((e: any) => e.data.link.tracking_id)).toEqual(["sig-Portfolio"]);
    expect((await fresh.events(rest.next_cursor)).events).toEqual([]);
    expect((await call(fresh.app, "/api/link-tracking/events?after=x")).status).toBe(400);
  });
});

describe("webhooks", () => {
  test("signed deliveries, in order per link, each event once across a receiver that answers 500 twice", async () => {
    const w = await world();
    const r = receiver((n) => (n <= 2 ? new Response("down", { status: 500 }) : new Response("ok")));
    const created = await call(w.app, "/api/link-tracking/webhooks", { json: { url: r.url } });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_/);
    expect(created.body.event_types).toEqual(["click.first_human", "click.returned", "click.assistant", "link.orphan_hit", "link.destination_down", "link.destination_up"]);
    expect(JSON.stringify((await call(w.app, "/api/link-tracking/webhooks")).body)).not.toContain(created.body.secret);

    await w.hit("sig-LinkedIn", "198.51.100.10");
    await w.hit("sig-Portfolio", "198.51.100.11");
    const acknowledged = () => r.got.filter((g) => g.answered === 200);
    await w.deliverUntil(() => acknowledged().length === 3);
    await Bun.sleep(30);
    // Two answers of 500, then each of the three events acknowledged exactly once.
    expect(r.got.filter((g) => g.answered === 500)).toHaveLength(2);
    const delivered = acknowledged().map((g) => g.id);
    expect(new Set(delivered).size).toBe(3);
    for (const id of new Set(r.got.map((g) => g.id))) expect(acknowledged().filter((g) => g.id === id)).toHaveLength(1);
    for (const g of r.got) expect(verify(created.body.secret, g)).toBe(true);
    expect(verify("whsec_" + Buffer.from("wrong").toString("base64"), r.got[0])).toBe(false);
    // Order per link: the LinkedIn link's first_human (link) before its application one.
    const linkedIn = acknowledged()
      .map((g) => g.payload)
      .filter((p) => p.data.link.tracking_id === "sig-LinkedIn")
      .map((p) => p.data.scope);
    expect(linkedIn).toEqual(["link", "application"]);

    const log = (await call(w.app, `/api/link-tracking/webhooks/${created.body.id}/deliveries`)).body;
    expect(log).toHaveLength(3);
    expect(log.every((d: any) => d.status === "delivered" && d.last_status_code === 200 && d.next_attempt_at === null)).toBe(true);
    expect(log.reduce((n: number, d: any) => n + d.attempts, 0)).toBe(5);
    const first = log.at(-1);

    // A manual redeliver sends it once more.
    await call(w.app, `/api/link-tracking/webhooks/${created.body.id}/deliveries/${first.delivery_id}/redeliver`, { method: "POST" });
    const before = r.got.length;
    await w.deliverUntil(() => r.got.length > before);
    expect(r.got.at(-1)!.id).toBe(first.event_id);
  });

  test("a receiver that hangs: the attempt times out and is retried, the redirect never waits", async () => {
    const w = await world();
    const r = receiver(async (n) => {
      if (n === 1) await Bun.sleep(3000);
      return new Response("ok");
    });
    await call(w.app, "/api/link-tracking/webhooks", { json: { url: r.url, event_types: ["click.first_human"] } });
    const t = performance.now();
    expect((await w.hit("sig-Calendly", "198.51.100.20")).status).toBe(302);
    expect(performance.now() - t).toBeLessThan(200);
    await w.deliverUntil(() => r.got.length >= 3);
    const log = (await call(w.app, `/api/link-tracking/webhooks/${(await call(w.app, "/api/link-tracking/webhooks")).body[0].id}/deliveries`)).body;
    expect(log.map((d: any) => d.status).sort()).toEqual(["delivered", "delivered"]);
    expect(log.some((d: any) => d.attempts === 2)).toBe(true);
  });

  test("bad input and unknown endpoints", async () => {
    const w = await world();
    for (const body of [{ url: "ftp://x" }, { url: "https://x.example", event_types: ["click.everything"] }, {}]) {
      const res = await call(w.app, "/api/link-tracking/webhooks", { json: body });
      expect(res.status).toBe(400);
      expect(typeof res.body.error).toBe("string");
    }
    expect((await call(w.app, "/api/link-tracking/webhooks/wh_nope/deliveries")).status).toBe(404);
    expect((await call(w.app, "/api/link-tracking/webhooks/wh_nope", { method: "PATCH", json: { active: false } })).status).toBe(404);
    expect((await call(w.app, "/api/link-tracking/webhooks/wh_nope", { method: "DELETE" })).status).toBe(404);
  });

  test("an inactive endpoint receives nothing", async () => {
    const w = await world();
    const r = receiver();
    const { body } = await call(w.app, "/api/link-tracking/webhooks", { json: { url: r.url } });
    await call(w.app, `/api/link-tracking/webhooks/${body.id}`, { method: "PATCH", json: { active: false } });
    await w.hit("sig-LinkedIn", "198.51.100.30");
    await w.deliverUntil(() => false, 5);
    expect(r.got).toHaveLength(0);
  });
});

describe("webhook targets on private addresses", () => {
  test("a loopback, private, link-local or unique-local URL is refused (400) unless WEBHOOK_ALLOW_PRIVATE", async () => {
    const ctx = setup();
    const urls = ["http://127.0.0.1:9/x", "http://localhost:9/x", "http://[::1]:9/", "http://169.254.169.254/latest/meta-data", "http://10.0.0.1/", "http://192.168.1.1/", "http://[fd00::1]/", "http://[fe80::1]/", "http://0.0.0.0/", "http://[::ffff:127.0.0.1]/",
      // IPv4 inside IPv6: IPv4-compatible (::/96) and local-use NAT64.
      "http://[::127.0.0.1]/", "http://[::a00:1]/", "http://[::c0a8:101]/", "http://[::a9fe:a9fe]/", "http://[64:ff9b:1::a00:1]/"];
    for (const url of urls) {
      const res = await call(ctx.app, "/api/link-tracking/webhooks", { json: { url } });
      expect(`${url} ${res.status}`).toBe(`${url} 400`);
      expect(res.body.error).toContain("WEBHOOK_ALLOW_PRIVATE");
    }
    const created = await call(ctx.app, "/api/link-tracking/webhooks", { json: { url: "https://hooks.example.com/x" } });
    expect(created.status).toBe(201);
    const patched = await call(ctx.app, `/api/link-tracking/webhooks/${created.body.id}`, { method: "PATCH", json: { url: "http://127.0.0.1/" } });
    expect(patched.status).toBe(400);
    const allowed = setup({ webhookAllowPrivate: true });
    expect((await call(allowed.app, "/api/link-tracking/webhooks", { json: { url: "http://127.0.0.1:9/x" } })).status).toBe(201);
  });

  test("an endpoint that points at loopback is checked again at delivery: the receiver gets nothing, the log says why", async () => {
    const w = await world({ deliverPrivate: false });
    const r = receiver();
    // Added while WEBHOOK_ALLOW_PRIVATE was on (the world allows it), delivered after it was turned off.
    const { body } = await call(w.app, "/api/link-tracking/webhooks", { json: { url: r.url } });
    await w.hit("sig-LinkedIn", "198.51.100.31");
    await w.deliverUntil(() => false, 5);
    expect(r.got).toHaveLength(0);
    const log = (await call(w.app, `/api/link-tracking/webhooks/${body.id}/deliveries`)).body;
    expect(log.length).toBeGreaterThan(0);
    // The oldest delivery was tried (the later ones of the same link wait behind it).
    expect(log.at(-1).last_error).toContain("refused");
    expect(log.at(-1).status).toBe("pending");
  });

  test("no answer is stored as 'unreachable', whatever the port's state", async () => {
    const w = await world();
    const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
    const port = closed.port;
    await closed.stop(true);
    const { body } = await call(w.app, "/api/link-tracking/webhooks", { json: { url: `http://127.0.0.1:${port}/hooks` } });
    await w.hit("sig-LinkedIn", "198.51.100.32");
    await w.deliverUntil(() => false, 3);
    const log = (await call(w.app, `/api/link-tracking/webhooks/${body.id}/deliveries`)).body;
    expect(log.at(-1).last_error).toBe("unreachable");
  });
});
