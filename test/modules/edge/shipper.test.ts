import { afterEach, describe, expect, test } from "bun:test";
import { openSqliteStore } from "../../../src/db/sqlite/store";
import type { Store } from "../../../src/db/store";
import { silentLogger } from "../../../src/lib/log";
import { Shipper } from "../../../src/modules/edge/shipper";

type Handler = (body: { events: { event_id: string }[] }, attempt: number) => Response | Promise<Response>;

const servers: ReturnType<typeof Bun.serve>[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.stop(true);
});

/** A fake upstream on loopback: answers with `handler`, remembers every batch it got. */
function upstream(handler: Handler) {
  const received: string[][] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const body = (await req.json()) as { events: { event_id: string }[] };
      received.push(body.events.map((e) => e.event_id));
      return handler(body, received.length);
    },
  });
  servers.push(server);
  return { url: `http://127.0.0.1:${server.port}/api/tracking-ingest/batch`, received };
}

const ok = (n: number) => Response.json({ success: true, message: `Processed ${n} events`, results: { total_events: n, successful: n, failed: 0, errors: [] } });

async function outboxWith(n: number) {
  const db = openSqliteStore(":memory:");
  await db.outbox.enqueue(
    Array.from({ length: n }, (_, i) => ({ event_id: `ev${i}`, tracking_id: "t1", clicked_at: "2025-10-22T14:30:00.000Z" })),
    new Date().toISOString(),
  );
  return db;
}

const shipper = (db: Store, url: string, extra: Partial<ConstructorParameters<typeof Shipper>[1]> = {}) =>
  new Shipper(db, { url, apiKey: "edge-key-0123456789", log: silentLogger(), baseDelayMs: 20, maxDelayMs: 200, idleMs: 20, ...extra });

async function until(check: () => boolean | Promise<boolean>, ms = 5000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await Bun.sleep(10);
  }
}

describe("the shipper", () => {
  test("batches of at most 500, each event with its event_id and the key; the outbox empties on 200", async () => {
    let key = "";
    const up = upstream(async (b) => ok(b.events.length));
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (req) => ((key = req.headers.get("x-api-key") ?? ""), ok(0)) });
    servers.push(server);
    await shipper(await outboxWith(1), `http://127.0.0.1:${server.port}/`).shipOnce();
    expect(key).toBe("edge-key-0123456789");
    const db = await outboxWith(1200);
    const s = shipper(db, up.url);
    s.start();
    await until(async () => (await db.outbox.status()).pending === 0);
    await s.flush(100);
    expect(up.received.map((b) => b.length)).toEqual([500, 500, 200]);
    expect(new Set(up.received.flat()).size).toBe(1200);
  });

  test("500 twice, then 200: retried with backoff, nothing lost, nothing sent once acknowledged", async () => {
    const up = upstream((b, attempt) => (attempt <= 2 ? new Response("boom", { status: 500 }) : ok(b.events.length)));
    const db = await outboxWith(3);
    const s = shipper(db, up.url);
    s.start();
    await until(async () => (await db.outbox.status()).pending === 0);
    await s.flush(100);
    expect(up.received).toEqual([["ev0", "ev1", "ev2"], ["ev0", "ev1", "ev2"], ["ev0", "ev1", "ev2"]]);
    expect((await db.outbox.status()).dead_letters).toBe(0);
  });

  test("429 with Retry-After: waits that long before trying again", async () => {
    const times: number[] = [];
    const up = upstream((b, attempt) => {
      times.push(Date.now());
      return attempt === 1 ? new Response("slow down", { status: 429, headers: { "Retry-After": "1" } }) : ok(b.events.length);
    });
    const db = await outboxWith(2);
    const s = shipper(db, up.url, { maxDelayMs: 5000 });
    s.start();
    await until(async () => (await db.outbox.status()).pending === 0);
    await s.flush(100);
    expect(times).toHaveLength(2);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(950);
  });

  test("207 with one event rejected: the others leave the outbox, the rejected one becomes a dead letter with the reason", async () => {
    const up = upstream(() =>
      Response.json(
        {
          success: false,
          message: "Processed 3 events",
          warning: "1 events failed to process",
          results: { total_events: 3, successful: 2, failed: 1, errors: ["Event 2: Invalid tracking_id format"] },
        },
        { status: 207 },
      ),
    );
    const db = await outboxWith(3);
    await shipper(db, up.url).shipOnce();
    const status = (await db.outbox.status());
    expect(status.pending).toBe(0);
    expect(status.dead_letters).toBe(1);
    expect(status.recent_dead_letters).toEqual([{ event_id: "ev1", reason: "Invalid tracking_id format", failed_at: expect.any(String) }]);
  });

  test("a 10 s answer: the send times out, the events stay, and go with the next answer", async () => {
    const up = upstream(async (b, attempt) => {
      if (attempt === 1) await Bun.sleep(10_000);
      return ok(b.events.length);
    });
    const db = await outboxWith(2);
    const s = shipper(db, up.url, { timeoutMs: 300 });
    const first = await s.shipOnce();
    expect(first.kind).toBe("retry");
    expect((await db.outbox.peek(10)).map((r) => r.eventId)).toEqual(["ev0", "ev1"]);
    expect((await s.shipOnce()).kind).toBe("settled");
    expect((await db.outbox.status()).pending).toBe(0);
  });

  test("401 (a wrong key) keeps the events: a setting to fix, not clicks to drop", async () => {
    const up = upstream(() => Response.json({ success: false, error: "Unauthorized" }, { status: 401 }));
    const db = await outboxWith(2);
    const outcome = await shipper(db, up.url).shipOnce();
    expect(outcome.kind).toBe("retry");
    expect((await db.outbox.status())).toMatchObject({ pending: 2, dead_letters: 0 });
  });

  test("an upstream that is not there: network errors are retried, events kept", async () => {
    const db = await outboxWith(1);
    const outcome = await shipper(db, "http://127.0.0.1:1/api/tracking-ingest/batch").shipOnce();
    expect(outcome.kind).toBe("retry");
    expect((await db.outbox.status()).pending).toBe(1);
  });
});

describe("backoff and new clicks", () => {
  test("new clicks do not cut a backoff short: a failing upstream is not sent a batch per click", async () => {
    const up = upstream(() => new Response("down", { status: 503 }));
    const db = await outboxWith(1);
    const s = shipper(db, up.url, { baseDelayMs: 400, maxDelayMs: 400 });
    s.start();
    await until(() => up.received.length >= 1);
    for (let i = 0; i < 20; i++) {
      s.wake();
      await Bun.sleep(5);
    }
    // 20 wakes within ~100 ms; the backoff (random, up to 400 ms) lets a few tries through, not 20.
    expect(up.received.length).toBeLessThanOrEqual(6);
    await s.flush(50);
  });
});
