/**
 * What an instance remembers of links' human clicks lets a redirect's commit skip the
 * queries that decide signals; it must never make it decide wrongly. Two stores on one
 * database stand for two instances.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import type { Link, NewClick } from "../../../src/db/store";
import { signalRule } from "../../../src/modules/webhooks/signals";
import { freshPgliteDb } from "../../postgres-utils";

const signals = { rule: signalRule({ returnDays: 7, holdSeconds: 0 }), returnDays: 7, holdSeconds: 0 };
const now = () => new Date().toISOString();
const link = (id: string): Link => ({
  trackingId: id, jobId: null, applicationId: null, linkFunction: "LinkedIn", linkType: "profile", originalUrl: "https://example.com/",
  redirectUrl: `https://steve-glen.com/linkedin?uuid=${id}`, createdAt: now(), updatedAt: now(), createdBy: "system", isActive: true, description: null, expiresAt: null, shortCode: null,
});
const click = (trackingId: string, at = now()): NewClick => ({ clickId: Bun.randomUUIDv7(), trackingId, clickedAt: at, receivedAt: at, origin: "redirect", visitorKind: "human", outcome: "redirected", ipAddress: "198.51.100.3" });
const firsts = async (store: Awaited<ReturnType<Awaited<ReturnType<typeof freshPgliteDb>>["open"]>>, id: string) =>
  (await store.signals.due(0, new Date(Date.now() + 60_000).toISOString(), 100)).filter((s) => s.type === "click.first_human" && s.subject === `link:${id}`);

describe("an instance's memory of human clicks", () => {
  beforeAll(() => freshPgliteDb(), 60_000);

  test("a click on a link this instance knows was clicked decides nothing new, and the first stays the only first", async () => {
    const { open } = await freshPgliteDb();
    const a = await open({ signals });
    await a.links.insert([link("mem-1")]);
    await a.clicks.record([click("mem-1")]);
    for (let i = 0; i < 5; i++) await a.clicks.record([click("mem-1")]);
    expect(await firsts(a, "mem-1")).toHaveLength(1);
    expect(await a.clicks.count()).toBe(6);
  });

  test("a human click another instance made a scanner's is forgotten: the next human click is the link's first", async () => {
    const { open } = await freshPgliteDb();
    const a = await open({ signals, background: true });
    const b = await open({ signals });
    await a.links.insert([link("mem-2")]);
    const gateway = click("mem-2");
    await a.clicks.record([gateway]);
    // Instance B's sweep finds it was a gateway's burst; its event is withdrawn while held.
    expect(await b.clicks.reclassify([gateway.clickId], "scanner", "burst: 3 links of one application in 1 s")).toBe(1);
    await b.signals.cancelOf([gateway.clickId], new Date(Date.now() - 1000).toISOString());
    // A's memory of that click is read again within seconds.
    await Bun.sleep(3500);
    const recruiter = click("mem-2");
    await a.clicks.record([recruiter]);
    const fired = await firsts(a, "mem-2");
    expect(fired.map((s) => s.clickId)).toContain(recruiter.clickId);
    await a.close();
  }, 20_000);
});
