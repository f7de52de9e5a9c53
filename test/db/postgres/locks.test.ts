/**
 * Background work takes turns across instances through transaction-level advisory locks:
 * while another instance holds one, this instance's turn does nothing (and loses nothing:
 * the holder does the work). Needs a real server (two connections).
 */
import { afterAll, describe, expect, test } from "bun:test";
import postgres from "postgres";
import { openPostgresStore } from "../../../src/db/postgres";
import { LOCKS } from "../../../src/db/postgres/store";
import type { Store } from "../../../src/db/store";
import { realPostgres } from "../../postgres-utils";

const pg = await realPostgres();
const opened: Store[] = [];
const clients: postgres.Sql[] = [];
afterAll(async () => {
  for (const s of opened) await s.close();
  for (const c of clients) await c.end({ timeout: 1 });
  await pg.dropAll();
});

/** Holds `key` in an open transaction of another connection (another instance) until the returned function is called. */
async function holdLock(url: string, key: number): Promise<() => Promise<void>> {
  const other = postgres(url, { max: 1, onnotice: () => {} });
  clients.push(other);
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let held!: () => void;
  const holding = new Promise<void>((resolve) => (held = resolve));
  const done = other.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${key})`;
    held();
    await released;
  });
  await holding;
  return async () => {
    release();
    await done;
  };
}

describe.skipIf(!pg.url)(`advisory locks between instances${pg.url ? "" : ` (skipped: ${pg.reason})`}`, () => {
  test("retention: nothing pruned while another instance holds the lock, everything after", async () => {
    const url = await pg.freshDatabase();
    const store = await openPostgresStore(url);
    opened.push(store);
    const old = new Date(Date.now() - 3 * 86_400_000).toISOString();
    await store.clicks.insert(
      Array.from({ length: 5 }, (_, i) => ({ clickId: Bun.randomUUIDv7(), trackingId: "old", clickedAt: old, receivedAt: old, origin: "ingest" as const, visitorKind: "human" as const, outcome: "redirected" as const, idempotencyKey: `old-${i}` })),
    );
    const release = await holdLock(url, LOCKS.retention);
    expect(await store.clicks.deleteBefore(new Date().toISOString(), 100)).toBe(0);
    await release();
    expect(await store.clicks.deleteBefore(new Date().toISOString(), 100)).toBe(5);
  });

  test("webhook scheduling: skipped while another instance schedules", async () => {
    const url = await pg.freshDatabase();
    const store = await openPostgresStore(url);
    opened.push(store);
    const endpoint = await store.webhooks.insert({ id: "wh_l", url: "http://127.0.0.1:9/", secret: "whsec_x", eventTypes: ["click.first_human"], description: null, active: true, createdAt: new Date().toISOString(), scannedSeq: 0, format: "standard-webhooks", token: null, chatId: null, failures: 0, pausedAt: null, pausedReason: null, digestHour: null, timeZone: null, digestOnly: false, digestSeq: 0, digestDay: null });
    const db = postgres(url, { max: 1, onnotice: () => {} });
    clients.push(db);
    await db`insert into link_tracker.signal_events (event_id, type, created_at, deliver_after, click_id, tracking_id, subject, payload)
      values ('evt_l', 'click.first_human', now(), now(), gen_random_uuid(), 'l', 'link:l', '{}')`;
    const release = await holdLock(url, LOCKS.schedule);
    await store.webhooks.schedule(endpoint, new Date().toISOString());
    expect(await store.webhooks.dueDeliveries(new Date().toISOString(), 10)).toEqual([]);
    await release();
    await store.webhooks.schedule(endpoint, new Date().toISOString());
    expect(await store.webhooks.dueDeliveries(new Date().toISOString(), 10)).toHaveLength(1);
  });

  test("destination checks: the next links of the pass are one instance's at a time", async () => {
    const url = await pg.freshDatabase();
    const store = await openPostgresStore(url);
    opened.push(store);
    const release = await holdLock(url, LOCKS.destinations);
    expect(await store.destinations.inTurn(async () => "taken")).toBeNull();
    await release();
    expect(await store.destinations.inTurn(async () => "taken")).toBe("taken");
  });
});
