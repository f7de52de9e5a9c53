import { describe, expect, test } from "bun:test";
import { ipMatcher } from "../../../src/lib/ip";
import { classify } from "../../../src/modules/clicks/visitor";
import { call, setup, sql } from "../../utils";

const CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";
const none = () => false;

describe("classification rules", () => {
  test.each([
    ["a browser with Accept-Language", CHROME, "en", "human", null],
    ["LinkedIn's unfurler", "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)", "en", "preview", "preview agent LinkedInBot"],
    ["Slack", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", null, "preview", "preview agent Slackbot"],
    ["Facebook and iMessage", "facebookexternalhit/1.1 Facebot Twitterbot/1.0", null, "preview", "preview agent facebookexternalhit"],
    ["WhatsApp", "WhatsApp/2.23.20.0", null, "preview", "preview agent WhatsApp"],
    ["a mail gateway", "Mozilla/5.0 (compatible; Mimecast URL Protect)", null, "scanner", "security scanner Mimecast"],
    ["Googlebot", "Googlebot/2.1 (+http://www.google.com/bot.html)", null, "bot", "isbot"],
    ["curl", "curl/8.5.0", null, "bot", "isbot"],
    ["a browser-like agent without Accept-Language", CHROME, null, "scanner", "no Accept-Language"],
  ])("%s → %s", (_name, userAgent, acceptLanguage, kind, reason) => {
    const result = classify({ userAgent, ip: "198.51.100.1", acceptLanguage, isOwnerIp: none });
    expect(result.visitorKind as string).toBe(kind as string);
    expect(result.visitorReason).toBe(reason as string | null);
  });

  test("an ingested event (Accept-Language unknown) with a browser agent is human", () => {
    expect(classify({ userAgent: CHROME, ip: null, isOwnerIp: none }).visitorKind).toBe("human");
  });

  test("EXCLUDE_IPS wins over everything: addresses and ranges, v4 and v6", () => {
    const owner = ipMatcher(["203.0.113.7", "10.0.0.0/8", "2001:db8::/32"]);
    for (const ip of ["203.0.113.7", "10.9.8.7", "2001:db8::42"]) {
      expect(classify({ userAgent: "Googlebot/2.1", ip, isOwnerIp: owner })).toEqual({ visitorKind: "owner", visitorReason: "EXCLUDE_IPS" });
    }
    expect(classify({ userAgent: CHROME, ip: "203.0.113.8", acceptLanguage: "en", isOwnerIp: owner }).visitorKind).toBe("human");
  });
});

describe("classification on the redirect", () => {
  async function ctx() {
    const c = setup({ trustProxy: true, excludeIps: ["192.0.2.10"] });
    const app = "33333333-3333-4333-8333-333333333333";
    const links = ["LinkedIn", "Portfolio", "Calendly"].map((f) => ({ original_url: "https://example.com/", link_function: f, application_id: app, tracking_id: `burst-${f}` }));
    await call(c.app, "/api/link-tracking/links/bulk", { json: { links } });
    const hit = (id: string, ip: string, ua = CHROME) =>
      c.app.handle(new Request(`http://localhost/x?uuid=${id}`, { headers: { "user-agent": ua, "accept-language": "en", "x-forwarded-for": ip } }));
    const kinds = async () => ((await sql(c.store)).query("select tracking_id, visitor_kind, visitor_reason from link_clicks order by clicked_at, click_id").all() as Record<string, string>[]);
    return { ...c, hit, kinds };
  }

  test("the owner's own clicks are marked owner", async () => {
    const c = await ctx();
    await c.hit("burst-LinkedIn", "192.0.2.10");
    expect((await c.kinds())).toEqual([{ tracking_id: "burst-LinkedIn", visitor_kind: "owner", visitor_reason: "EXCLUDE_IPS" }]);
  });

  test("three links of one application from one IP within seconds: all three are a scanner's", async () => {
    const c = await ctx();
    for (const f of ["LinkedIn", "Portfolio", "Calendly"]) await c.hit(`burst-${f}`, "198.51.100.50");
    await Bun.sleep(5); // the earlier clicks are reclassified after the next commit
    expect((await c.kinds()).map((k) => k.visitor_kind)).toEqual(["scanner", "scanner", "scanner"]);
    expect((await c.kinds())[2].visitor_reason).toMatch(/^burst: 3 links of one application in \d+ s$/);
  });

  test("a burst arriving all at once (one event-loop turn) is a scanner's too", async () => {
    const c = await ctx();
    await Promise.all(["LinkedIn", "Portfolio", "Calendly"].map((f) => c.hit(`burst-${f}`, "198.51.100.51")));
    expect((await c.kinds()).map((k) => k.visitor_kind)).toEqual(["scanner", "scanner", "scanner"]);
  });

  test("a recruiter opening two links, and another IP the third, stay human", async () => {
    const c = await ctx();
    await c.hit("burst-LinkedIn", "198.51.100.60");
    await c.hit("burst-Portfolio", "198.51.100.60");
    await c.hit("burst-Calendly", "198.51.100.61");
    await c.hit("burst-LinkedIn", "198.51.100.60"); // the same link again is no burst
    await Bun.sleep(5);
    expect((await c.kinds()).map((k) => k.visitor_kind)).toEqual(["human", "human", "human", "human"]);
  });

  test("a link-preview fetch is redirected, recorded as preview, and not counted", async () => {
    const c = await ctx();
    const res = await c.hit("burst-LinkedIn", "198.51.100.70", "LinkedInBot/1.0");
    expect(res.status).toBe(302);
    expect((await c.kinds())[0].visitor_kind).toBe("preview");
    expect((await call(c.app, "/api/link-tracking/analytics/burst-LinkedIn")).body.click_statistics.total_clicks).toBe(0);
  });
});
