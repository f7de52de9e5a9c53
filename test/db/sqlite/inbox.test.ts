import { describe, expect, test } from "bun:test";
import { inboxBacklog, queueClicks, settleClicks, startInboxMover } from "../../../src/db/sqlite/inbox";
import { silentLogger } from "../../../src/lib/log";
import { call, setup, sqliteOf } from "../../utils";

const CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";
const count = (ctx: ReturnType<typeof setup>, table: string) => (sqliteOf(ctx.store).query(`select count(*) as n from ${table}`).get() as { n: number }).n;

async function withLinks(n: number) {
  const ctx = setup();
  const links = Array.from({ length: n }, (_, i) => ({ original_url: "https://example.com/", link_function: "LinkedIn", tracking_id: `inbox-${i}` }));
  expect((await call(ctx.app, "/api/link-tracking/links/bulk", { json: { links } })).status).toBe(201);
  const click = (id: string) =>
    ctx.app.handle(new Request(`http://localhost/linkedin?uuid=${id}`, { headers: { "user-agent": CHROME, "accept-language": "en" } }));
  // One click per link first, so that the signals memo knows every link (signal-facts.ts)
  // and the clicks of a test only ever wait in the inbox.
  for (const l of links) await click(l.tracking_id);
  settleClicks(ctx.store.db);
  sqliteOf(ctx.store).run("delete from link_clicks");
  sqliteOf(ctx.store).run("delete from click_daily");
  return { ...ctx, click };
}

const waitFor = async (done: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!done() && Date.now() < end) await Bun.sleep(10);
  return done();
};

describe("click inbox", () => {
  test("a redirect's click is committed to the inbox; the first read moves it and counts it per day", async () => {
    const ctx = await withLinks(3);
    for (const id of ["inbox-0", "inbox-1", "inbox-0", "inbox-2"]) expect((await ctx.click(id)).status).toBe(302);
    expect(count(ctx, "click_inbox")).toBe(4);
    expect(count(ctx, "link_clicks")).toBe(0);

    const res = await call(ctx.app, "/api/link-tracking/analytics/inbox-0");
    expect(res.body.click_statistics.total_clicks).toBe(2);
    expect(count(ctx, "click_inbox")).toBe(0);
    expect(count(ctx, "link_clicks")).toBe(4);
    const daily = sqliteOf(ctx.store).query("select tracking_id, clicks from click_daily order by tracking_id").all();
    expect(daily).toEqual([
      { tracking_id: "inbox-0", clicks: 2 },
      { tracking_id: "inbox-1", clicks: 1 },
      { tracking_id: "inbox-2", clicks: 1 },
    ]);
  });

  test("a move takes the oldest clicks first, at most `limit`, each exactly once", async () => {
    const ctx = await withLinks(5);
    for (let i = 0; i < 25; i++) await ctx.click(`inbox-${i % 5}`);
    expect(inboxBacklog(ctx.store.db)).toBe(25);
    expect(settleClicks(ctx.store.db, 10)).toBe(10);
    expect(inboxBacklog(ctx.store.db)).toBe(15);
    const moved = sqliteOf(ctx.store).query("select click_id from link_clicks order by click_id").all() as { click_id: string }[];
    const waiting = sqliteOf(ctx.store).query("select click_id from click_inbox order by click_id").all() as { click_id: string }[];
    expect(moved.at(-1)!.click_id < waiting[0].click_id).toBe(true);
    expect(settleClicks(ctx.store.db)).toBe(15);
    expect(settleClicks(ctx.store.db)).toBe(0);
    expect(count(ctx, "link_clicks")).toBe(25);
    expect((sqliteOf(ctx.store).query("select count(distinct click_id) as n from link_clicks").get() as { n: number }).n).toBe(25);
  });

  test("an API read moves a big backlog in slices: redirects are answered in between, and the read counts every click", async () => {
    const ctx = await withLinks(10);
    const now = new Date().toISOString();
    const backlog = Array.from({ length: 40_000 }, (_, i) => ({ clickId: Bun.randomUUIDv7(), trackingId: `inbox-${i % 10}`, clickedAt: now, receivedAt: now, origin: "redirect" as const, visitorKind: "human" as const, outcome: "redirected" as const }));
    queueClicks(ctx.store.db, backlog);
    const order: string[] = [];
    const read = call(ctx.app, "/api/link-tracking/analytics/inbox-0").then((res) => {
      order.push("read");
      return res;
    });
    await Bun.sleep(1); // the read is under way: moving its first slices
    const redirect = ctx.click("inbox-1").then((res) => {
      order.push("redirect");
      return res;
    });
    expect((await redirect).status).toBe(302);
    const res = await read;
    expect(order).toEqual(["redirect", "read"]);
    expect(res.status).toBe(200);
    expect(res.body.click_statistics.total_clicks).toBe(4000);
    expect(count(ctx, "click_inbox")).toBe(0);
  });

  test("a failed write leaves neither the clicks nor what `after` wrote", async () => {
    const ctx = await withLinks(1);
    const click = { clickId: Bun.randomUUIDv7(), trackingId: "inbox-0", clickedAt: new Date().toISOString(), receivedAt: new Date().toISOString(), origin: "redirect" as const, visitorKind: "human" as const, outcome: "redirected" as const };
    expect(() =>
      queueClicks(ctx.store.db, [click], () => {
        throw new Error("signals failed");
      }),
    ).toThrow("signals failed");
    expect(count(ctx, "click_inbox")).toBe(0);
  });

  test("deleting a link deletes its clicks still waiting in the inbox too", async () => {
    const ctx = await withLinks(2);
    await ctx.click("inbox-0");
    await ctx.click("inbox-1");
    const res = await call(ctx.app, "/api/link-tracking/links/inbox-0", { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(count(ctx, "click_inbox") + count(ctx, "link_clicks")).toBe(1);
    settleClicks(ctx.store.db);
    expect(sqliteOf(ctx.store).query("select tracking_id from link_clicks").all()).toEqual([{ tracking_id: "inbox-1" }]);
  });

  test("erasing an IP erases its clicks still waiting in the inbox too", async () => {
    const ctx = setup({ trustProxy: true, ipAnonymize: false });
    await call(ctx.app, "/api/link-tracking/links", { json: { original_url: "https://example.com/", link_function: "LinkedIn", tracking_id: "erase-me" } });
    const hit = (ip: string) =>
      ctx.app.handle(new Request("http://localhost/linkedin?uuid=erase-me", { headers: { "user-agent": CHROME, "accept-language": "en", "x-forwarded-for": ip } }));
    await hit("198.51.100.9");
    await hit("198.51.100.7");
    await hit("198.51.100.8");
    expect(count(ctx, "click_inbox")).toBe(3);
    const res = await call(ctx.app, "/api/link-tracking/clicks?ip=198.51.100.7", { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(count(ctx, "click_inbox")).toBe(0);
    expect(sqliteOf(ctx.store).query("select ip_address from link_clicks order by clicked_at").all()).toEqual([{ ip_address: "198.51.100.9" }, { ip_address: "198.51.100.8" }]);
  });

  test("the mover empties the inbox by itself when the server is quiet", async () => {
    const ctx = await withLinks(10);
    for (let i = 0; i < 50; i++) await ctx.click(`inbox-${i % 10}`);
    const mover = startInboxMover(ctx.store.db, silentLogger());
    try {
      expect(await waitFor(() => count(ctx, "click_inbox") === 0)).toBe(true);
      expect(count(ctx, "link_clicks")).toBe(50);
    } finally {
      mover.stop();
    }
  });

  test("a backlog does not starve redirects: once clicks come in over the network, the mover stops after a slice or two", async () => {
    const ctx = await withLinks(10);
    const now = new Date().toISOString();
    const backlog = Array.from({ length: 150_000 }, (_, i) => ({ clickId: Bun.randomUUIDv7(), trackingId: `inbox-${i % 10}`, clickedAt: now, receivedAt: now, origin: "redirect" as const, visitorKind: "human" as const, outcome: "redirected" as const }));
    queueClicks(ctx.store.db, backlog);
    const server = ctx.app.listen({ port: 0, hostname: "127.0.0.1" });
    const mover = startInboxMover(ctx.store.db, silentLogger());
    try {
      expect(await waitFor(() => count(ctx, "link_clicks") > 0)).toBe(true); // moving: the server is quiet
      // The load comes from another process, so that it keeps coming while a slice holds this event loop.
      const load = Bun.spawn(
        [process.execPath, "-e", `
          console.log("go");
          const end = Date.now() + 1500;
          await Promise.all(Array.from({ length: 16 }, async (_, i) => {
            while (Date.now() < end) await fetch("http://127.0.0.1:${server.server!.port}/linkedin?uuid=inbox-" + (i % 10), { redirect: "manual", headers: { "accept-language": "en", "user-agent": "Mozilla/5.0 Firefox/133.0" } });
          }));`],
        { stdout: "pipe", stderr: "inherit" },
      );
      const reader = load.stdout.getReader();
      await reader.read(); // "go": the load begins
      const movedBefore = count(ctx, "link_clicks");
      await load.exited;
      const movedUnderLoad = count(ctx, "link_clicks") - movedBefore;
      expect(movedBefore).toBeLessThan(150_000);
      // The slice under way when the clicks began and the next, and on a shared machine whose
      // pauses can make a tick or two look quiet, a few more (4,000 clicks each): never the
      // 150,000 a mover that kept going would move in that time.
      expect(movedUnderLoad).toBeLessThanOrEqual(5 * 4000);
      expect(await waitFor(() => count(ctx, "click_inbox") === 0, 15_000)).toBe(true);
    } finally {
      mover.stop();
      await ctx.app.stop(true);
    }
  }, 30_000);

  test("past maxBacklog the mover moves even while clicks keep coming", async () => {
    const ctx = await withLinks(10);
    const mover = startInboxMover(ctx.store.db, silentLogger(), { maxBacklog: 2000 });
    const until = Date.now() + 1500;
    try {
      while (Date.now() < until) await Promise.all(Array.from({ length: 50 }, (_, i) => ctx.click(`inbox-${i % 10}`)));
      // Busy all along (without the limit nothing moves: the test below): slice after slice moved.
      expect(count(ctx, "link_clicks")).toBeGreaterThanOrEqual(8000);
    } finally {
      mover.stop();
    }
  });

  test("the mover waits while clicks keep coming, so that redirects do not pay for it; onQuiet marks the end of the spell", async () => {
    const ctx = await withLinks(10);
    const quietAt: number[] = [];
    const mover = startInboxMover(ctx.store.db, silentLogger(), { onQuiet: () => quietAt.push(Date.now()) });
    const until = Date.now() + 400;
    let sent = 0;
    try {
      // Busy: far more than 100 clicks per 50 ms tick.
      while (Date.now() < until) {
        await Promise.all(Array.from({ length: 50 }, (_, i) => ctx.click(`inbox-${i % 10}`)));
        sent += 50;
      }
      const spellEnded = Date.now();
      expect(sent).toBeGreaterThan(500);
      // Most clicks waited (a tick that a pause of the shared machine made look quiet may
      // move a slice: that is the mover doing its job, so it is not counted against it).
      expect(count(ctx, "click_inbox")).toBeGreaterThan(sent / 2);
      expect(await waitFor(() => count(ctx, "click_inbox") === 0)).toBe(true);
      expect(count(ctx, "link_clicks")).toBe(sent);
      // The end of the busy spell was marked once it was over.
      expect(quietAt.filter((at) => at >= spellEnded)).toHaveLength(1);
    } finally {
      mover.stop();
    }
  });
});
