/**
 * What every Store implementation must do, asked through the interface alone
 * (src/db/store.ts). Each implementation's test file runs it with its own opener; a new
 * store (PostgreSQL) passes this before any route uses it.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { AppError } from "../../../src/lib/errors";
import { silentLogger } from "../../../src/lib/log";
import { reclassifyAssistants } from "../../../src/modules/clicks/reclassify";
import type { DestinationState, Link, NewClick, NewSignal, SignalType, Store, VisitorKind } from "../../../src/db/store";

/** `signals`: open the store with the server's signal rule (webhooks/signals.ts) with these settings. */
export type OpenStore = (options: { signals?: { returnDays: number; holdSeconds: number } }) => Promise<Store> | Store;

/** What a store may leave out: PostgreSQL keeps no edge outbox (an edge's is always SQLite). */
export type Capabilities = { outbox?: boolean };

/** Application and job ids are UUIDs, as the API takes them (PostgreSQL's columns are UUID). */
const APP_1 = "a0000000-0000-4000-8000-000000000001";
const APP_S = "a0000000-0000-4000-8000-000000000005";
const APP_W = "a0000000-0000-4000-8000-000000000007";
const APP_X = "a0000000-0000-4000-8000-000000000009";
const JOB_1 = "b0000000-0000-4000-8000-000000000001";

const T0 = Date.parse("2026-03-02T10:00:00.000Z");
/** A webhook endpoint's fields beside its URL, types and cursor: standard-webhooks, never failed. */
const PLAIN = { format: "standard-webhooks", token: null, chatId: null, failures: 0, pausedAt: null, pausedReason: null, digestHour: null, timeZone: null, digestOnly: false, digestSeq: 0, digestDay: null } as const;
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

export function link(id: string, extra: Partial<Link> = {}): Link {
  return {
    trackingId: id,
    jobId: null,
    applicationId: null,
    linkFunction: "LinkedIn",
    linkType: "profile",
    originalUrl: `https://example.com/${id}`,
    redirectUrl: `https://steve-glen.com/linkedin?uuid=${id}`,
    createdAt: at(0),
    updatedAt: at(0),
    createdBy: "system",
    isActive: true,
    description: null,
    expiresAt: null,
    shortCode: null,
    ...extra,
  };
}

let serial = 0;
export function click(trackingId: string, minutes: number, extra: Partial<NewClick> = {}): NewClick {
  serial++;
  // Time-ordered ids, as Bun.randomUUIDv7 gives the server's clicks.
  const id = `0190${String(serial).padStart(4, "0")}-0000-7000-8000-${String(serial).padStart(12, "0")}`;
  return { clickId: id, trackingId, clickedAt: at(minutes), receivedAt: at(minutes), origin: "redirect", visitorKind: "human", outcome: "redirected", ...extra };
}

async function allPages(pages: AsyncIterable<unknown[][]>): Promise<unknown[][]> {
  const rows: unknown[][] = [];
  for await (const page of pages) rows.push(...page);
  return rows;
}

export function storeConformance(name: string, open: OpenStore, capabilities: Capabilities = {}) {
  const opened: Store[] = [];
  const fresh = async (options: Parameters<OpenStore>[0] = {}) => {
    const store = await open(options);
    opened.push(store);
    return store;
  };
  // One store per test, closed together (a PostgreSQL store's close ends its pool).
  afterAll(async () => {
    await Promise.all(opened.map((store) => store.close()));
  }, 60_000);

  describe(`${name}: links`, () => {
    test("insert, find (from the store and from memory), update, list newest first with a cursor", async () => {
      const store = await fresh();
      await store.links.insert([link("a1", { createdAt: at(1), applicationId: APP_1 }), link("a2", { createdAt: at(2), applicationId: APP_1 }), link("a3", { createdAt: at(3), jobId: JOB_1 })]);
      expect(await store.links.find("a2")).toEqual(link("a2", { createdAt: at(2), applicationId: APP_1 }));
      expect((await store.links.findCached("a2", Date.now()))?.trackingId).toBe("a2");
      expect(await store.links.find("nope")).toBeUndefined();
      const updated = await store.links.update("a1", { isActive: false, updatedAt: at(9) });
      expect(updated).toMatchObject({ trackingId: "a1", isActive: false, updatedAt: at(9) });
      expect((await store.links.findCached("a1", Date.now()))?.isActive).toBe(false);
      expect(await store.links.update("nope", { updatedAt: at(9) })).toBeUndefined();
      const page = await store.links.list({ limit: 2, now: at(5) });
      expect(page.map((l) => l.trackingId)).toEqual(["a3", "a2"]);
      const next = await store.links.list({ limit: 2, now: at(5), after: { createdAt: page[1].createdAt, trackingId: page[1].trackingId } });
      expect(next.map((l) => l.trackingId)).toEqual(["a1"]);
      expect((await store.links.list({ limit: 10, now: at(5), active: true })).map((l) => l.trackingId).sort()).toEqual(["a2", "a3"]);
      expect((await store.links.of({ applicationId: APP_1 })).map((l) => l.trackingId)).toEqual(["a1", "a2"]);
      expect((await store.links.of({ jobId: JOB_1 })).map((l) => l.trackingId)).toEqual(["a3"]);
      expect(await store.links.counts(at(5))).toEqual({ links: 3, active: 2, applications: 1 });
      expect(await store.links.sourceInUse("linkedin")).toBe(true);
      expect(await store.links.sourceInUse("calendly")).toBe(false);
    });

    test("rebase: tracked URLs of one origin moved to another, a slice at a time in id order; others untouched; settings put and read", async () => {
      const store = await fresh();
      const local = "http://localhost:5001";
      const ids = ["r1", "r2", "r3", "r4", "r5"];
      await store.links.insert([
        ...ids.map((id) => link(id, { redirectUrl: `${local}/linkedin?uuid=${id}` })),
        link("r6", { redirectUrl: `https://other.example/linkedin?uuid=r6` }),
        link("r7", { redirectUrl: `${local}0/linkedin?uuid=r7` }), // another port's origin, not a prefix match
      ]);
      expect((await store.links.findCached("r1", Date.now()))?.redirectUrl).toBe(`${local}/linkedin?uuid=r1`);
      const first = await store.links.rebase(local, "https://links.example", null, 3);
      expect(first).toEqual({ moved: 3, next: "r3" });
      const second = await store.links.rebase(local, "https://links.example", first.next, 3);
      expect(second).toEqual({ moved: 2, next: "r6" });
      expect(await store.links.rebase(local, "https://links.example", second.next, 3)).toEqual({ moved: 0, next: null });
      for (const id of ids) expect((await store.links.find(id))?.redirectUrl).toBe(`https://links.example/linkedin?uuid=${id}`);
      // The redirect's memory sees the new URL at once; updated_at is not an edit's.
      expect((await store.links.findCached("r1", Date.now()))?.redirectUrl).toBe("https://links.example/linkedin?uuid=r1");
      expect((await store.links.find("r1"))?.updatedAt).toBe(at(0));
      expect((await store.links.find("r6"))?.redirectUrl).toBe("https://other.example/linkedin?uuid=r6");
      expect((await store.links.find("r7"))?.redirectUrl).toBe(`${local}0/linkedin?uuid=r7`);

      expect(await store.settings.get("test:origin")).toBeUndefined();
      await store.settings.put("test:origin", "a");
      await store.settings.put("test:origin", "b");
      expect(await store.settings.get("test:origin")).toBe("b");
    });

    test("the link an orphan id probably meant: the one it was cut from, or one edit away, when only one fits", async () => {
      const store = await fresh();
      await store.links.insert(["Qm3Kx8LpVw2Zr5Tn", "Qm3Kx8LpAAAA", "abcdefgh", "abcdefgX", "job_01"].map((id) => link(id)));
      const orphans = {
        Qm3Kx8LpV: "Qm3Kx8LpVw2Zr5Tn", // cut short
        Qm3Kx8Lp: null, // the start of two
        abcdefgY: null, // one edit from two
        abcdefh: "abcdefgh", // a character lost
        xbcdefgh: "abcdefgh", // one replaced
        abcdefghi: "abcdefgh", // one added
        "job%01": "job_01", // "_" is no wildcard
        "job_": "job_01",
        "nothing-like": null,
        abc: null, // too short to be anyone's
      };
      expect(Object.fromEntries(await store.links.probableOf(Object.keys(orphans)))).toEqual(orphans);
      expect(await store.links.probableOf([])).toEqual(new Map());
      // Ids made to a pattern share their halves by the dozen: still the one a typo came from.
      await store.links.insert(Array.from({ length: 60 }, (_, i) => link(`job-${String(i).padStart(3, "0")}-cv`)));
      expect(Object.fromEntries(await store.links.probableOf(["job-057-cvx", "job-0x7-cv", "job-042-c"]))).toEqual({
        "job-057-cvx": "job-057-cv",
        "job-0x7-cv": null, // one edit from job-007-cv and from job-017-cv…
        "job-042-c": "job-042-cv",
      });
    });

    test("inserting a taken id is a Conflict naming it, and writes none of the batch", async () => {
      const store = await fresh();
      await store.links.insert([link("taken")]);
      const error = await store.links.insert([link("free"), link("taken")]).catch((e) => e);
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ status: 409, details: { tracking_id: "taken" } });
      expect(await store.links.find("free")).toBeUndefined();
    });

    test("deleting a link deletes its clicks, the ones just recorded included", async () => {
      const store = await fresh();
      await store.links.insert([link("d1"), link("d2")]);
      await store.clicks.insert([click("d1", 1, { origin: "ingest", idempotencyKey: "k1" })]);
      await store.clicks.record([click("d1", 2), click("d2", 2)]);
      expect(await store.links.deleteWithClicks("d1")).toBe(2);
      expect(await store.links.deleteWithClicks("d1")).toBeNull();
      expect(await store.clicks.count()).toBe(1);
    });
  });

  describe(`${name}: clicks`, () => {
    test("a read includes every click recorded before it, without the caller doing anything", async () => {
      const store = await fresh();
      await store.links.insert([link("r1")]);
      await store.clicks.record([click("r1", 1), click("r1", 2, { visitorKind: "bot" })]);
      await store.clicks.record([click("r1", 3)]);
      expect(await store.clicks.count()).toBe(3);
      const filter = { trackingIds: ["r1"], kinds: ["human" as VisitorKind] };
      expect(await store.clicks.totals(filter, at(-1), at(-1))).toMatchObject({ total: 2, first: at(1), last: at(3) });
      expect(await store.clicks.countsBy({ trackingIds: ["r1"] }, "kind")).toEqual(expect.arrayContaining([{ value: "human", clicks: 2 }, { value: "bot", clicks: 1 }]));
      expect(await store.clicks.perLinkKindCounts(["r1"])).toEqual(
        expect.arrayContaining([{ trackingId: "r1", kind: "human", clicks: 2, first: at(1), last: at(3) }, { trackingId: "r1", kind: "bot", clicks: 1, first: null, last: null }]),
      );
      expect((await store.clicks.humanOf(["r1"], 10)).map((c) => c.clickedAt)).toEqual([at(1), at(3)]);
      expect((await store.clicks.recentOf("r1", 2)).map((c) => c.clickedAt)).toEqual([at(3), at(2)]);
    });

    test("insert stores each idempotency key once and says which clicks were new; all or none", async () => {
      const store = await fresh();
      expect(await store.clicks.insert([click("i1", 1, { origin: "ingest", idempotencyKey: "e1" }), click("i1", 2, { origin: "ingest", idempotencyKey: "e2" })])).toEqual([true, true]);
      expect(await store.clicks.insert([click("i1", 1, { origin: "ingest", idempotencyKey: "e1" }), click("i1", 3, { origin: "ingest", idempotencyKey: "e3" })])).toEqual([false, true]);
      expect(await store.clicks.count()).toBe(3);
      expect((await store.clicks.findByKey("e2"))?.clickedAt).toBe(at(2));
      expect(await store.clicks.findByKey("nope")).toBeUndefined();
    });

    test("daily counts follow inserts, reclassification, attribution and deletion", async () => {
      const store = await fresh();
      await store.links.insert([link("k1")]);
      const scanned = [click("k1", 1, { ipAddress: "203.0.113.9" }), click("k1", 2, { ipAddress: "203.0.113.9" })];
      await store.clicks.record([...scanned, click("k1", 3, { ipAddress: "198.51.100.1" })]);
      await store.clicks.insert([click("k1-cut", 4, { origin: "ingest", idempotencyKey: "o1", outcome: "not_found" })]);
      const period = { from: at(-60), to: at(60 * 24) };
      expect(await store.clicks.countsBy(period, "kind")).toEqual([{ value: "human", clicks: 3 }]);
      expect(await store.clicks.reclassify(scanned.map((c) => c.clickId), "scanner", "burst")).toBe(2);
      expect(await store.clicks.reclassify(scanned.map((c) => c.clickId), "scanner", "burst")).toBe(0);
      expect(await store.clicks.topLinksIn(period, 5)).toEqual([{ trackingId: "k1", clicks: 1 }]);
      expect((await store.clicks.orphansIn(period, 5)).map((o) => o.tracking_id)).toEqual(["k1-cut"]);
      expect(await store.clicks.attributeOrphan("k1-cut", "k1")).toBe(1);
      expect(await store.clicks.orphansIn(period, 5)).toEqual([]);
      expect(await store.clicks.perDay({ ...period, kinds: ["human"] }, "UTC")).toEqual([{ day: at(0).slice(0, 10), kind: "human", clicks: 2 }]);
      expect(await store.clicks.deleteFromIp("203.0.113.9")).toBe(2);
      expect(await store.clicks.countsBy(period, "kind")).toEqual([{ value: "human", clicks: 2 }]);
      expect((await store.clicks.recentIn(period, 10)).map((c) => c.clickedAt)).toEqual([at(4), at(3)]);
    });

    test("stored bots that were an AI assistant's fetch become assistants, once per list, counts following", async () => {
      const store = await fresh();
      await store.links.insert([link("as1")]);
      const asBot = (minutes: number, userAgent: string) => click("as1", minutes, { visitorKind: "bot", visitorReason: "isbot", userAgent });
      await store.clicks.record([
        asBot(1, "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; ChatGPT-User/1.0; +https://openai.com/bot"),
        asBot(2, "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Claude-User/1.0; +Claude-User@anthropic.com)"),
        asBot(3, "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; GPTBot/1.1; +https://openai.com/gptbot"),
        click("as1", 4),
      ]);
      const first = await store.clicks.ofKind("human", null);
      expect(first.clicks.map((c) => c.userAgent)).toEqual([null]);
      expect(first.next).toBeNull();
      const period = { from: at(-60), to: at(60 * 24) };
      expect(await reclassifyAssistants(store, silentLogger())).toBe(2);
      expect(await reclassifyAssistants(store, silentLogger())).toBe(0);
      expect(await store.clicks.countsBy(period, "kind")).toEqual([
        { value: "assistant", clicks: 2 },
        { value: "bot", clicks: 1 },
        { value: "human", clicks: 1 },
      ]);
      expect((await store.clicks.perLinkKindCounts(["as1"])).map((c) => [c.kind, c.clicks]).sort()).toEqual([["assistant", 2], ["bot", 1], ["human", 1]]);
      expect((await store.clicks.recentOf("as1", 10)).map((c) => c.visitorReason)).toEqual([null, "isbot", "AI assistant Claude (Anthropic, Claude-User)", "AI assistant ChatGPT (OpenAI, ChatGPT-User)"]);
    });

    test("deleteBefore prunes the oldest, at most `limit` a call", async () => {
      const store = await fresh();
      await store.clicks.insert(Array.from({ length: 5 }, (_, i) => click("p1", i, { origin: "ingest", idempotencyKey: `p${i}` })));
      expect(await store.clicks.deleteBefore(at(3), 2)).toBe(2);
      expect(await store.clicks.deleteBefore(at(3), 2)).toBe(1);
      expect(await store.clicks.deleteBefore(at(3), 2)).toBe(0);
      expect(await store.clicks.count()).toBe(2);
      // The daily counts follow the deletions.
      expect(await store.clicks.countsBy({ from: at(-60), to: at(60) }, "kind")).toEqual([{ value: "human", clicks: 2 }]);
    });

    test("places: stored with the click, counted by country and network, and set later on clicks that have none", async () => {
      const store = await fresh();
      await store.links.insert([link("g1")]);
      const telekom = { country: "DE", city: "Bonn", asn: 3320, network: "Deutsche Telekom AG" };
      await store.clicks.record([click("g1", 1, { ipAddress: "217.0.0.1", ...telekom }), click("g1", 2, { ipAddress: "8.8.8.8" })]);
      await store.clicks.insert([click("g1", 3, { origin: "ingest", idempotencyKey: "g3", ipAddress: "10.0.0.1" }), click("g1", 4, { origin: "ingest", idempotencyKey: "g4" })]);
      expect(await store.clicks.countsBy({ trackingIds: ["g1"] }, "country")).toEqual(expect.arrayContaining([{ value: "DE", clicks: 1 }, { value: null, clicks: 3 }]));
      expect(await store.clicks.countsBy({}, "network")).toEqual(expect.arrayContaining([{ value: "3320 Deutsche Telekom AG", clicks: 1 }, { value: null, clicks: 3 }]));
      const unlocated = await store.clicks.unlocated(null, 10);
      expect(unlocated.map((c) => c.ipAddress)).toEqual(["8.8.8.8", "10.0.0.1"]);
      // Paged by click id.
      expect(await store.clicks.unlocated(unlocated[0].clickId, 10)).toEqual([unlocated[1]]);
      const google = { country: "US", city: null, asn: 15169, network: "Google LLC" };
      expect(await store.clicks.setPlaces([{ clickId: unlocated[0].clickId, ...google }])).toBe(1);
      expect((await store.clicks.unlocated(null, 10)).map((c) => c.ipAddress)).toEqual(["10.0.0.1"]);
      expect((await store.clicks.humanOf(["g1"], 10)).map(({ country, asn, network }) => ({ country, asn, network }))).toEqual([
        { country: "DE", asn: 3320, network: "Deutsche Telekom AG" },
        { country: "US", asn: 15169, network: "Google LLC" },
        { country: null, asn: null, network: null },
        { country: null, asn: null, network: null },
      ]);
      const rows = await allPages(store.clicks.exportPages({ trackingId: "g1" }));
      expect(rows[0].slice(-4)).toEqual(["DE", "Bonn", 3320, "Deutsche Telekom AG"]);
    });

    test("an export pages through redirected clicks with the link's columns, recorded ones included", async () => {
      const store = await fresh();
      await store.links.insert([link("x1", { applicationId: APP_X }), link("x2", { applicationId: APP_X })]);
      await store.clicks.insert(Array.from({ length: 1500 }, (_, i) => click("x1", i / 100, { origin: "ingest", idempotencyKey: `x${i}` })));
      await store.clicks.record([click("x2", 30), click("x2", 31, { outcome: "gone" })]);
      const rows = await allPages(store.clicks.exportPages({ applicationId: APP_X }));
      expect(rows.length).toBe(1501);
      expect(rows.at(-1)).toEqual(expect.arrayContaining(["x2", APP_X, "LinkedIn"]));
      const one = await allPages(store.clicks.exportPages({ trackingId: "x1", from: at(10), to: at(12) }));
      expect(one.length).toBe(201);
    });
  });

  describe(`${name}: signals`, () => {
    test("signals are decided as clicks are stored, by either way they come, and stored with them", async () => {
      const store = await fresh({ signals: { returnDays: 1, holdSeconds: 0 } });
      await store.links.insert([link("s1", { applicationId: APP_S }), link("s2", { applicationId: APP_S })]);
      const first = click("s1", 1);
      await store.clicks.record([first]);
      // Another human click of the link, then of the application: no new first.
      await store.clicks.insert([click("s1", 2, { origin: "ingest", idempotencyKey: "s-2" })]);
      const second = click("s2", 3);
      await store.clicks.record([second]);
      // Two days later, through ingest: the application's recruiter came back.
      const back = click("s1", 2 * 24 * 60, { origin: "ingest", idempotencyKey: "s-3" });
      await store.clicks.insert([back]);
      // A scanner's click decides nothing.
      await store.clicks.record([click("s2", 2 * 24 * 60 + 1, { visitorKind: "scanner" })]);
      // Held until created + holdSeconds, by the clock: due from now on.
      const soon = new Date(Date.now() + 1000).toISOString();
      const due = await store.signals.due(0, soon, 10);
      expect(due.map((s) => [s.type, s.subject, s.clickId])).toEqual([
        ["click.first_human", "link:s1", first.clickId],
        ["click.first_human", `application:${APP_S}`, first.clickId],
        ["click.first_human", "link:s2", second.clickId],
        ["click.returned", `application:${APP_S}`, back.clickId],
      ]);
      expect(await store.signals.maxSeq()).toBe(due.at(-1)!.seq);
      expect((await store.signals.bySeq(due[0].seq))?.payload).toMatchObject({ type: "click.first_human" });
      // Since a time: the first event created then or later; none after the last.
      expect(await store.signals.firstSeqSince(new Date(Date.now() - 3600_000).toISOString())).toBe(due[0].seq);
      expect(await store.signals.firstSeqSince(due.at(-1)!.createdAt)).toBeLessThanOrEqual(due.at(-1)!.seq);
      expect(await store.signals.firstSeqSince(new Date(Date.now() + 60_000).toISOString())).toBeNull();
      // Withdrawn only while not yet due.
      expect(await store.signals.cancelOf([first.clickId], soon)).toBe(0);
      expect(await store.signals.cancelOf([first.clickId], new Date(Date.now() - 60_000).toISOString())).toBe(2);
      expect((await store.signals.due(0, soon, 10)).length).toBe(2);
      // A click made a scanner's loses its held events with it, in the same call.
      expect(await store.clicks.reclassify([second.clickId], "scanner", "burst", new Date(Date.now() - 60_000).toISOString())).toBe(1);
      expect((await store.signals.due(0, soon, 10)).map((s) => s.subject)).toEqual([`application:${APP_S}`]);
    });
  });

  describe(`${name}: applications`, () => {
    test("put labels an application and changes only the fields given; find and list", async () => {
      const store = await fresh();
      expect(await store.applications.find(APP_1)).toBeUndefined();
      const made = await store.applications.put(APP_1, { company: "Acme", role: "Senior Engineer", sentAt: at(0) }, at(1));
      expect(made).toEqual({ applicationId: APP_1, company: "Acme", role: "Senior Engineer", jobId: null, sentAt: at(0), notes: null, createdAt: at(1), updatedAt: at(1) });
      const changed = await store.applications.put(APP_1, { notes: "Met Jane at the meetup", jobId: JOB_1, role: null }, at(2));
      expect(changed).toEqual({ ...made, role: null, notes: "Met Jane at the meetup", jobId: JOB_1, updatedAt: at(2) });
      expect(await store.applications.find(APP_1)).toEqual(changed);
      await store.applications.put(APP_S, { company: "Initech" }, at(3));
      expect((await store.applications.list()).map((a) => a.company)).toEqual(["Acme", "Initech"]);
      expect((await store.applications.list([APP_S, APP_W])).map((a) => a.applicationId)).toEqual([APP_S]);
      // In a transaction with the links it names, all or none.
      await expect(
        store.tx(async (tx) => {
          await tx.applications.put(APP_W, { company: "Globex" }, at(4));
          await tx.links.insert([link("ap-1", { applicationId: APP_W }), link("ap-1")]);
        }),
      ).rejects.toBeInstanceOf(AppError);
      expect(await store.applications.find(APP_W)).toBeUndefined();
    });

    test("page: every application, named or known by its links only, most recent first, in pages that meet", async () => {
      const store = await fresh();
      const ids = Array.from({ length: 7 }, (_, i) => `b0000000-0000-4000-8000-00000000000${i}`);
      // Named and sent; named without a date (its naming counts); known by links only (its first link counts); both.
      await store.applications.put(ids[0]!, { company: "Sent", sentAt: at(50) }, at(1));
      await store.applications.put(ids[1]!, { company: "Named" }, at(40));
      await store.links.insert([link("pg-2a", { applicationId: ids[2]!, createdAt: at(30) }), link("pg-2b", { applicationId: ids[2]!, createdAt: at(35) })]);
      await store.links.insert([link("pg-3", { applicationId: ids[3]!, createdAt: at(20) })]);
      await store.applications.put(ids[3]!, { company: "Both" }, at(60));
      // Two at the same instant: the greater id first.
      await store.applications.put(ids[4]!, { company: "Tie" }, at(10));
      await store.applications.put(ids[5]!, { company: "Tie" }, at(10));
      await store.links.insert([link("pg-none")]);
      // (A store of this suite may hold applications of the tests before.)
      const all = (await store.applications.page(100)).filter((r) => ids.includes(r.applicationId));
      expect(all.map((r) => [r.applicationId, r.since, r.links, r.firstLinkAt])).toEqual([
        [ids[0], at(50), 0, null],
        [ids[1], at(40), 0, null],
        [ids[2], at(30), 2, at(30)],
        [ids[3], at(20), 1, at(20)],
        [ids[5], at(10), 0, null],
        [ids[4], at(10), 0, null],
      ]);
      const pages: string[] = [];
      let after: { since: string; applicationId: string } | undefined;
      for (let n = 0; n < 10; n++) {
        const page = await store.applications.page(2, after);
        pages.push(...page.map((r) => r.applicationId));
        if (page.length < 2) break;
        after = { since: page[1]!.since, applicationId: page[1]!.applicationId };
      }
      expect(pages.filter((id) => ids.includes(id))).toEqual(all.map((r) => r.applicationId));
      expect(new Set(pages).size).toBe(pages.length);
    });
    test("named: by company and role, case and outer spaces aside, most recent first; withIdPrefix: named or known by links only", async () => {
      const store = await fresh();
      // Ids of this test's own (a PostgreSQL store's tests may share one database).
      const [N1, N2, N3, N4] = [1, 2, 3, 4].map((n) => `c1000000-0000-4000-8000-00000000000${n}`);
      await store.applications.put(N1, { company: "Vandelay", role: "SRE", sentAt: at(0) }, at(1));
      await store.applications.put(N2, { company: "vandelay ", role: " sre", sentAt: at(5) }, at(2));
      await store.applications.put(N3, { company: "Vandelay", role: null }, at(3));
      expect((await store.applications.named("VANDELAY", "SRE")).map((a) => a.applicationId)).toEqual([N2, N1]);
      expect((await store.applications.named("Vandelay", null)).map((a) => a.applicationId)).toEqual([N3]);
      expect((await store.applications.named("Vandelay", "")).map((a) => a.applicationId)).toEqual([N3]);
      expect(await store.applications.named("Globex", "SRE")).toEqual([]);
      // N4 has no name, only a link.
      await store.links.insert([link("px1", { applicationId: N4 })]);
      expect(await store.applications.withIdPrefix("c1000000-0000-4000-8000-00000000000", 10)).toEqual([N1, N2, N3, N4]);
      expect(await store.applications.withIdPrefix("C1000000-0000-4000-8000-000000000004", 10)).toEqual([N4]);
      expect(await store.applications.withIdPrefix("c1000000", 2)).toEqual([N1, N2]);
      expect(await store.applications.withIdPrefix("c2", 10)).toEqual([]);
      expect(await store.applications.withIdPrefix("zz%", 10)).toEqual([]);
      // search: a part of the company or role, case aside, most recent first; % and _ are only characters.
      const [K1, K2] = [5, 6].map((n) => `c1000000-0000-4000-8000-00000000000${n}`);
      await store.applications.put(K1, { company: "Kramerica Industries", role: "Latex Salesman", sentAt: at(10) }, at(4));
      await store.applications.put(K2, { company: "Kramerica", role: "Intern", sentAt: at(20) }, at(5));
      expect((await store.applications.search("KRAMERICA", 10)).map((a) => a.applicationId)).toEqual([K2, K1]);
      expect((await store.applications.search(" industries latex ", 10)).map((a) => a.applicationId)).toEqual([K1]);
      expect((await store.applications.search("kramerica", 1)).map((a) => a.applicationId)).toEqual([K2]);
      expect(await store.applications.search("kramer%", 10)).toEqual([]);
    });
  });

  describe(`${name}: webhooks, keys, settings, outbox`, () => {
    test("webhook endpoints and their deliveries", async () => {
      const store = await fresh({ signals: { returnDays: 30, holdSeconds: 0 } });
      await store.links.insert([link("w1", { applicationId: APP_W })]);
      const endpoint = await store.webhooks.insert({ id: "wh_1", url: "http://127.0.0.1:9/hook", secret: "whsec_x", eventTypes: ["click.first_human"], description: null, active: true, createdAt: at(0), scannedSeq: 0, ...PLAIN });
      expect(await store.webhooks.list()).toEqual([endpoint]);
      // The events of one click, in order.
      const events = async () => (await store.signals.due(0, new Date(Date.now() + 60_000).toISOString(), 10)).map((s) => [s.type, s.subject]);
      // A first human click: of the link, and of its application (two events of one link).
      await store.clicks.record([click("w1", 1)]);
      await store.webhooks.schedule(endpoint, new Date().toISOString());
      const now = new Date().toISOString();
      const due = await store.webhooks.dueDeliveries(now, 10);
      expect(due.length).toBe(1); // a link's second event waits for its first
      await store.webhooks.recordAttempt(due[0].seq, { status: "delivered", attempts: 1, deliveredAt: now });
      expect((await store.webhooks.dueDeliveries(now, 10)).length).toBe(1);
      expect((await store.webhooks.deliveriesOf("wh_1", 10)).map((d) => d.delivery.status).sort()).toEqual(["delivered", "pending"]);
      expect(await store.webhooks.findDelivery("wh_1", due[0].seq)).toMatchObject({ status: "delivered" });
      const [first] = await store.signals.due(0, now, 1);
      expect((await store.signals.ofClick(first!.clickId)).map((s) => s.subject)).toEqual(["link:w1", `application:${APP_W}`]);
      expect(await store.signals.ofClick("0190ffff-0000-7000-8000-000000000000")).toEqual([]);
      expect(await events()).toHaveLength(2);
      // Paused, or switched off: its deliveries wait (and no other endpoint's wait behind them).
      const pending = (await store.webhooks.deliveriesOf("wh_1", 10)).find((d) => d.delivery.status === "pending")!;
      await store.webhooks.recordAttempt(pending.delivery.seq, { attempts: 1 }); // an attempt ends its claim (PostgreSQL's lease)
      const paused = await store.webhooks.update("wh_1", { pausedAt: at(9), pausedReason: "paused after 10 failed deliveries in a row", failures: 10 });
      expect(paused).toMatchObject({ pausedAt: at(9), pausedReason: "paused after 10 failed deliveries in a row", failures: 10, format: "standard-webhooks" });
      expect(await store.webhooks.dueDeliveries(now, 10)).toEqual([]);
      await store.webhooks.update("wh_1", { pausedAt: null, pausedReason: null, failures: 0 });
      expect((await store.webhooks.dueDeliveries(now, 10)).length).toBe(1);
      const ntfy = await store.webhooks.insert({ id: "wh_2", url: "https://ntfy.sh/jobs", secret: "whsec_y", eventTypes: ["click.first_human"], description: null, active: true, createdAt: at(1), scannedSeq: 0, ...PLAIN, format: "ntfy", token: "tk_abc" });
      expect(await store.webhooks.find("wh_2")).toEqual(ntfy);
      expect(ntfy).toMatchObject({ format: "ntfy", token: "tk_abc", chatId: null });
      // A day's digest is taken once.
      expect(await store.webhooks.claimDigest("wh_2", "2026-03-02")).toBe(true);
      expect(await store.webhooks.claimDigest("wh_2", "2026-03-02")).toBe(false);
      expect(await store.webhooks.claimDigest("wh_2", "2026-03-01")).toBe(false);
      expect(await store.webhooks.claimDigest("wh_2", "2026-03-03")).toBe(true);
      expect(await store.webhooks.find("wh_2")).toMatchObject({ digestDay: "2026-03-03" });
      expect(await store.webhooks.update("wh_1", { active: false })).toMatchObject({ active: false });
      expect(await store.webhooks.dueDeliveries(now, 10)).toEqual([]);
      expect(await store.webhooks.delete("wh_1")).toBe(true);
      expect(await store.webhooks.find("wh_1")).toBeUndefined();
    });

    test("keys: by hash while active, by name, revoked once", async () => {
      const store = await fresh();
      await store.keys.insert({ id: "k1", name: "node", scope: "ingest", keyHash: "h1", createdAt: at(0) });
      expect(await store.keys.findActiveByHash("h1")).toMatchObject({ name: "node", scope: "ingest", lastUsedAt: null });
      await store.keys.touch("k1", at(5));
      expect((await store.keys.findByName("node"))?.lastUsedAt).toBe(at(5));
      expect(await store.keys.countActive()).toBe(1);
      expect(await store.keys.revoke("node", at(6))).toBe(true);
      expect(await store.keys.revoke("node", at(7))).toBe(false);
      expect(await store.keys.findActiveByHash("h1")).toBeUndefined();
      expect((await store.keys.list()).map((k) => k.revokedAt)).toEqual([at(6)]);
      // A name is a key's for good: another key of the same name is a Conflict naming it, and nothing is written.
      expect(store.keys.insert({ id: "k2", name: "node", scope: "read", keyHash: "h2", createdAt: at(8) })).rejects.toThrow('a key named "node" already exists');
      expect(await store.keys.list()).toHaveLength(1);
    });

    test("dashboard sessions: found by token hash, listed while active, revoked by id, key or all, pruned once ended", async () => {
      const store = await fresh();
      const session = (id: string, keyName: string, created: number, expires: number) => ({
        id,
        tokenHash: `t-${id}`,
        keyName,
        keyHash: `h-${keyName}`,
        scope: "admin" as const,
        remember: id !== "s3",
        browser: id === "s1" ? "Firefox on Linux" : null,
        createdAt: at(created),
        expiresAt: at(expires),
      });
      await store.sessions.insert(session("s1", "me", 0, 100));
      await store.sessions.insert(session("s2", "me", 1, 100));
      await store.sessions.insert(session("s3", "coach", 2, 100));
      await store.sessions.insert(session("s4", "me", 3, 10)); // expires before the others
      expect(await store.sessions.findByTokenHash("t-s1")).toEqual({ ...session("s1", "me", 0, 100), revokedAt: null });
      expect((await store.sessions.find("s3"))?.remember).toBe(false);
      expect(await store.sessions.findByTokenHash("t-none")).toBeUndefined();
      expect((await store.sessions.listActive(at(5))).map((s) => s.id)).toEqual(["s4", "s3", "s2", "s1"]);
      expect((await store.sessions.listActive(at(20))).map((s) => s.id)).toEqual(["s3", "s2", "s1"]);
      expect(await store.sessions.revoke({ id: "s2" }, at(20))).toBe(1);
      expect(await store.sessions.revoke({ id: "s2" }, at(21))).toBe(0);
      expect((await store.sessions.find("s2"))?.revokedAt).toBe(at(20));
      // The key's sessions still active: s1 (s2 was revoked, s4 has expired).
      expect(await store.sessions.revoke({ keyName: "me" }, at(30))).toBe(1);
      expect(await store.sessions.revoke({ all: true }, at(40))).toBe(1);
      expect(await store.sessions.listActive(at(41))).toEqual([]);
      // Ended before at(25): s4 (expired at 10) and s2 (revoked at 20).
      expect(await store.sessions.prune(at(25))).toBe(2);
      expect((await Promise.all(["s1", "s2", "s3", "s4"].map((id) => store.sessions.find(id)))).map((s) => s?.id ?? null)).toEqual(["s1", null, "s3", null]);
    });

    test("settings are made once; the day's salt is kept for the day", async () => {
      const store = await fresh();
      expect(await store.settings.getOrCreate("k", () => "first")).toBe("first");
      expect(await store.settings.getOrCreate("k", () => "second")).toBe("first");
      const salt = await store.settings.saltForDay("2026-03-02");
      expect(await store.settings.saltForDay("2026-03-02")).toBe(salt);
      expect(await store.settings.saltForDay("2026-03-03")).not.toBe(salt);
    });

    if (capabilities.outbox !== false) test("the outbox: queued once per event id, acknowledged or dead-lettered", async () => {
      const store = await fresh();
      const events = ["e1", "e2", "e3"].map((id) => ({ event_id: id, tracking_id: "t" }));
      await store.outbox.enqueue(events, at(0));
      await store.outbox.enqueue(events.slice(0, 1), at(1));
      const rows = await store.outbox.peek(10);
      expect(rows.map((r) => r.eventId)).toEqual(["e1", "e2", "e3"]);
      await store.outbox.acknowledge([rows[0].seq], [{ row: rows[1], reason: "Event 2: bad" }], at(2));
      expect(await store.outbox.status()).toMatchObject({ pending: 1, dead_letters: 1, recent_dead_letters: [{ event_id: "e2", reason: "Event 2: bad" }] });
    });
  });

  describe(`${name}: destinations`, () => {
    const state = (trackingId: string, minutes: number, extra: Partial<DestinationState> = {}): DestinationState => ({
      trackingId, checkedAt: at(minutes), ok: false, status: 404, error: "404 Not Found", failures: 1, down: false, downSince: null, ...extra,
    });
    const event = (trackingId: string, type: SignalType): NewSignal => ({
      eventId: `evt_${trackingId}_${type}`, type, createdAt: at(0), deliverAfter: at(0), clickId: Bun.randomUUIDv7(), trackingId, subject: `destination:${trackingId}`,
      payload: { id: `evt_${trackingId}`, type, created_at: at(0), data: {} },
    });

    test("a check is stored with its event in one transaction, seen by of(); down lists active links longest down first; a deleted link takes its checks along", async () => {
      const store = await fresh();
      await store.links.insert([link("d1"), link("d2"), link("d3"), link("d4", { isActive: false }), link("d5", { expiresAt: at(5) })]);
      const seen: (DestinationState | undefined)[] = [];
      const first = await store.destinations.record("d1", (before, l) => {
        seen.push(before);
        expect(l.trackingId).toBe("d1");
        return { state: state("d1", 1), signal: null };
      });
      expect(first).toEqual(state("d1", 1));
      await store.destinations.record("d1", (before) => {
        seen.push(before);
        return { state: state("d1", 2, { failures: 2, down: true, downSince: at(2) }), signal: event("d1", "link.destination_down") };
      });
      expect(seen).toEqual([undefined, state("d1", 1)]);
      for (const id of ["d2", "d4", "d5"]) await store.destinations.record(id, () => ({ state: state(id, 3, { failures: 2, down: true, downSince: at(1) }), signal: null }));
      // null stores nothing, and answers the state as it was.
      expect(await store.destinations.record("d1", () => null)).toMatchObject({ down: true, checkedAt: at(2) });
      expect(await store.destinations.record("nope", () => ({ state: state("nope", 1), signal: null }))).toBeUndefined();

      expect([...(await store.destinations.of(["d1", "d2", "d3"])).keys()].sort()).toEqual(["d1", "d2"]);
      expect((await store.destinations.of(["d1"])).get("d1")).toEqual(state("d1", 2, { failures: 2, down: true, downSince: at(2) }));
      // d4 is inactive and d5 expired at minute 5: not a recruiter's problem.
      expect((await store.destinations.down(at(10), 10)).map((d) => [d.link.trackingId, d.state.downSince])).toEqual([["d2", at(1)], ["d1", at(2)]]);
      expect((await store.signals.due(0, at(1), 10)).map((s) => [s.type, s.trackingId])).toEqual([["link.destination_down", "d1"]]);

      await store.destinations.forget("d2");
      expect((await store.destinations.of(["d2"])).size).toBe(0);
      expect(await store.links.deleteWithClicks("d1")).toBe(0);
      expect((await store.destinations.of(["d1"])).size).toBe(0);
    });

    test("the pass: active links after an id, in id order; failing: failed once, not down, checked long enough ago; inTurn is one transaction", async () => {
      const store = await fresh();
      await store.links.insert(["p3", "p1", "p5", "p2", "p4"].map((id) => link(id, { isActive: id !== "p4" })));
      const ids = (rows: { trackingId: string }[]) => rows.map((r) => r.trackingId);
      expect(ids(await store.destinations.activeAfter(null, 2, at(0)))).toEqual(["p1", "p2"]);
      expect(ids(await store.destinations.activeAfter("p2", 10, at(0)))).toEqual(["p3", "p5"]);
      expect((await store.destinations.activeAfter("p3", 1, at(0)))[0]).toEqual({ trackingId: "p5", originalUrl: "https://example.com/p5" });
      await store.destinations.record("p1", () => ({ state: state("p1", 1), signal: null }));
      await store.destinations.record("p2", () => ({ state: state("p2", 5), signal: null }));
      await store.destinations.record("p3", () => ({ state: state("p3", 1, { failures: 2, down: true, downSince: at(1) }), signal: null }));
      await store.destinations.record("p5", () => ({ state: state("p5", 1, { ok: true, status: 200, error: null, failures: 0 }), signal: null }));
      expect(ids(await store.destinations.failing(at(3), 10, at(3)))).toEqual(["p1"]);
      expect(ids(await store.destinations.failing(at(9), 10, at(9)))).toEqual(["p1", "p2"]);

      const inTurn = await store.destinations.inTurn(async (tx) => {
        await tx.settings.put("pass", "p2");
        return tx.settings.get("pass");
      });
      expect(inTurn).toBe("p2");
      await store.destinations
        .inTurn(async (tx) => {
          await tx.settings.put("pass", "p9");
          throw new Error("rolled back");
        })
        .catch(() => {});
      expect(await store.settings.get("pass")).toBe("p2");
    });
  });

  describe(`${name}: transactions and health`, () => {
    test("tx: every write in it lands, or none does", async () => {
      const store = await fresh();
      await store.tx(async (tx) => {
        await tx.links.insert([link("t1")]);
        await tx.keys.insert({ id: "k", name: "n", scope: "read", keyHash: "h", createdAt: at(0) });
      });
      expect(await store.links.find("t1")).toBeDefined();
      const failed = await store
        .tx(async (tx) => {
          await tx.links.insert([link("t2")]);
          throw new Error("changed my mind");
        })
        .catch((e: Error) => e.message);
      expect(failed).toBe("changed my mind");
      expect(await store.links.find("t2")).toBeUndefined();
      // The store goes on taking writes after a rolled-back transaction.
      await store.links.insert([link("t3")]);
      expect(await store.links.find("t3")).toBeDefined();
    });

    test("probe answers, size is a number", async () => {
      const store = await fresh();
      await store.probe();
      expect(store.size()).toBeGreaterThanOrEqual(0);
    });
  });
}
