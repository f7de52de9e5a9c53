/**
 * Faults with the PostgreSQL store, on the compiled binary: an instance killed under
 * load loses no acknowledged click and doubles none; PostgreSQL stopped and started
 * under load is ridden out (302s from the links in memory, 503 for ingest, health
 * unhealthy) and recovered from without a restart. The second test stops a cluster of its
 * own (scripts/ensure-postgres.sh link_tracker_faults 55433), never the shared one.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import postgres from "postgres";
import { realPostgres } from "../postgres-utils";
import { BINARY, buildBinary, emptyFolder, startServer, stop, type Server } from "./binary";

const KEY = "pg-fault-key-0123456789abcdef";
const BROWSER = { "user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "accept-language": "en-GB" };

const shared = await realPostgres();
const own = shared.url ? await realPostgres({ name: "link_tracker_faults", port: 55433 }) : shared;
const running: Server[] = [];
const clients: postgres.Sql[] = [];

afterAll(async () => {
  for (const s of running) if (s.proc.exitCode === null) s.proc.kill("SIGKILL");
  for (const c of clients) await c.end({ timeout: 1 });
  if (own.url) own.control("start");
  await shared.dropAll();
  await own.dropAll();
});

const post = (server: Server, path: string, json: unknown) =>
  fetch(`${server.base}${path}`, { method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" }, body: JSON.stringify(json) });

async function createLink(server: Server, id: string) {
  expect((await post(server, "/api/link-tracking/links", { tracking_id: id, original_url: "https://example.com/", link_function: "LinkedIn" })).status).toBe(201);
}

describe.skipIf(!shared.url)(`PostgreSQL faults${shared.url ? "" : ` (skipped: ${shared.reason})`}`, () => {
  beforeAll(() => buildBinary(), 60_000);

  test(
    "kill -9 of an instance under redirect and ingest load: every acknowledged click stored, none twice",
    async () => {
      const url = await shared.freshDatabase();
      const db = postgres(url, { max: 2, onnotice: () => {} });
      clients.push(db);
      const env = { WEBHOOK_API_KEY: KEY, DATABASE_URL: url };
      const [a, b] = await Promise.all([startServer(emptyFolder(), env), startServer(emptyFolder(), env)]);
      running.push(a, b);
      await createLink(a, "loaded");
      await Bun.sleep(400);

      const redirected: number[] = [];
      const batches = new Map<number, { acknowledged: boolean; events: { event_id: string; tracking_id: string }[] }>();
      let n = 0;
      let stopped = false;
      const redirects = async () => {
        while (!stopped) {
          const i = n++;
          try {
            const res = await fetch(`${a.base}/linkedin?uuid=loaded&n=${i}`, { redirect: "manual", headers: BROWSER });
            if (res.status === 302) redirected.push(i);
          } catch {}
        }
      };
      let batch = 0;
      const ingest = async () => {
        while (!stopped) {
          const id = batch++;
          const events = Array.from({ length: 50 }, (_, e) => ({ event_id: `b${id}-e${e}`, tracking_id: "loaded", click_source: "edge" }));
          batches.set(id, { acknowledged: false, events });
          try {
            const res = await post(a, "/api/tracking-ingest/batch", { events });
            if (res.status === 200) batches.get(id)!.acknowledged = true;
          } catch {}
        }
      };
      const load = [...Array.from({ length: 8 }, redirects), ...Array.from({ length: 2 }, ingest)];
      await Bun.sleep(1500);
      await stop(a, "SIGKILL");
      stopped = true;
      await Promise.all(load);
      expect(redirected.length).toBeGreaterThan(20);

      // The edge resends what was not acknowledged, to the instance still up.
      for (const { acknowledged, events } of batches.values()) {
        if (!acknowledged) expect((await post(b, "/api/tracking-ingest/batch", { events })).status).toBe(200);
      }
      const stored = await db`select metadata->>'n' as n, count(*)::int as copies from link_clicks where origin = 'redirect' and outcome = 'redirected' group by 1`;
      const storedRedirects = new Map(stored.map((r) => [Number(r.n), r.copies as number]));
      for (const i of redirected) expect(storedRedirects.get(i)).toBe(1);
      expect([...storedRedirects.values()].every((copies) => copies === 1)).toBe(true);
      const events = await db`select idempotency_key, count(*)::int as copies from link_clicks where origin = 'ingest' group by 1`;
      expect(events.length).toBe([...batches.values()].reduce((sum, b) => sum + b.events.length, 0));
      expect(events.every((e) => e.copies === 1)).toBe(true);
      // The daily counts agree with the rows (both written in each click's transaction).
      const [{ rows, counted }] = await db`select (select count(*)::int from link_clicks) as rows,
        (select coalesce(sum(clicks), 0)::int from link_tracker.click_daily) as counted`;
      expect(counted).toBe(rows);
    },
    60_000,
  );

  test(
    "connections dropped in the middle of transactions: each batch stored whole or not at all, redirects go on, the server stays up",
    async () => {
      const url = await shared.freshDatabase();
      const server = await startServer(emptyFolder(), { WEBHOOK_API_KEY: KEY, DATABASE_URL: url });
      running.push(server);
      const db = postgres(url, { max: 1, onnotice: () => {} });
      clients.push(db);
      await createLink(server, "dropped");
      const redirects: number[] = [];
      let loading = true;
      const load = Array.from({ length: 4 }, async () => {
        while (loading) {
          const res = await fetch(`${server.base}/linkedin?uuid=dropped`, { redirect: "manual", headers: BROWSER }).catch(() => null);
          redirects.push(res?.status ?? 0);
        }
      });
      const statuses: number[] = [];
      for (let i = 0; i < 15; i++) {
        const events = Array.from({ length: 500 }, (_, e) => ({ event_id: `t${i}-${e}`, tracking_id: "dropped", user_agent: "x".repeat(200) }));
        const sent = post(server, "/api/tracking-ingest/batch", { events });
        let answered = false;
        void sent.finally(() => (answered = true));
        await Bun.sleep(i % 5);
        // Until the batch is answered (its write starts once its events are checked, a slice
        // per turn: later on a busy machine), every connection of the server that is in the
        // middle of something is dropped as soon as it is seen: its transaction is cut.
        for (const until = performance.now() + 2000; !answered && performance.now() < until; ) {
          await db`select pg_terminate_backend(pid) from pg_stat_activity
                   where application_name = 'link-tracker' and datname = current_database() and state <> 'idle'`;
          await Bun.sleep(1);
        }
        const res = await sent;
        statuses.push(res.status);
        const [{ n }] = await db`select count(*)::int as n from link_clicks where idempotency_key like ${`event:t${i}-%`}`;
        expect([0, 500]).toContain(n);
        if (res.status === 200) expect(n).toBe(500);
        else expect(res.status).toBe(503);
      }
      loading = false;
      await Promise.all(load);
      // It recovers by itself: the next batch goes through; no recruiter saw anything but a 302.
      // (A connection dropped a moment ago may still be in the pool for the first try.)
      let after = await post(server, "/api/tracking-ingest/batch", { events: [{ event_id: "after", tracking_id: "dropped" }] });
      for (let tries = 0; after.status === 503 && tries < 20; tries++) {
        await Bun.sleep(250);
        after = await post(server, "/api/tracking-ingest/batch", { events: [{ event_id: "after", tracking_id: "dropped" }] });
      }
      expect(after.status).toBe(200);
      expect(statuses.some((s) => s === 503)).toBe(true);
      expect(redirects.length).toBeGreaterThan(20);
      expect(redirects.filter((s) => s !== 302)).toEqual([]);
      expect(server.proc.exitCode).toBeNull();
    },
    60_000,
  );

  test.skipIf(!own.url)(
    "PostgreSQL stopped and started under load: 302s go on, ingest answers 503, health says unhealthy, all recovers by itself",
    async () => {
      const url = await own.freshDatabase();
      const server = await startServer(emptyFolder(), { WEBHOOK_API_KEY: KEY, DATABASE_URL: url });
      running.push(server);
      await createLink(server, "steady");
      const redirect = () => fetch(`${server.base}/linkedin?uuid=steady`, { redirect: "manual", headers: BROWSER }).then((r) => r.status);
      const ingest = () => post(server, "/api/tracking-ingest/batch", { events: [{ tracking_id: "steady", event_id: crypto.randomUUID() }] });
      const health = () => fetch(`${server.base}/api/tracking-ingest/health`).then((r) => r.status);
      expect(await redirect()).toBe(302);
      // Recruiters keep clicking through all of it: four at a time.
      const statuses: number[] = [];
      let loading = true;
      const load = Array.from({ length: 4 }, async () => {
        while (loading) statuses.push(await redirect().catch(() => 0));
      });

      await Bun.sleep(300);
      own.control("stop");
      const during = statuses.length;
      await Bun.sleep(1500);
      expect(statuses.length).toBeGreaterThan(during);
      const refused = await ingest();
      expect(refused.status).toBe(503);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(await refused.json()).toMatchObject({ success: false });
      expect(await health()).toBe(503);
      const metrics = await (await fetch(`${server.base}/metrics`, { headers: { authorization: `Bearer ${KEY}` } })).text();
      expect(Number(/link_tracker_clicks_total\{[^}]*"failed"\} (\d+)/.exec(metrics)?.[1] ?? 0)).toBeGreaterThan(0);
      expect(server.output()).toContain("clicks could not be recorded; redirects sent anyway");

      own.control("start");
      const end = Date.now() + 20_000;
      while ((await health()) !== 200 && Date.now() < end) await Bun.sleep(200);
      expect(await health()).toBe(200);
      expect((await ingest()).status).toBe(200);
      await Bun.sleep(300);
      loading = false;
      await Promise.all(load);
      expect(statuses.length).toBeGreaterThan(20);
      expect(statuses.filter((s) => s !== 302)).toEqual([]);
      const db = postgres(url, { max: 1, onnotice: () => {} });
      clients.push(db);
      const [{ n }] = await db`select count(*)::int as n from link_clicks where origin = 'redirect'`;
      // The first and the last redirect are stored; the ones during the outage were counted as failed.
      expect(n).toBeGreaterThanOrEqual(2);
      expect(server.proc.exitCode).toBeNull();
    },
    60_000,
  );
});

/** Runs the binary until it exits by itself; its exit code and what it said. */
async function runToExit(env: Record<string, string>): Promise<{ code: number | null; err: string }> {
  const proc = Bun.spawn([BINARY], { cwd: emptyFolder(), env: { PATH: process.env.PATH ?? "", PORT: "0", HOST: "127.0.0.1", DESTINATION_CHECK_SECONDS: "0", WEBHOOK_API_KEY: KEY, ...env }, stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
  const [err, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, err };
}

describe("a DATABASE_URL that cannot be used: a clear message, nothing half-made", () => {
  beforeAll(() => buildBinary(), 60_000);

  test("malformed: exit 2 naming the variable", async () => {
    const { code, err } = await runToExit({ DATABASE_URL: "postgres//nohost/x" });
    expect(code).toBe(2);
    expect(err).toContain("DATABASE_URL");
  });

  test("nothing listening: tried again for DATABASE_CONNECT_WAIT_SECONDS, then exit 1, the password never shown", async () => {
    const { code, err } = await runToExit({ DATABASE_URL: "postgres://lt:hunter2@127.0.0.1:1/x", DATABASE_CONNECT_WAIT_SECONDS: "2" });
    expect(code).toBe(1);
    expect(err).toContain("cannot connect to postgres://lt:***@127.0.0.1:1/x");
    expect(err).toContain("ECONNREFUSED");
    expect(err).not.toContain("hunter2");
  }, 30_000);

  test.skipIf(!shared.url)("wrong password, no such database, a role without privileges: exit 1 saying which", async () => {
    const admin = postgres(shared.url!, { max: 1, onnotice: () => {} });
    clients.push(admin);
    const url = new URL(await shared.freshDatabase());
    const wrong = new URL(url);
    wrong.password = "not-the-password";
    const refused = await runToExit({ DATABASE_URL: wrong.toString() });
    expect(refused.code).toBe(1);
    expect(refused.err).toContain("the password was refused");

    const missing = new URL(url);
    missing.pathname = "/no_such_database_here";
    const absent = await runToExit({ DATABASE_URL: missing.toString() });
    expect(absent.code).toBe(1);
    expect(absent.err).toContain("the database does not exist");

    await admin.unsafe("drop role if exists lt_no_privileges");
    await admin.unsafe("create role lt_no_privileges login password 'lt_no_privileges'");
    const weak = new URL(url);
    weak.username = "lt_no_privileges";
    weak.password = "lt_no_privileges";
    const denied = await runToExit({ DATABASE_URL: weak.toString() });
    expect(denied.code).toBe(1);
    expect(denied.err).toContain("the role lacks a privilege it needs");
    // Nothing half-made: the migrations ran in one transaction that was rolled back.
    const db = postgres(url.toString(), { max: 1, onnotice: () => {} });
    clients.push(db);
    expect([...(await db`select schema_name from information_schema.schemata where schema_name in ('link_tracker', 'drizzle')`)]).toEqual([]);
    // The seeds' own table, made by the job-application system before link-tracker came.
    await db`create table link_tracking (tracking_id varchar(100) primary key, link_function varchar(50) not null)`;
    const taken = await runToExit({ DATABASE_URL: url.toString() });
    expect(taken.code).toBe(1);
    expect(taken.err).toContain("link_tracking or link_clicks made from the seeds' DDL?");
    expect([...(await db`select schema_name from information_schema.schemata where schema_name = 'link_tracker'`)]).toEqual([]);
    await db.end();
    await admin.unsafe("drop role if exists lt_no_privileges");
  }, 60_000);
});
