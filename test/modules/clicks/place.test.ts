/**
 * Every way a click arrives is located from its full address (before IP_ANONYMIZE),
 * stored with its country and network, broken down in analytics, carried by the signals
 * (never the address), and classified by its network.
 */
import { describe, expect, test } from "bun:test";
import { call, KEY, req, setup, sql } from "../../utils";

const CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";
const APP = "0b9d3c52-6a1e-4a8e-9c39-6f2f6c1b2a10";

async function withLinks(overrides: Parameters<typeof setup>[0] = {}) {
  const ctx = setup({ trustProxy: true, signalHoldSeconds: 0, ...overrides });
  const created = await call(ctx.app, "/api/link-tracking/links/bulk", {
    json: {
      links: [
        { original_url: "https://www.linkedin.com/in/me", link_function: "LinkedIn", tracking_id: "li-1", application_id: APP },
        { original_url: "https://me.dev/", link_function: "Portfolio", tracking_id: "pf-1", application_id: APP },
        { original_url: "https://cal.com/me", link_function: "Calendly", tracking_id: "cal-1", application_id: APP },
      ],
    },
  });
  expect(created.status).toBe(201);
  return ctx;
}

const rows = async (ctx: ReturnType<typeof setup>) =>
  (await sql(ctx.store)).query("select tracking_id, origin, ip_address, country, city, asn, network, visitor_kind, visitor_reason from link_clicks order by tracking_id").all();

const click = (ctx: ReturnType<typeof setup>, path: string, ip: string, headers: Record<string, string> = {}) =>
  ctx.app.handle(req(path, { key: null, headers: { "user-agent": CHROME, "accept-language": "en-US", "x-forwarded-for": ip, ...headers } }));

describe("located on every path", () => {
  test("a redirect (TRUST_PROXY, X-Forwarded-For), an ingest batch and record-click", async () => {
    const ctx = await withLinks();
    expect((await click(ctx, "/linkedin?uuid=li-1", "8.8.8.8")).status).toBe(302);
    const batch = await call(ctx.app, "/api/tracking-ingest/batch", {
      json: { events: [{ tracking_id: "pf-1", event_id: "e-1", ip_address: "2001:4860:4860::8888", user_agent: CHROME }] },
    });
    expect(batch.status).toBe(200);
    const recorded = await call(ctx.app, "/api/link-tracking/record-click", { json: { tracking_id: "cal-1", ip_address: "193.0.6.139", user_agent: CHROME } });
    expect(recorded.status).toBe(201);
    expect(await rows(ctx)).toEqual([
      { tracking_id: "cal-1", origin: "api", ip_address: "193.0.6.139", country: "NL", city: null, asn: 3333, network: "Reseaux IP Europeens Network Coordination Centre (RIPE NCC)", visitor_kind: "human", visitor_reason: null },
      { tracking_id: "li-1", origin: "redirect", ip_address: "8.8.8.8", country: "US", city: null, asn: 15169, network: "Google LLC", visitor_kind: "human", visitor_reason: null },
      { tracking_id: "pf-1", origin: "ingest", ip_address: "2001:4860:4860::8888", country: "CA", city: null, asn: 15169, network: "Google LLC", visitor_kind: "human", visitor_reason: null },
    ]);
  });

  test("a documentation, private or missing address: stored without a place, no error", async () => {
    const ctx = await withLinks();
    expect((await click(ctx, "/linkedin?uuid=li-1", "203.0.113.9")).status).toBe(302);
    await call(ctx.app, "/api/tracking-ingest/batch", { json: { events: [{ tracking_id: "pf-1", event_id: "e-2", ip_address: "10.0.0.8" }, { tracking_id: "pf-1", event_id: "e-3" }] } });
    for (const r of (await rows(ctx)) as Record<string, unknown>[]) expect([r.country, r.asn, r.network]).toEqual([null, null, null]);
  });

  test("IP_ANONYMIZE: the address is cut after it was located", async () => {
    const ctx = await withLinks({ ipAnonymize: true });
    await click(ctx, "/linkedin?uuid=li-1", "217.0.0.1");
    await call(ctx.app, "/api/tracking-ingest/batch", { json: { events: [{ tracking_id: "pf-1", event_id: "e-4", ip_address: "2003::1" }] } });
    expect(await rows(ctx)).toEqual([
      expect.objectContaining({ tracking_id: "li-1", ip_address: "217.0.0.0", country: "DE", asn: 3320, network: "Deutsche Telekom AG" }),
      expect.objectContaining({ tracking_id: "pf-1", ip_address: "2003::", country: "DE", asn: 3320, network: "Deutsche Telekom AG" }),
    ]);
  });

  test("Do Not Track: the country alone", async () => {
    const ctx = await withLinks();
    await click(ctx, "/linkedin?uuid=li-1", "217.0.0.1", { dnt: "1" });
    expect(await rows(ctx)).toEqual([expect.objectContaining({ ip_address: null, country: "DE", city: null, asn: null, network: null })]);
  });
});

describe("classified by network on every path", () => {
  test("a mail-security vendor's address is a scanner, a cloud's a bot, through a redirect, a batch and record-click", async () => {
    const ctx = await withLinks();
    await click(ctx, "/linkedin?uuid=li-1", "148.163.128.1");
    await call(ctx.app, "/api/tracking-ingest/batch", { json: { events: [{ tracking_id: "pf-1", event_id: "e-5", ip_address: "165.227.0.1", user_agent: CHROME }] } });
    await call(ctx.app, "/api/link-tracking/record-click", { json: { tracking_id: "cal-1", ip_address: "104.47.0.1", user_agent: CHROME } });
    expect((await rows(ctx)).map((r: any) => [r.tracking_id, r.visitor_kind, r.visitor_reason])).toEqual([
      ["cal-1", "scanner", "mail security network: Microsoft Exchange Online Protection (AS8075)"],
      ["li-1", "scanner", "mail security network: Proofpoint, Inc. (AS13916)"],
      ["pf-1", "bot", "hosting network: DigitalOcean, LLC (AS14061)"],
    ]);
    // None of them a recruiter: no first-human event.
    const feed = await call(ctx.app, "/api/link-tracking/events");
    expect(feed.body.events).toEqual([]);
  });
});

describe("analytics and signals", () => {
  test("breakdowns by country and network per link, per application and in the overview, visits with their place, attribution shown", async () => {
    const ctx = await withLinks();
    await click(ctx, "/linkedin?uuid=li-1", "13.107.42.14");
    await click(ctx, "/portfolio?uuid=pf-1", "13.107.42.14");
    await click(ctx, "/linkedin?uuid=li-1", "217.0.0.1");
    await click(ctx, "/linkedin?uuid=li-1", "10.0.0.1");
    const link = await call(ctx.app, "/api/link-tracking/analytics/li-1");
    expect(link.status).toBe(200);
    expect(link.body.breakdowns.by_country).toHaveLength(3);
    expect(link.body.breakdowns.by_country).toEqual(
      expect.arrayContaining([
        { value: "DE", clicks: 1 },
        { value: "US", clicks: 1 },
        { value: "(unknown)", clicks: 1 },
      ]),
    );
    expect(link.body.breakdowns.by_network).toEqual(
      expect.arrayContaining([
        { asn: 8068, network: "Microsoft Corporation", clicks: 1 },
        { asn: 3320, network: "Deutsche Telekom AG", clicks: 1 },
        { asn: null, network: "(unknown)", clicks: 1 },
      ]),
    );
    expect(link.body.breakdowns.location_attribution).toContain("DB-IP");

    const app = await call(ctx.app, `/api/link-tracking/analytics/applications/${APP}`);
    expect(app.status).toBe(200);
    expect(app.body.breakdowns.by_country[0]).toEqual({ value: "US", clicks: 2 });
    expect(app.body.breakdowns.by_network[0]).toEqual({ asn: 8068, network: "Microsoft Corporation", clicks: 2 });
    const overview = await call(ctx.app, "/api/link-tracking/analytics");
    expect(overview.status).toBe(200);
    expect(overview.body.breakdowns.by_country[0]).toEqual({ value: "US", clicks: 2 });
    expect(overview.body.breakdowns.by_network).toHaveLength(3);

    const fromMicrosoft = app.body.visits.find((v: any) => v.network === "Microsoft Corporation");
    expect(fromMicrosoft).toMatchObject({ country: "US", asn: 8068 });
    expect(fromMicrosoft.clicks.map((c: any) => c.link_function)).toEqual(["LinkedIn", "Portfolio"]);
  });

  test("the first human click's event says: from Microsoft Corporation, US (and never the address)", async () => {
    const ctx = await withLinks();
    await click(ctx, "/linkedin?uuid=li-1", "13.107.42.14");
    const feed = await call(ctx.app, "/api/link-tracking/events");
    expect(feed.body.events.length).toBe(2);
    for (const e of feed.body.events) {
      expect(e.data.click).toMatchObject({ country: "US", asn: 8068, network: "Microsoft Corporation", from: "Microsoft Corporation, US" });
      expect(JSON.stringify(e)).not.toContain("13.107.42.14");
    }
  });

  test("the CSV export carries country, city, asn and network", async () => {
    const ctx = await withLinks();
    await click(ctx, "/linkedin?uuid=li-1", "217.0.0.1");
    const res = await ctx.app.handle(req("/api/link-tracking/clicks.csv?tracking_id=li-1", { key: KEY }));
    // The last five columns (the user agent before them has quoted commas).
    const [header, row] = (await res.text()).trim().split("\r\n").map((l) => l.split(",").slice(-5));
    expect(header).toEqual(["country", "city", "asn", "network", "company_network"]);
    expect(row).toEqual(["DE", "", "3320", "Deutsche Telekom AG", "false"]);
  });
});
