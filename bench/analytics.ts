/**
 * Analytics at scale: seeds 1,000,000 clicks over 1,000 links (50 applications, 10 jobs,
 * 30 days, every visitor kind), starts dist/link-tracker on that database and times each
 * analytics endpoint (median of 5). Then the hostile case: one link with 1,000,000 clicks
 * of 100,000 different user agents (anyone can make them: redirects need no key), its
 * analytics and CSV export read in a loop, and the redirect's p99 measured meanwhile,
 * next to its p99 on the same server without that load. Part of `npm run bench`; runs
 * alone with `bun bench/analytics.ts`.
 */
import { $ } from "bun";
import { Database } from "bun:sqlite";
import { mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { wrk } from "./wrk";

const root = join(import.meta.dir, "..");
const BINARY = process.env.BENCH_BINARY ?? join(root, "dist/link-tracker");
const KEY = "bench-key-0123456789abcdef0123";
const CLICKS = Number(process.env.BENCH_CLICKS ?? 1_000_000);
/** The hot link's clicks: a million, whatever BENCH_CLICKS (the hostile case is one link's million). */
const HEAVY_CLICKS = Number(process.env.BENCH_HEAVY_CLICKS ?? 1_000_000);
const LINKS = 1000;

const uuid = (prefix: string, n: number) => `${prefix}${String(n).padStart(7, "0")}-0000-4000-8000-000000000000`.slice(0, 36);
export const jobId = (n: number) => uuid("1", n);
export const applicationId = (n: number) => uuid("a", n);

async function startServer(dir: string) {
  const proc = Bun.spawn([BINARY], { cwd: dir, env: { PATH: process.env.PATH ?? "", PORT: "0", HOST: "127.0.0.1", DESTINATION_CHECK_SECONDS: "0", WEBHOOK_API_KEY: KEY, LOG_LEVEL: "info" }, stdout: "pipe", stderr: "pipe" });
  let out = "";
  (async () => {
    for await (const c of proc.stdout) out += new TextDecoder().decode(c);
  })();
  // Its stderr is read too (a full pipe would block the server), and kept for a failure's report.
  let errors = "";
  (async () => {
    for await (const c of proc.stderr) errors = (errors + new TextDecoder().decode(c)).slice(-4000);
  })();
  void proc.exited.then((code) => {
    if (code !== 0 && code !== null && code !== 143) console.error(`link-tracker exited with ${code}:\n${errors}\n${out.slice(-4000)}`);
  });
  let port = 0;
  for (let i = 0; i < 500 && !port; i++) {
    port = Number(/"msg":"listening".*?"port":(\d+)|"port":(\d+).*?"msg":"listening"/.exec(out)?.slice(1).find(Boolean) ?? 0);
    await Bun.sleep(10);
  }
  return { proc, port, log: () => out };
}

/** Whether the database has roll-ups (this release's schema) rather than click_daily alone (an older one's). */
const hasRollups = (db: Database) => db.query("select 1 from sqlite_master where name = 'click_quarters'").get() !== null;

/**
 * Clicks written by SQL, counted as each release counts an older database's: an older
 * release's click_daily filled in here; this one's roll-ups filled in by the server
 * itself when it starts (the backfill a database of the previous release gets).
 */
function countSeeded(db: Database, where: string) {
  if (hasRollups(db)) {
    // As migration 0014 leaves a database that had clicks: counted through its last click, the backfill to do.
    db.run("update settings set value = (select max(rowid) from link_clicks) where key = 'rollups:counted_through'");
    db.run("insert into settings (key, value) select 'rollups:backfill', json_object('up_to', max(rowid)) from link_clicks where true on conflict (key) do update set value = excluded.value");
    return;
  }
  db.run(`insert into click_daily select substr(clicked_at, 1, 10), tracking_id, visitor_kind, outcome, count(*) from link_clicks where ${where} group by 1, 2, 3, 4`);
}

/**
 * Waits for the server to fill in its roll-ups (its log says "roll-ups complete"), while
 * a redirect is sent every 50 ms: how long the upgrade takes, and whether the server
 * answered meanwhile.
 */
async function rollupsFilled(server: { port: number; log: () => string }, path: string, log: (line: string) => void) {
  const db = new Database(path, { readonly: true });
  const filling = hasRollups(db);
  db.close();
  if (!filling) return;
  const t0 = performance.now();
  const probes: number[] = [];
  while (!server.log().includes('"msg":"roll-ups complete"') && performance.now() - t0 < 20 * 60_000) {
    const s = performance.now();
    await fetch(`http://127.0.0.1:${server.port}/linkedin?uuid=nothing-here`, { redirect: "manual" }).then((r) => r.arrayBuffer());
    probes.push(performance.now() - s);
    await Bun.sleep(50);
  }
  probes.sort((a, b) => a - b);
  const q = (p: number) => (probes[Math.min(probes.length - 1, Math.floor(p * probes.length))] ?? 0).toFixed(1);
  log(
    `  roll-ups filled in by the server in ${((performance.now() - t0) / 1000).toFixed(1)} s (target <= 60 s at 1,000,000 clicks); ` +
      `meanwhile ${probes.length} requests answered, p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${q(1)} ms`,
  );
}

/** One link with HEAVY_CLICKS clicks, each of 100,000 user agents, over the last 30 days (written straight into the database). */
function seedHeavyLink(path: string) {
  const db = new Database(path);
  db.transaction(() => {
    const created = new Date(Date.now() - 40 * 86_400_000).toISOString();
    db.run(
      "insert into link_tracking (tracking_id, link_function, link_type, original_url, redirect_url, created_at, updated_at) values ('heavy', 'LinkedIn', 'profile', 'https://example.com/', 'http://localhost/linkedin?uuid=heavy', ?, ?)",
      [created, created],
    );
    db.run(
      `with recursive n(i) as (select 0 union all select i + 1 from n where i < ?)
       insert into link_clicks (click_id, tracking_id, clicked_at, received_at, ip_address, user_agent, referrer_url, session_id, click_source, metadata, is_bot, visitor_kind, origin, outcome)
       select printf('%08x-0000-7000-9000-%012x', i, i), 'heavy',
              strftime('%Y-%m-%dT%H:%M:%fZ', 'now', printf('-%d seconds', (i * 2593) % 2592000)),
              strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
              '198.51.100.' || (i % 250),
              'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/' || (i % 100000) || '.0 Safari/537.36',
              'https://mail.google.com/', 's_' || (i % 5000), 'linkedin', '{}', 0, 'human', 'redirect', 'redirected'
       from n`,
      [HEAVY_CLICKS - 1],
    );
    countSeeded(db, "tracking_id = 'heavy'");
    // The links wrk clicks: outside any application, as in run.ts (wrk's clicks all come from one
    // address, and three of one application's links within 10 s are a mail scanner's burst).
    const insertLink = db.prepare("insert into link_tracking (tracking_id, link_function, link_type, original_url, redirect_url, created_at, updated_at) values (?, 'LinkedIn', 'profile', 'https://example.com/', ?, ?, ?)");
    for (let i = 0; i < LINKS; i++) insertLink.run(`plain${String(i).padStart(4, "0")}`, `http://localhost/linkedin?uuid=plain${i}`, created, created);
  })();
  db.run("ANALYZE");
  db.close();
}

/**
 * Reads `path` over and over, one request after another, until stopped; counts answers
 * and bytes. A kept-alive connection the server closed while the bench waited (its idle
 * timeout) fails its next request: that is counted and the request made again, as a
 * browser does.
 */
function readLoop(port: number, path: string) {
  let reading = true;
  const stats = { answers: 0, bytes: 0, ms: [] as number[], retried: 0 };
  const done = (async () => {
    while (reading) {
      const s = performance.now();
      try {
        const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { "x-api-key": KEY } });
        const reader = res.body!.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done || !reading) break;
          stats.bytes += value.byteLength;
        }
        await reader.cancel().catch(() => {});
        stats.answers++;
        stats.ms.push(performance.now() - s);
      } catch {
        stats.retried++;
      }
    }
  })();
  return { stats, stop: () => ((reading = false), done) };
}

/** Waits until the click inbox is empty (the mover works when the server is quiet), so that each run starts alike. */
async function inboxDrained(path: string) {
  for (let i = 0; i < 600; i++) {
    const db = new Database(`${path}-inbox`, { readonly: true });
    const n = (db.query("select count(*) as n from click_inbox").get() as { n: number }).n;
    db.close();
    if (n === 0) return;
    await Bun.sleep(100);
  }
}

/**
 * The redirect's p99 at 64 connections in three runs on one server, each from an empty
 * inbox: alone; while a light API read (the links list) is repeated; while the heavy
 * link's analytics and its CSV export are read in a loop. Every API read first moves the
 * clicks the flood left waiting in the inbox (in slices): the light run shows what that
 * costs, the heavy run what the heavy reads add.
 */
async function redirectUnderHeavyReads(dir: string, path: string, seconds: number, log: (line: string) => void) {
  const t0 = performance.now();
  seedHeavyLink(path);
  log(`heavy reads: seeded one link with ${HEAVY_CLICKS.toLocaleString("en")} clicks of 100,000 user agents in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const server = await startServer(dir);
  const { proc, port } = server;
  await rollupsFilled(server, path, log);
  for (const [name, url] of [
    ["the hot link's analytics", "/api/link-tracking/analytics/heavy"],
    ["the hot link's analytics, include_bots", "/api/link-tracking/analytics/heavy?include_bots=true"],
    ["the hot link's analytics, tz=Europe/Berlin, last 7 days", `/api/link-tracking/analytics/heavy?tz=Europe/Berlin&from=${new Date(Date.now() - 7 * 86_400_000).toISOString()}`],
  ] as const) {
    const { median, max, status } = await timed(port, url);
    log(`  ${name.padEnd(56)} median ${median.toFixed(1)} ms, max ${max.toFixed(1)} ms, status ${status}   (target <= 100 ms: ${max <= 100 ? "met" : "not met"})`);
  }
  const ids = join(dir, "ids.txt");
  writeFileSync(ids, Array.from({ length: LINKS }, (_, i) => `plain${String(i).padStart(4, "0")}`).join("\n") + "\n");
  const line = (name: string, r: Awaited<ReturnType<typeof wrk>>) =>
    `  ${name.padEnd(58)}${r.rps.toFixed(0).padStart(8)} req/s   p50 ${r.p50.toFixed(1).padStart(6)} ms   p99 ${r.p99.toFixed(1).padStart(6)} ms   errors ${r.errors}`;
  try {
    log("redirect at 64 connections (wrk, random one of 1000 links), each run from an empty inbox:");
    await inboxDrained(path);
    log(line("alone", await wrk(port, 64, ids, seconds)));
    await inboxDrained(path);
    const light = readLoop(port, "/api/link-tracking/links?limit=1");
    const lightRun = await wrk(port, 64, ids, seconds);
    await light.stop();
    log(line(`while the links list is read in a loop (${light.stats.answers} reads)`, lightRun));
    await inboxDrained(path);
    const which = process.env.BENCH_HEAVY ?? "analytics,csv";
    const heavy = [
      which.includes("analytics") ? readLoop(port, "/api/link-tracking/analytics/heavy?include_bots=true") : null,
      which.includes("csv") ? readLoop(port, "/api/link-tracking/clicks.csv?tracking_id=heavy") : null,
    ];
    await Bun.sleep(200); // both under way
    const heavyRun = await wrk(port, 64, ids, seconds);
    await Promise.all(heavy.map((h) => h?.stop()));
    log(line(`while the ${HEAVY_CLICKS.toLocaleString("en")}-click link's analytics and CSV are read`, heavyRun) + "   (target p99 <= 50 ms)");
    const [a, c] = heavy;
    log(
      `  meanwhile: ${a ? `${a.stats.answers} analytics answers${a.stats.ms.length ? ` (${(a.stats.ms.reduce((x, y) => x + y, 0) / a.stats.ms.length / 1000).toFixed(1)} s each)` : " (none finished)"}` : "no analytics"}, ` +
        `${c ? `${(c.stats.bytes / 2 ** 20).toFixed(0)} MB of CSV` : "no CSV"}` +
        `${(a?.stats.retried ?? 0) + (c?.stats.retried ?? 0) > 0 ? `; ${(a?.stats.retried ?? 0) + (c?.stats.retried ?? 0)} requests made again on a closed connection` : ""}`,
    );
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
  }
}

/**
 * Median and max of five reads, one after another (status 0: the server closed the
 * connection first, e.g. at its idle timeout); `firstRow`: until the body's first chunk
 * (a download's first row), the rest of it read before the next.
 */
async function timed(port: number, path: string, firstRow = false) {
  const times: number[] = [];
  let status = 0;
  for (let i = 0; i < 5; i++) {
    const s = performance.now();
    try {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { "x-api-key": KEY } });
      if (firstRow && res.body) {
        const reader = res.body.getReader();
        await reader.read();
        times.push(performance.now() - s);
        while (!(await reader.read()).done);
      } else await res.arrayBuffer();
      status = res.status;
    } catch {
      status = 0;
    }
    if (times.length === i) times.push(performance.now() - s);
  }
  times.sort((a, b) => a - b);
  return { median: times[2], max: times[4], status };
}

const mb = (path: string) => (statSync(path).size / 2 ** 20).toFixed(0);

/** Rows of each roll-up, where the database has them. */
function rollupRows(path: string): string {
  const db = new Database(path, { readonly: true });
  try {
    const tables = ["click_daily", "click_hours", "click_quarters", "click_quarters_all", "click_dimensions", "click_dimensions_daily", "click_dimensions_hourly", "click_sessions", "application_sessions"];
    return tables
      .filter((t) => db.query("select 1 from sqlite_master where name = ?").get(t))
      .map((t) => `${t} ${(db.query(`select count(*) as n from ${t}`).get() as { n: number }).n.toLocaleString("en")}`)
      .join(", ");
  } finally {
    db.close();
  }
}

export async function benchAnalytics(log: (line: string) => void = console.log, seconds = 10): Promise<void> {
  const dir = join(tmpdir(), `link-tracker-analytics-${process.pid}`);
  mkdirSync(join(dir, "data"), { recursive: true });
  const path = join(dir, "data/link-tracker.db");
  try {
    await $`${BINARY} migrate`.env({ ...process.env, DATABASE_PATH: path }).quiet();
    const db = new Database(path);
    db.run("PRAGMA journal_mode = WAL");
    const t0 = performance.now();
    db.transaction(() => {
      const insertLink = db.prepare(
        "insert into link_tracking (tracking_id, job_id, application_id, link_function, link_type, original_url, redirect_url, created_at, updated_at) values (?, ?, ?, ?, 'profile', ?, ?, ?, ?)",
      );
      const created = new Date(Date.now() - 40 * 86_400_000).toISOString();
      for (let i = 0; i < LINKS; i++) {
        const id = `bench${String(i).padStart(4, "0")}`;
        // 20 links per application, 5 applications per job.
        insertLink.run(id, jobId(Math.floor(i / 100)), applicationId(Math.floor(i / 20)), ["LinkedIn", "Portfolio", "Calendly"][i % 3], "https://example.com/", `http://localhost/linkedin?uuid=${id}`, created, created);
      }
      // One statement generates the clicks: spread over 30 days, mostly human, every kind present.
      db.run(
        `with recursive n(i) as (select 0 union all select i + 1 from n where i < ?)
         insert into link_clicks (click_id, tracking_id, clicked_at, received_at, ip_address, user_agent, referrer_url, session_id, click_source, metadata, is_bot, visitor_kind, origin, outcome)
         select printf('%08x-0000-7000-8000-%012x', i, i),
                'bench' || printf('%04d', i % ${LINKS}),
                strftime('%Y-%m-%dT%H:%M:%fZ', 'now', printf('-%d seconds', (i * 2593) % 2592000)),
                strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
                '198.51.100.' || (i % 250),
                case i % 4 when 0 then 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0' when 1 then 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1' when 2 then 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Safari/605.1.15' else 'LinkedInBot/1.0' end,
                case i % 3 when 0 then 'https://mail.google.com/' when 1 then 'https://www.linkedin.com/' else null end,
                's_' || (i % 5000),
                'linkedin', '{}',
                i % 10 >= 8,
                case i % 10 when 8 then 'bot' when 9 then 'preview' else 'human' end,
                'redirect',
                case when i % 997 = 0 then 'not_found' else 'redirected' end
         from n`,
        [CLICKS - 1],
      );
    })();
    // Clicks written by SQL, not through the server: counted as the server would.
    countSeeded(db, "1");
    db.run("ANALYZE");
    db.close();
    log(`analytics: seeded ${CLICKS.toLocaleString("en")} clicks over ${LINKS} links in ${((performance.now() - t0) / 1000).toFixed(1)} s (${mb(path)} MB)`);

    const server = await startServer(dir);
    const { proc, port } = server;
    await rollupsFilled(server, path, log);
    log(`  database after the roll-ups: ${mb(path)} MB (${rollupRows(path)})`);
    // Name, path, timed to the first row only, held to the targets.
    const endpoints: [string, string, boolean?, boolean?][] = [
      [`link analytics (${(CLICKS / LINKS).toLocaleString("en")} clicks)`, "/api/link-tracking/analytics/bench0042"],
      ["link analytics, include_bots", "/api/link-tracking/analytics/bench0042?include_bots=true"],
      ["application roll-up (20 links)", `/api/link-tracking/analytics/applications/${applicationId(2)}`],
      ["job roll-up (100 links)", `/api/link-tracking/analytics/jobs/${jobId(1)}`],
      ["link analytics, tz=Europe/Berlin, a week", `/api/link-tracking/analytics/bench0042?tz=Europe/Berlin&from=${new Date(Date.now() - 7 * 86_400_000).toISOString()}`],
      ["overview, last 30 days", "/api/link-tracking/analytics"],
      ["overview, last 30 days, tz=Europe/Berlin", "/api/link-tracking/analytics?tz=Europe/Berlin"],
      ["overview, last 30 days, tz=Asia/Kolkata", "/api/link-tracking/analytics?tz=Asia/Kolkata"],
      ["overview, last 7 days", `/api/link-tracking/analytics?from=${new Date(Date.now() - 7 * 86_400_000).toISOString()}`],
      ["applications overview (dashboard home)", "/api/link-tracking/analytics/applications"],
      ["applications list (dashboard)", "/api/link-tracking/applications"],
      ["event feed (dashboard home)", "/api/link-tracking/events"],
      ["links list (50)", "/api/link-tracking/links"],
      ["lookup", "/api/link-tracking/lookup/bench0042"],
      ["clicks.csv of one link, first row", "/api/link-tracking/clicks.csv?tracking_id=bench0042", true],
      // The whole download costs its size: reported, no target.
      [`clicks.csv of one link, all ${(CLICKS / LINKS).toLocaleString("en")} rows`, "/api/link-tracking/clicks.csv?tracking_id=bench0042", false, false],
    ];
    log("endpoint                                   median ms   max ms   status   target (median <= 50, max <= 100)");
    for (const [name, path, firstRow = false, target = true] of endpoints) {
      const { median, max, status } = await timed(port, path, firstRow);
      const verdict = !target ? "(no target: the answer's size)" : median <= 50 && max <= 100 ? "met" : "not met";
      log(`${name.padEnd(43)}${median.toFixed(1).padStart(9)}${max.toFixed(1).padStart(9)}${String(status).padStart(9)}   ${verdict}`);
    }
    proc.kill("SIGTERM");
    await proc.exited;
    log("");
    await redirectUnderHeavyReads(dir, path, seconds, log);
  } finally {
    // BENCH_KEEP=1 keeps the seeded database for a profile; its directory is printed.
    if (process.env.BENCH_KEEP === "1") log(`  kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) await benchAnalytics();
