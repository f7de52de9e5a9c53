/**
 * A scanner's clicks spread over instances (each saw one or two): the sweep finds the
 * burst in what they stored, on either store.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { openSqliteStore } from "../../../src/db/sqlite/store";
import type { NewClick, Store } from "../../../src/db/store";
import { sweepBursts } from "../../../src/modules/redirect/burst-sweep";
import { signalRule } from "../../../src/modules/webhooks/signals";
import { freshPgliteDb } from "../../postgres-utils";

const APP = "a0000000-0000-4000-8000-0000000000b1";
const T0 = Date.now() - 20_000;
const signals = { rule: signalRule({ returnDays: 7, holdSeconds: 60 }), returnDays: 7, holdSeconds: 60 };

function click(n: number, trackingId: string, ms: number, ip: string): NewClick {
  const at = new Date(T0 + ms).toISOString();
  return { clickId: Bun.randomUUIDv7(), trackingId, clickedAt: at, receivedAt: at, origin: "redirect", ipAddress: ip, visitorKind: "human", outcome: "redirected", metadata: { n } };
}

async function scenario(store: Store) {
  const links = ["cv", "gh", "in"].map((id) => ({
    trackingId: `sweep-${id}`,
    jobId: null,
    applicationId: APP,
    linkFunction: id,
    linkType: "profile",
    originalUrl: `https://example.com/${id}`,
    redirectUrl: `https://steve-glen.com/${id}?uuid=sweep-${id}`,
    createdAt: new Date(T0 - 60_000).toISOString(),
    updatedAt: new Date(T0 - 60_000).toISOString(),
    createdBy: "system",
    isActive: true,
    description: null,
    expiresAt: null,
    shortCode: null,
  }));
  await store.links.insert(links);
  // "Instance A" stored two of the gateway's clicks, "instance B" the third; a recruiter
  // on another address clicked one link a minute later.
  const gateway = [click(1, "sweep-cv", 0, "203.0.113.50"), click(2, "sweep-gh", 900, "203.0.113.50"), click(3, "sweep-in", 1400, "203.0.113.50")];
  await store.clicks.record(gateway.slice(0, 2));
  await store.clicks.record(gateway.slice(2));
  const held = await store.signals.due(0, new Date(Date.now() + 3600_000).toISOString(), 50);
  expect(held.filter((s) => gateway.some((c) => c.clickId === s.clickId)).length).toBeGreaterThan(0);
  await store.clicks.record([click(4, "sweep-cv", 5000, "198.51.100.20")]);
  const since = new Date(T0 - 1000).toISOString();
  // Narrowed to another address, or another application: nothing.
  const to = new Date(T0 + 60_000).toISOString();
  expect(await sweepBursts(store, { from: since, to, applicationIds: [APP], ips: ["198.51.100.99"] })).toEqual([]);
  expect(await sweepBursts(store, { from: since, to, applicationIds: ["a0000000-0000-4000-8000-0000000000b2"] })).toEqual([]);
  const changed = await sweepBursts(store, { from: since, to, applicationIds: [APP], ips: ["203.0.113.50", "198.51.100.20"] });
  expect(changed.sort()).toEqual(gateway.map((c) => c.clickId).sort());
  expect(await sweepBursts(store, { from: since })).toEqual([]);
  const kinds = await store.clicks.perLinkKindCounts(links.map((l) => l.trackingId));
  expect(kinds.filter((k) => k.kind === "scanner").reduce((n, k) => n + k.clicks, 0)).toBe(3);
  expect(kinds.filter((k) => k.kind === "human").reduce((n, k) => n + k.clicks, 0)).toBe(1);
  expect((await store.clicks.recentOf("sweep-in", 1))[0]).toMatchObject({ visitorKind: "scanner", visitorReason: "burst: 3 links of one application in 2 s" });
  // The events the gateway's clicks made (first human click of each link and of the
  // application) are withdrawn while still held.
  const due = await store.signals.due(0, new Date(Date.now() + 3600_000).toISOString(), 50);
  expect(due.filter((s) => gateway.some((c) => c.clickId === s.clickId))).toEqual([]);
}

describe("burst sweep", () => {
  beforeAll(() => freshPgliteDb(), 60_000);
  test("SQLite", async () => scenario(openSqliteStore(":memory:", { signals })));
  test("PostgreSQL (PGlite)", async () => scenario(await (await freshPgliteDb()).open({ signals })));
});
