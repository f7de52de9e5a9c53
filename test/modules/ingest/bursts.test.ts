/**
 * A mail gateway pre-clicking a whole résumé reaches the central server as ingested
 * events (the seeds' redirect node ships them) or record-click calls: the same burst
 * rule as a redirect's, whatever order the events come in, split across batches too.
 */
import { describe, expect, test } from "bun:test";
import { call, setup } from "../../utils";

const APP = "a0000000-0000-4000-8000-0000000000e1";
const FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const T0 = Date.now() - 60_000;
const at = (ms: number) => new Date(T0 + ms).toISOString();

async function résumé(app: ReturnType<typeof setup>["app"]) {
  const res = await call(app, "/api/link-tracking/links/bulk", {
    json: { links: ["linkedin", "github", "portfolio"].map((f) => ({ tracking_id: `${f}-gw`, original_url: `https://example.com/${f}`, link_function: f, application_id: APP })) },
  });
  expect(res.status).toBe(201);
}

const humanClicks = async (app: ReturnType<typeof setup>["app"]) =>
  (await call(app, `/api/link-tracking/analytics/applications/${APP}`)).body.totals.human_clicks;

const firstHumanEvents = async (store: ReturnType<typeof setup>["store"]) =>
  (await store.signals.due(0, new Date(Date.now() + 3600_000).toISOString(), 100)).filter((s) => s.type === "click.first_human");

describe("bursts among ingested clicks", () => {
  test("a gateway's three clicks in one batch, out of order: a scanner's, their events withdrawn; a recruiter elsewhere stays human", async () => {
    const { app, store } = setup({ signalHoldSeconds: 15 });
    await résumé(app);
    const gateway = { ip_address: "203.0.113.77", user_agent: FIREFOX };
    const res = await call(app, "/api/tracking-ingest/batch", {
      json: {
        events: [
          { tracking_id: "portfolio-gw", clicked_at: at(1800), event_id: "g3", ...gateway },
          { tracking_id: "linkedin-gw", clicked_at: at(0), event_id: "g1", ...gateway },
          { tracking_id: "linkedin-gw", clicked_at: at(40_000), event_id: "r1", ip_address: "198.51.100.5", user_agent: FIREFOX },
          { tracking_id: "github-gw", clicked_at: at(900), event_id: "g2", ...gateway },
        ],
      },
    });
    expect(res.status).toBe(200);
    const recent = await store.clicks.recentOf("portfolio-gw", 5);
    expect(recent[0]).toMatchObject({ visitorKind: "scanner", visitorReason: "burst: 3 links of one application in 2 s" });
    expect((await store.clicks.recentOf("github-gw", 5))[0].visitorKind).toBe("scanner");
    const linkedin = await store.clicks.recentOf("linkedin-gw", 5);
    expect(linkedin.map((c) => c.visitorKind)).toEqual(["human", "scanner"]);
    // The events the gateway's clicks made (first human click of each link, of the
    // application) are withdrawn while held.
    const gatewayIds = await Promise.all(["g1", "g2", "g3"].map(async (id) => (await store.clicks.findByKey(`event:${id}`))!.clickId));
    expect(gatewayIds).toHaveLength(3);
    const before = await firstHumanEvents(store);
    expect(before.filter((e) => gatewayIds.includes(e.clickId))).toEqual([]);
    expect(await humanClicks(app)).toBe(1);
  });

  test("a burst split across two batches is found when its last part comes", async () => {
    const { app, store } = setup();
    await résumé(app);
    const gateway = { ip_address: "203.0.113.78", user_agent: FIREFOX };
    await call(app, "/api/tracking-ingest/batch", { json: { events: [{ tracking_id: "linkedin-gw", clicked_at: at(0), event_id: "s1", ...gateway }] } });
    expect((await store.clicks.recentOf("linkedin-gw", 1))[0].visitorKind).toBe("human");
    await call(app, "/api/tracking-ingest/batch", {
      json: { events: [{ tracking_id: "github-gw", clicked_at: at(500), event_id: "s2", ...gateway }, { tracking_id: "portfolio-gw", clicked_at: at(700), event_id: "s3", ...gateway }] },
    });
    for (const id of ["linkedin-gw", "github-gw", "portfolio-gw"]) expect((await store.clicks.recentOf(id, 1))[0].visitorKind).toBe("scanner");
  });

  test("three record-click calls from one address on three links of an application are a burst", async () => {
    const { app, store } = setup();
    await résumé(app);
    for (const [i, id] of ["linkedin-gw", "github-gw", "portfolio-gw"].entries()) {
      const res = await call(app, "/api/link-tracking/record-click", { json: { tracking_id: id, clicked_at: at(i * 300), ip_address: "203.0.113.79", user_agent: FIREFOX } });
      expect(res.status).toBe(201);
    }
    for (const id of ["linkedin-gw", "github-gw", "portfolio-gw"]) expect((await store.clicks.recentOf(id, 1))[0].visitorKind).toBe("scanner");
  });

  test("clicks far apart in time, or from different addresses, are no burst", async () => {
    const { app, store } = setup();
    await résumé(app);
    await call(app, "/api/tracking-ingest/batch", {
      json: {
        events: [
          { tracking_id: "linkedin-gw", clicked_at: at(0), event_id: "n1", ip_address: "203.0.113.80", user_agent: FIREFOX },
          { tracking_id: "github-gw", clicked_at: at(30_000), event_id: "n2", ip_address: "203.0.113.80", user_agent: FIREFOX },
          { tracking_id: "portfolio-gw", clicked_at: at(500), event_id: "n3", ip_address: "198.51.100.80", user_agent: FIREFOX },
        ],
      },
    });
    for (const id of ["linkedin-gw", "github-gw", "portfolio-gw"]) expect((await store.clicks.recentOf(id, 1))[0].visitorKind).toBe("human");
  });
});

describe("request facts a redirect node passes on", () => {
  test("request.accept_language false: a scanner's, as a redirect without Accept-Language here; true or absent: human", async () => {
    const { app, store } = setup();
    await résumé(app);
    const res = await call(app, "/api/tracking-ingest/batch", {
      json: {
        events: [
          { tracking_id: "linkedin-gw", event_id: "f1", ip_address: "198.51.100.31", user_agent: FIREFOX, request: { accept_language: false } },
          { tracking_id: "github-gw", event_id: "f2", ip_address: "198.51.100.32", user_agent: FIREFOX, request: { accept_language: true } },
          { tracking_id: "portfolio-gw", event_id: "f3", ip_address: "198.51.100.33", user_agent: FIREFOX },
        ],
      },
    });
    expect(res.status).toBe(200);
    expect((await store.clicks.recentOf("linkedin-gw", 1))[0]).toMatchObject({ visitorKind: "scanner", visitorReason: "no Accept-Language" });
    expect((await store.clicks.recentOf("github-gw", 1))[0].visitorKind).toBe("human");
    expect((await store.clicks.recentOf("portfolio-gw", 1))[0].visitorKind).toBe("human");
  });

  test("a request that is not an object, or an accept_language that is not a boolean, is that event's error", async () => {
    const { app } = setup();
    const res = await call(app, "/api/tracking-ingest/batch", {
      json: { events: [{ tracking_id: "x", request: "yes" }, { tracking_id: "y", request: { accept_language: "no" } }, { tracking_id: "z" }] },
    });
    expect(res.status).toBe(207);
    expect(res.body.results.errors).toEqual(["Event 1: request must be a JSON object", "Event 2: request.accept_language must be true or false"]);
  });
});
