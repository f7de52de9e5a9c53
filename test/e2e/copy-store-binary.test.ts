/**
 * `link-tracker copy-store --to postgres://…` on the compiled binary: a SQLite database
 * a server filled (links, redirect and ingested clicks, a key, a webhook and its
 * events) moved to PostgreSQL, the copy killed halfway and resumed, verified by counts;
 * then a server on PostgreSQL answers the same as the SQLite one did.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import postgres from "postgres";
import { realPostgres } from "../postgres-utils";
import { BINARY, buildBinary, emptyFolder, startServer, stop, type Server } from "./binary";

const KEY = "copy-key-0123456789abcdef";
const APP = "a0000000-0000-4000-8000-00000000c0b1";
const pg = await realPostgres();
const running: Server[] = [];
const clients: postgres.Sql[] = [];
afterAll(async () => {
  for (const s of running) if (s.proc.exitCode === null) s.proc.kill("SIGKILL");
  for (const c of clients) await c.end({ timeout: 1 });
  await pg.dropAll();
});

const post = (server: Server, path: string, json: unknown) =>
  fetch(`${server.base}${path}`, { method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" }, body: JSON.stringify(json) });
const get = async (server: Server, path: string) => (await fetch(`${server.base}${path}`, { headers: { "x-api-key": KEY } })).json();

describe.skipIf(!pg.url)(`copy-store${pg.url ? "" : ` (skipped: ${pg.reason})`}`, () => {
  beforeAll(() => buildBinary(), 60_000);

  test("copies a server's SQLite database to PostgreSQL, resumes after a kill, and the PostgreSQL server answers the same", async () => {
    const cwd = emptyFolder();
    const sqliteServer = await startServer(cwd, { WEBHOOK_API_KEY: KEY, SIGNAL_HOLD_SECONDS: "0" });
    running.push(sqliteServer);
    expect((await post(sqliteServer, "/api/link-tracking/links/bulk", {
      links: ["linkedin", "github"].map((f) => ({ tracking_id: `${f}-copy`, original_url: `https://example.com/${f}`, link_function: f, application_id: APP })),
      application: { company: "Acme", role: "Engineer", sent_at: "2026-11-20T09:00:00Z" },
    })).status).toBe(201);
    expect((await post(sqliteServer, "/api/link-tracking/webhooks", { url: "https://hooks.example.com/lt" })).status).toBe(201);
    // A person's channel with a daily digest: every setting of it goes over (the table's columns, all of them).
    expect((await post(sqliteServer, "/api/link-tracking/webhooks", { url: "https://ntfy.example.com/job-search", format: "ntfy", token: "tk_copy", digest: { hour: 8, time_zone: "Europe/Berlin", only: true } })).status).toBe(201);
    const channels = await get(sqliteServer, "/api/link-tracking/webhooks");
    const browser = { "user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "accept-language": "en" };
    expect((await fetch(`${sqliteServer.base}/linkedin?uuid=linkedin-copy&utm_source=cv`, { redirect: "manual", headers: browser })).status).toBe(302);
    for (let b = 0; b < 12; b++) {
      const events = Array.from({ length: 1000 }, (_, e) => ({
        event_id: `copy-${b}-${e}`,
        tracking_id: e % 2 ? "github-copy" : "linkedin-copy",
        clicked_at: new Date(Date.now() - (b * 1000 + e) * 60_000).toISOString(),
        ip_address: `198.51.100.${(e % 250) + 1}`,
        user_agent: "Mozilla/5.0 Firefox/133.0",
      }));
      expect((await post(sqliteServer, "/api/tracking-ingest/batch", { events })).status).toBe(200);
    }
    // A browser signed in and remembered: still signed in, and still the owner, on the new store.
    const signedIn = await fetch(`${sqliteServer.base}/dashboard/session`, { method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" }, body: JSON.stringify({ remember: true }) });
    const cookie = signedIn.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
    const before = await get(sqliteServer, `/api/link-tracking/analytics/applications/${APP}?include_bots=true`);
    const beforeLink = await get(sqliteServer, "/api/link-tracking/analytics/linkedin-copy");
    expect(await stop(sqliteServer)).toBe(0);

    const url = await pg.freshDatabase();
    const env = { PATH: process.env.PATH ?? "" };
    // Killed once the first slice of clicks is in.
    const first = Bun.spawn([BINARY, "copy-store", "--to", url], { cwd, env, stdout: "pipe", stderr: "pipe" });
    let said = "";
    for await (const chunk of first.stderr) {
      said += new TextDecoder().decode(chunk);
      if (/link_clicks: 5000 of/.test(said)) break;
    }
    first.kill("SIGKILL");
    await first.exited;
    const db = postgres(url, { max: 1, onnotice: () => {} });
    clients.push(db);
    const [{ n: halfway }] = await db`select count(*)::int as n from link_clicks`;
    expect(halfway).toBeGreaterThanOrEqual(5000);
    expect(halfway).toBeLessThan(12_001);

    const second = Bun.spawnSync([BINARY, "copy-store", "--to", url], { cwd, env, stdout: "pipe", stderr: "pipe" });
    expect(second.stderr.toString()).toContain("link_clicks: resuming after row");
    expect(second.exitCode).toBe(0);
    const out = second.stdout.toString();
    expect(out).toMatch(/link_clicks\s+12001\s+12001/);
    expect(out).toMatch(/click_daily \(sum\)\s+12001\s+12001/);
    expect(out).toMatch(/click_quarters \(sum\)\s+12001\s+12001/);
    expect(out).toMatch(/link_tracking\s+2\s+2/);
    expect(out).toMatch(/webhook_endpoints\s+2\s+2/);
    expect(out).toMatch(/dashboard_sessions\s+1\s+1/);
    // The password is never printed.
    expect(out).toContain(":***@127.0.0.1");
    expect(out).not.toContain(`:${new URL(url).password}@`);

    // A third run changes nothing (and says so by the same counts).
    const third = Bun.spawnSync([BINARY, "copy-store", "--to", url], { cwd, env, stdout: "pipe", stderr: "pipe" });
    expect(third.exitCode).toBe(0);
    expect(third.stdout.toString()).toMatch(/link_clicks\s+12001\s+12001/);

    const pgServer = await startServer(emptyFolder(), { WEBHOOK_API_KEY: KEY, DATABASE_URL: url });
    running.push(pgServer);
    expect(before).toMatchObject({ label: "Acme — Engineer", sent_at: "2026-11-20T09:00:00.000Z" });
    expect(await get(pgServer, `/api/link-tracking/analytics/applications/${APP}?include_bots=true`)).toEqual(before);
    const afterLink = await get(pgServer, "/api/link-tracking/analytics/linkedin-copy");
    expect(afterLink).toEqual(beforeLink);
    expect(JSON.stringify(channels)).toContain('"hour":8');
    // The same channels, digest and all; how many sends failed is the server's own since it
    // started (the copied pending deliveries go to a host this machine cannot reach).
    const settled = (list: unknown) => (list as Record<string, unknown>[]).map(({ failures: _f, paused: _p, ...rest }) => rest);
    expect(settled(await get(pgServer, "/api/link-tracking/webhooks"))).toEqual(settled(channels));
    expect((await fetch(`${pgServer.base}/github?uuid=github-copy`, { redirect: "manual" })).status).toBe(302);
    expect(await (await fetch(`${pgServer.base}/dashboard/session`, { headers: { cookie } })).json()).toMatchObject({ signed_in: true, remember: true });
    expect((await fetch(`${pgServer.base}/github?uuid=github-copy`, { redirect: "manual", headers: { ...browser, cookie } })).status).toBe(302);
    const mine = (await get(pgServer, "/api/link-tracking/analytics/github-copy?include_bots=true")) as { clicks_by_kind: Record<string, number> };
    expect(mine.clicks_by_kind.owner).toBe(1);
  }, 90_000);

  test("refusals: DATABASE_URL set, a malformed --to, a database that already has other links", async () => {
    const cwd = emptyFolder();
    const env = { PATH: process.env.PATH ?? "" };
    const withUrl = Bun.spawnSync([BINARY, "copy-store", "--to", "postgres://x@127.0.0.1:1/x"], { cwd, env: { ...env, DATABASE_URL: "postgres://x@127.0.0.1:1/y" }, stderr: "pipe" });
    expect(withUrl.exitCode).toBe(2);
    expect(withUrl.stderr.toString()).toContain("unset DATABASE_URL");
    const malformed = Bun.spawnSync([BINARY, "copy-store", "--to", "mysql://db/x"], { cwd, env, stderr: "pipe" });
    expect(malformed.exitCode).toBe(2);
    expect(malformed.stderr.toString()).toContain("--to must be a postgres:// URL");
    // A database some instance already serves (links of its own, no copy begun).
    const url = await pg.freshDatabase();
    const server = await startServer(emptyFolder(), { WEBHOOK_API_KEY: KEY, DATABASE_URL: url });
    running.push(server);
    expect((await post(server, "/api/link-tracking/links", { tracking_id: "theirs", original_url: "https://example.com/", link_function: "LinkedIn" })).status).toBe(201);
    await stop(server);
    Bun.spawnSync([BINARY, "migrate"], { cwd, env });
    const refused = Bun.spawnSync([BINARY, "copy-store", "--to", url], { cwd, env, stderr: "pipe" });
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr.toString()).toContain("already has links");
  }, 60_000);
});
