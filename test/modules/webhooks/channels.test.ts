/**
 * Channels for a person (ntfy, Slack, Discord, Teams, Google Chat, Telegram): each gets the
 * event in words, in the request its service documents for an incoming message; bots
 * notify nobody; a channel that keeps failing is paused and resumed by its owner; "send a
 * test" says whether it arrived; the token never comes back. Loopback receivers only.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { silentLogger } from "../../../src/lib/log";
import { messageOf } from "../../../src/modules/webhooks/channels";
import type { SignalPayload } from "../../../src/modules/webhooks/model";
import { startDelivery } from "../../../src/modules/webhooks/service";
import { localDay, startOfDay } from "../../../src/lib/zone";
import { call, setup } from "../../utils";

const APP = "eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee";
const BASE = "https://steve-glen.com";
const FIREFOX = { "user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "accept-language": "en" };

type Got = { method: string; path: string; headers: Record<string, string>; body: string };
const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

function receiver(answer: (n: number) => number = () => 200) {
  const got: Got[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const { pathname } = new URL(req.url);
      got.push({ method: req.method, path: pathname, headers: Object.fromEntries(req.headers), body: await req.text() });
      return new Response(JSON.stringify({ ok: true }), { status: answer(got.length) });
    },
  });
  stops.push(() => server.stop(true));
  return { origin: `http://127.0.0.1:${server.port}`, got };
}

async function world() {
  const ctx = setup({ trustProxy: true, signalHoldSeconds: 0, webhookAllowPrivate: true, publicBaseUrl: BASE });
  const res = await call(ctx.app, "/api/link-tracking/links/bulk", {
    json: { application: { application_id: APP, company: "Acme", role: "Senior Engineer" }, links: [{ tracking_id: "ch-LinkedIn", link_function: "LinkedIn", original_url: "https://linkedin.com/in/steve" }] },
  });
  expect(res.status).toBe(201);
  const hit = (headers: Record<string, string> = FIREFOX, ip = "198.51.100.9") =>
    ctx.app.handle(new Request("http://localhost/linkedin?uuid=ch-LinkedIn", { headers: { ...headers, "x-forwarded-for": ip } }));
  const delivery = startDelivery(ctx.store, silentLogger(), { everyMs: 60_000, timeoutMs: 500, baseDelayMs: 1, maxDelayMs: 2, allowPrivate: true, publicBaseUrl: BASE });
  stops.push(delivery.stop);
  const deliver = async (rounds = 5) => {
    for (let i = 0; i < rounds; i++) {
      await delivery.tick();
      await Bun.sleep(10);
    }
  };
  const channel = async (json: Record<string, unknown>) => {
    const made = await call(ctx.app, "/api/link-tracking/webhooks", { json });
    expect(made.status).toBe(201);
    return made.body as { id: string; has_token: boolean; format: string };
  };
  return { ...ctx, hit, deliver, channel };
}

const decoded = (header: string) => {
  const m = /^=\?UTF-8\?B\?(.+)\?=$/.exec(header);
  return m ? Buffer.from(m[1]!, "base64").toString("utf8") : header;
};

describe("the words", () => {
  const now = Date.parse("2026-12-04T09:02:00Z");
  const link = { tracking_id: "t1", link_function: "LinkedIn", link_type: "profile", original_url: "https://linkedin.com/in/s", redirect_url: `${BASE}/linkedin?uuid=t1` };
  const application = { application_id: APP, label: "Acme — Senior Engineer", company: "Acme", role: "Senior Engineer" };
  const click = { click_id: "c", clicked_at: "2026-12-04T09:00:00Z", click_source: "linkedin", referrer_domain: null, visitor_kind: "human" as const, country: "DE", network: "Deutsche Telekom AG", agent: "Chrome on Windows, desktop" };
  const about = { link, job_id: null, application_id: APP, application, click };
  const event = (type: string, data: Record<string, unknown>) => ({ id: "evt_1", type, created_at: click.clicked_at, data }) as unknown as SignalPayload;

  test.each([
    ["an application's first click", event("click.first_human", { scope: "application", ...about }),
      "Acme — Senior Engineer", "your LinkedIn link was opened for the first time, 2 min ago, from Deutsche Telekom AG, Germany (Chrome on Windows)."],
    ["from the company's own network", event("click.first_human", { scope: "application", ...about, click: { ...click, network: "Acme Corp", company_network: true } }),
      "Acme — Senior Engineer", "your LinkedIn link was opened for the first time, 2 min ago, from Acme Corp, Germany (Chrome on Windows) — from Acme's own network."],
    ["a return", event("click.returned", { ...about, link: { ...link, link_function: "Portfolio" }, application: { ...application, label: "Globex — Platform Engineer" }, previous_human_click: "x", days_since_previous: 9 }),
      "Globex — Platform Engineer", "someone came back after 9 days (Portfolio), 2 min ago, from Deutsche Telekom AG, Germany (Chrome on Windows)."],
    ["a link cut short", event("link.orphan_hit", { orphan_id: "t1x", probably: "t1", probably_link: { tracking_id: "t1", link_function: "Portfolio", redirect_url: "r", application_id: APP, application_label: "Initech — Backend Developer" }, click: { ...click, network: null, country: null, agent: null } }),
      "A link cut short was hit", "A link cut short was hit: probably Initech — Backend Developer · Portfolio, 2 min ago."],
    ["an assistant", event("click.assistant", { ...about, assistant: { name: "ChatGPT", vendor: "OpenAI", token: "ChatGPT-User" } }),
      "Acme — Senior Engineer", "someone asked an AI assistant (ChatGPT) to open your LinkedIn link, 2 min ago."],
    ["a dead destination", event("link.destination_down", { link, job_id: null, application_id: APP, application, destination: { ok: false, down: true, status: 404, error: "404 Not Found", checked_at: click.clicked_at, down_since: click.clicked_at } }),
      "Acme — Senior Engineer", "your LinkedIn link leads nowhere: https://linkedin.com/in/s answers 404 Not Found. A recruiter who clicks it finds an error page."],
  ])("%s", (_name, e, title, text) => {
    const m = messageOf(e, BASE, now);
    expect([m.title, m.text]).toEqual([title, text]);
    expect(JSON.stringify(m)).not.toMatch(/\d+\.\d+\.\d+\.\d+|Mozilla/);
  });
});

describe("each channel's request", () => {
  test.each([
    ["ntfy", { format: "ntfy", token: "tk_abcdef" }, (r: Got) => {
      expect(r.path).toBe("/topic");
      expect(r.headers["content-type"]).toBe("text/plain; charset=utf-8");
      expect(decoded(r.headers.title!)).toBe("Acme — Senior Engineer");
      expect(r.headers).toMatchObject({ priority: "4", tags: "eyes", click: `${BASE}/dashboard/#/applications/${APP}`, authorization: "Bearer tk_abcdef" });
      expect(r.body).toBe("Your LinkedIn link was opened for the first time, just now (Firefox on Linux).");
    }],
    ["slack", { format: "slack" }, (r: Got) => {
      const body = JSON.parse(r.body);
      expect(body.text).toBe("Acme — Senior Engineer: your LinkedIn link was opened for the first time, just now (Firefox on Linux).");
      expect(body.blocks[0]).toEqual({ type: "section", text: { type: "mrkdwn", text: "*Acme — Senior Engineer*\nyour LinkedIn link was opened for the first time, just now (Firefox on Linux)." } });
      expect(body.blocks[1].elements[0].text).toBe(`<${BASE}/dashboard/#/applications/${APP}|Open in link-tracker>`);
    }],
    ["discord", { format: "discord" }, (r: Got) => {
      const body = JSON.parse(r.body);
      expect(body.content).toStartWith("Acme — Senior Engineer: your LinkedIn link");
      expect(body.embeds).toEqual([{ title: "Acme — Senior Engineer", description: "your LinkedIn link was opened for the first time, just now (Firefox on Linux).", url: `${BASE}/dashboard/#/applications/${APP}` }]);
      expect(body.allowed_mentions).toEqual({ parse: [] });
    }],
    ["teams", { format: "teams" }, (r: Got) => {
      const body = JSON.parse(r.body);
      expect(body.type).toBe("message");
      const card = body.attachments[0];
      expect(card.contentType).toBe("application/vnd.microsoft.card.adaptive");
      expect(card.content).toMatchObject({ type: "AdaptiveCard", version: "1.4", actions: [{ type: "Action.OpenUrl", url: `${BASE}/dashboard/#/applications/${APP}` }] });
      expect(card.content.body.map((b: { text: string }) => b.text)).toEqual(["Acme — Senior Engineer", "your LinkedIn link was opened for the first time, just now (Firefox on Linux)."]);
    }],
    ["google-chat", { format: "google-chat" }, (r: Got) => {
      expect(JSON.parse(r.body)).toEqual({ text: `*Acme — Senior Engineer*\nyour LinkedIn link was opened for the first time, just now (Firefox on Linux).\n<${BASE}/dashboard/#/applications/${APP}|Open in link-tracker>` });
    }],
    ["telegram", { format: "telegram", token: "123456:ABC-def", chat_id: "-100200300" }, (r: Got) => {
      expect(r.path).toBe("/bot123456:ABC-def/sendMessage");
      expect(JSON.parse(r.body)).toEqual({
        chat_id: "-100200300",
        text: `Acme — Senior Engineer\nyour LinkedIn link was opened for the first time, just now (Firefox on Linux).\n${BASE}/dashboard/#/applications/${APP}`,
        link_preview_options: { is_disabled: true },
      });
    }],
  ])("%s: one message for a first click (its link's and its application's told once), a bot's click none", async (format, fields, check) => {
    const w = await world();
    const r = receiver();
    const made = await w.channel({ url: format === "telegram" ? r.origin : `${r.origin}/topic`, ...fields });
    expect(made.format).toBe(format);
    await w.hit({ "user-agent": "Googlebot/2.1 (+http://www.google.com/bot.html)" });
    await w.deliver();
    expect(r.got).toEqual([]);
    await w.hit();
    await w.deliver();
    expect(r.got).toHaveLength(1);
    expect(r.got[0]!.method).toBe("POST");
    check(r.got[0]!);
    expect(JSON.stringify(r.got[0])).not.toContain("198.51.100.9");
    // The token is sent, never shown back.
    const listed = JSON.stringify((await call(w.app, "/api/link-tracking/webhooks")).body);
    if ("token" in fields) expect(listed).not.toContain(fields.token as string);
    expect(made.has_token).toBe("token" in fields);
  });
});

describe("what never notifies, and what is retried", () => {
  test("a mail gateway opening the résumé's three links in a second notifies nobody", async () => {
    const ctx = setup({ trustProxy: true, signalHoldSeconds: 1, webhookAllowPrivate: true, publicBaseUrl: BASE });
    const links = ["LinkedIn", "Portfolio", "Calendly"].map((f) => ({ tracking_id: `burst-${f}`, link_function: f, original_url: `https://example.com/${f}` }));
    await call(ctx.app, "/api/link-tracking/links/bulk", { json: { application: { application_id: APP, company: "Acme", role: "Senior Engineer" }, links } });
    const r = receiver();
    await call(ctx.app, "/api/link-tracking/webhooks", { json: { url: `${r.origin}/topic`, format: "ntfy" } });
    const delivery = startDelivery(ctx.store, silentLogger(), { everyMs: 60_000, timeoutMs: 500, allowPrivate: true, publicBaseUrl: BASE });
    stops.push(delivery.stop);
    for (const l of links) await ctx.app.handle(new Request(`http://localhost/x?uuid=${l.tracking_id}`, { headers: { ...FIREFOX, "x-forwarded-for": "203.0.113.50" } }));
    await Bun.sleep(1100); // the hold, after which the burst's events are withdrawn
    for (let i = 0; i < 3; i++) await delivery.tick();
    expect(r.got).toEqual([]);
  });

  test("a receiver that is down is tried again, and then gets the message once", async () => {
    const w = await world();
    const r = receiver((n) => (n <= 2 ? 503 : 200));
    await w.channel({ url: `${r.origin}/hook`, format: "discord" });
    await w.hit();
    await w.deliver(10);
    await Bun.sleep(50);
    await w.deliver(5);
    expect(r.got).toHaveLength(3);
    expect(new Set(r.got.map((g) => g.body)).size).toBe(1);
    const [channel] = (await call(w.app, "/api/link-tracking/webhooks")).body;
    expect(channel).toMatchObject({ paused: null, failures: 0 });
  });
});

describe("a channel that keeps failing", () => {
  test("is paused with the reason after three refusals, its deliveries kept; resumed, they arrive once", async () => {
    const w = await world();
    let status = 404;
    const r = receiver(() => status);
    const made = await w.channel({ url: `${r.origin}/topic`, format: "ntfy" });
    await w.hit();
    await w.deliver(10);
    const listed = (await call(w.app, "/api/link-tracking/webhooks")).body[0];
    expect(listed.paused).toEqual({ at: expect.stringMatching(/Z$/), reason: expect.stringContaining("the receiver answered 404 3 times in a row") });
    expect(listed.failures).toBe(3);
    expect(r.got).toHaveLength(3);
    status = 200;
    await w.deliver();
    expect(r.got).toHaveLength(3); // paused: nothing sent
    const resumed = await call(w.app, `/api/link-tracking/webhooks/${made.id}`, { method: "PATCH", json: { active: true } });
    expect(resumed.body).toMatchObject({ paused: null, failures: 0, active: true });
    await w.deliver();
    expect(r.got).toHaveLength(4);
    expect(r.got.at(-1)!.body).toStartWith("Your LinkedIn link was opened");
  });
});

describe("send a test, and bad channels", () => {
  test("a test says whether it arrived", async () => {
    const w = await world();
    const ok = receiver();
    const down = receiver(() => 500);
    const good = await w.channel({ url: `${ok.origin}/topic`, format: "ntfy" });
    const bad = await w.channel({ url: `${down.origin}/hook`, format: "slack" });
    const plain = await w.channel({ url: `${ok.origin}/program` });
    expect((await call(w.app, `/api/link-tracking/webhooks/${good.id}/test`, { method: "POST" })).body).toEqual({ delivered: true, status_code: 200, error: null });
    expect(ok.got[0]!.body).toBe("This is a test: when a recruiter opens one of your links, you are told here.");
    expect((await call(w.app, `/api/link-tracking/webhooks/${bad.id}/test`, { method: "POST" })).body).toEqual({ delivered: false, status_code: 500, error: "answered 500" });
    expect((await call(w.app, `/api/link-tracking/webhooks/${plain.id}/test`, { method: "POST" })).body.delivered).toBe(true);
    expect(JSON.parse(ok.got[1]!.body)).toMatchObject({ type: "webhook.test" });
    expect(ok.got[1]!.headers["webhook-signature"]).toStartWith("v1,");
    expect((await call(w.app, "/api/link-tracking/webhooks/wh_nope/test", { method: "POST" })).status).toBe(404);
  });

  test.each([
    ["an unknown format", { url: "https://ntfy.sh/x", format: "pager" }, "format must be one of standard-webhooks, ntfy, slack, discord, teams, google-chat, telegram"],
    ["telegram without its token", { format: "telegram", chat_id: "12345" }, "token: a telegram channel needs the bot's token (from @BotFather)"],
    ["telegram without a chat", { format: "telegram", token: "1:x" }, "chat_id: a telegram channel needs the chat to write to"],
    ["a chat id on Slack", { format: "slack", url: "https://hooks.slack.com/services/x", chat_id: "12345" }, "chat_id is for a telegram channel only"],
    ["a token on Discord", { format: "discord", url: "https://discord.com/api/webhooks/1/x", token: "abc" }, "token is for an ntfy or a telegram channel only"],
    ["no URL", { format: "ntfy" }, "url is required"],
    ["a token with a space", { format: "ntfy", url: "https://ntfy.sh/x", token: "tk abc" }, "token must be printable ASCII without spaces"],
  ])("%s: 400 naming it", async (_name, json, message) => {
    const { app } = setup();
    const res = await call(app, "/api/link-tracking/webhooks", { json });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain(message);
  });
});

describe("a morning digest", () => {
  test("one message a day at the local hour with what happened since the last, none when nothing did; digest only: no single events", async () => {
    const w = await world();
    const r = receiver();
    const made = await w.channel({ url: `${r.origin}/morning`, format: "ntfy", digest: { hour: 8, time_zone: "Europe/Berlin", only: true } });
    expect((await call(w.app, "/api/link-tracking/webhooks")).body[0].digest).toEqual({ hour: 8, time_zone: "Europe/Berlin", only: true });
    let clock = 0;
    const delivery = startDelivery(w.store, silentLogger(), { everyMs: 60_000, timeoutMs: 500, allowPrivate: true, publicBaseUrl: BASE, clock: () => clock });
    stops.push(delivery.stop);
    const day = (n: number) => localDay("Europe/Berlin", Date.now() + n * 86_400_000);
    const at = (n: number, hour: number, minute = 0) => startOfDay("Europe/Berlin", day(n)) + (hour * 60 + minute) * 60_000;

    await w.hit();
    await w.hit({ "user-agent": "Googlebot/2.1 (+http://www.google.com/bot.html)" }, "66.249.66.1");
    clock = at(1, 7, 59);
    await delivery.tick();
    expect(r.got).toEqual([]); // not yet, and no single event either
    clock = at(1, 8, 0);
    await delivery.tick();
    expect(r.got).toHaveLength(1);
    expect(decoded(r.got[0]!.headers.title!)).toBe("Since the last digest: 1 thing");
    expect(r.got[0]!.body).toMatch(/^• Acme — Senior Engineer: your LinkedIn link was opened for the first time, \d+ h ago \(Firefox on Linux\)\.$/);
    clock = at(1, 9, 0);
    await delivery.tick();
    expect(r.got).toHaveLength(1); // once a day
    clock = at(2, 8, 30);
    await delivery.tick();
    expect(r.got).toHaveLength(1); // nothing happened: nothing sent

    // Back to single events as well: what happens from now on.
    const changed = await call(w.app, `/api/link-tracking/webhooks/${made.id}`, { method: "PATCH", json: { digest: { hour: 8, time_zone: "Europe/Berlin" } } });
    expect(changed.body.digest).toEqual({ hour: 8, time_zone: "Europe/Berlin", only: false });
    expect((await call(w.app, `/api/link-tracking/webhooks/${made.id}`, { method: "PATCH", json: { digest: { hour: 25, time_zone: "Mars/Olympus" } } })).status).toBe(400);
    const none = await call(w.app, "/api/link-tracking/webhooks", { json: { url: `${r.origin}/x`, digest: { hour: 8, time_zone: "UTC" } } });
    expect(none.status).toBe(400);
    expect(JSON.stringify(none.body)).toContain("digest is for a person's channel");
  });
});
