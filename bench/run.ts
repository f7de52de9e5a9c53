/**
 * `npm run bench`: the redirect against a bare Bun.serve 302, ingest throughput, cold
 * start and memory, in one run on loopback. Prints a table and the ratios. Figures are
 * for reading, never asserted in tests.
 *
 * Options (environment): BENCH_DURATION seconds per wrk run (10), BENCH_CONNECTIONS
 * (16,64), BENCH_ROUNDS alternations of bare/link-tracker (2), BENCH_ANALYTICS=0 to skip
 * the analytics timings at 1,000,000 clicks (bench/analytics.ts), BENCH_CLICKS for another size.
 * PostgreSQL: the redirect and ingest figures again on a PostgreSQL store in the same run,
 * on BENCH_DATABASE_URL (an empty database), or else on a local server that
 * scripts/ensure-postgres.sh provides; BENCH_POSTGRES=0 skips them.
 */
import { $, type Subprocess } from "bun";
import { Database } from "bun:sqlite";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { benchAnalytics } from "./analytics";
import { wrk, type WrkResult } from "./wrk";

const root = join(import.meta.dir, "..");
/** BENCH_BINARY: another build to measure (an earlier release, for before and after in one window). */
const BINARY = process.env.BENCH_BINARY ?? join(root, "dist/link-tracker");
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? "16,64").split(",").map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const KEY = "bench-key-0123456789abcdef0123";
const LINKS = 1000;

const work = join(tmpdir(), `link-tracker-bench-${process.pid}`);
mkdirSync(work, { recursive: true });
const started: Subprocess[] = [];
const cleanup = () => {
  for (const p of started) if (p.exitCode === null) p.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
};
process.on("exit", cleanup);
process.on("SIGINT", () => process.exit(130));

async function ensureTools() {
  console.log("building dist/link-tracker ...");
  await $`${process.execPath} scripts/build.ts`.cwd(root).quiet();
  if ((await $`which wrk`.nothrow().quiet()).exitCode !== 0) {
    console.log("installing wrk (apt-get) ...");
    const install = await $`apt-get install -y wrk`.nothrow().quiet();
    if (install.exitCode !== 0) await $`apt-get update && apt-get install -y wrk`.quiet();
  }
}

/** Starts a server process and resolves with its port once `ready` answers. */
async function start(cmd: string[], env: Record<string, string>, cwd: string, portFrom: (out: string) => number | null, startWaitMs = 15_000) {
  const proc = Bun.spawn(cmd, { cwd, env: { PATH: process.env.PATH ?? "", ...env }, stdout: "pipe", stderr: "pipe" });
  started.push(proc);
  // Output is read until the server is ready, then drained and dropped: keeping a
  // request log in this process would take CPU from the servers being measured.
  let out = "";
  let ready = false;
  const dec = new TextDecoder();
  for (const stream of [proc.stdout, proc.stderr]) {
    (async () => {
      for await (const c of stream) if (!ready) out += dec.decode(c);
    })();
  }
  const t0 = performance.now();
  for (;;) {
    const port = portFrom(out);
    if (port) {
      try {
        await fetch(`http://127.0.0.1:${port}/api/tracking-ingest/health`, { redirect: "manual" });
        ready = true;
        return { proc, port, readyMs: performance.now() - t0 };
      } catch {}
    }
    if (proc.exitCode !== null) throw new Error(`${cmd.join(" ")} exited:\n${out}`);
    if (performance.now() - t0 > startWaitMs) throw new Error(`${cmd.join(" ")} did not start:\n${out}`);
    await Bun.sleep(2);
  }
}

const linkTrackerPort = (out: string) => Number(/"msg":"listening"/.test(out) && /"port":(\d+)/.exec(out)?.[1]) || null;

async function startLinkTracker(dir: string, env: Record<string, string> = {}, startWaitMs?: number) {
  mkdirSync(dir, { recursive: true });
  // The default configuration, request log included (LOG_LEVEL=info).
  return start([BINARY], { PORT: "0", HOST: "127.0.0.1", DESTINATION_CHECK_SECONDS: "0", WEBHOOK_API_KEY: KEY, LOG_LEVEL: "info", ...env }, dir, linkTrackerPort, startWaitMs);
}

/** An empty PostgreSQL database for the PostgreSQL figures: BENCH_DATABASE_URL, or one made on the local server. */
async function benchDatabase(): Promise<string | null> {
  if (process.env.BENCH_POSTGRES === "0") return null;
  if (process.env.BENCH_DATABASE_URL) return process.env.BENCH_DATABASE_URL;
  const ensured = await $`bash ${join(root, "scripts/ensure-postgres.sh")}`.nothrow().quiet();
  if (ensured.exitCode !== 0) {
    console.log(`PostgreSQL figures skipped: ${ensured.stderr.toString().trim()}`);
    return null;
  }
  const admin = ensured.stdout.toString().trim();
  const sql = postgres(admin, { max: 1, onnotice: () => {} });
  const name = `lt_bench_${process.pid}`;
  await sql.unsafe(`drop database if exists ${name} with (force)`);
  await sql.unsafe(`create database ${name}`);
  await sql.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}

const rssMb = (pid: number) => {
  const status = require("node:fs").readFileSync(`/proc/${pid}/status`, "utf8") as string;
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
};

const api = (port: number, path: string, body: unknown) =>
  fetch(`http://127.0.0.1:${port}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": KEY },
    body: JSON.stringify(body),
  });

async function createLinks(port: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < LINKS / 100; i++) {
    const res = await api(port, "/api/link-tracking/links/bulk", {
      links: Array.from({ length: 100 }, () => ({ original_url: "https://linkedin.com/in/steve-glen", link_function: "LinkedIn" })),
    });
    ids.push(...((await res.json()) as { links: { tracking_id: string }[] }).links.map((l) => l.tracking_id));
  }
  return ids;
}

async function benchIngest(port: number, senders: number, seconds = Math.min(DURATION, 5)) {
  const latencies: number[] = [];
  let events = 0;
  let serial = 0;
  const deadline = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: senders }, async () => {
      while (performance.now() < deadline) {
        const batch = serial++;
        const body = JSON.stringify({
          events: Array.from({ length: 1000 }, (_, i) => ({
            event_id: `s${senders}-b${batch}-${i}`,
            tracking_id: `ingest-${i % 50}`,
            clicked_at: "2025-10-22T14:30:00Z",
            ip_address: "203.0.113.42",
            user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36",
            click_source: "linkedin",
          })),
        });
        const s = performance.now();
        const res = await fetch(`http://127.0.0.1:${port}/api/tracking-ingest/batch`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-api-key": KEY },
          body,
        });
        await res.arrayBuffer();
        latencies.push(performance.now() - s);
        if (res.status === 200) events += 1000;
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return { eventsPerSec: events / ((performance.now() - t0) / 1000), p99: latencies[Math.floor(latencies.length * 0.99)] ?? NaN, batches: latencies.length };
}

/** Redirects one after another, as recruiters click (a pause between two), for `ms`: their latencies. */
async function sequentialRedirects(port: number, ids: string[], ms: number) {
  const latencies: number[] = [];
  const end = performance.now() + ms;
  for (let i = 0; performance.now() < end; i++) {
    const started = performance.now();
    const res = await fetch(`http://127.0.0.1:${port}/linkedin?uuid=${ids[i % ids.length]}`, {
      redirect: "manual",
      headers: { "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36", "accept-language": "en" },
    });
    await res.arrayBuffer();
    latencies.push(performance.now() - started);
    await Bun.sleep(5);
  }
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))];
  return { n: latencies.length, p50: at(0.5), p99: at(0.99) };
}

/** Sequential redirects while `senders` loop 1000-event batches from another thread (bench/senders.ts). */
async function redirectsUnderIngest(port: number, ids: string[], senders: number, seconds: number) {
  const worker = new Worker(new URL("./senders.ts", import.meta.url).href);
  const sent = new Promise<{ eventsPerSec: number }>((resolve) => (worker.onmessage = (e) => resolve(e.data)));
  worker.postMessage({ base: `http://127.0.0.1:${port}`, key: KEY, senders, ms: seconds * 1000 + 500 });
  await Bun.sleep(500);
  const redirects = await sequentialRedirects(port, ids, seconds * 1000);
  const { eventsPerSec } = await sent;
  worker.terminate();
  return { ...redirects, eventsPerSec };
}

/** `path` one request after another (5 ms apart) for `ms` while `loops` clients loop `slow`: p50, p99, max. */
async function whileLooping(base: string, path: string, slow: () => Promise<Response>, loops: number, ms: number, headers: Record<string, string> = {}) {
  let stop = false;
  let slowAnswers = 0;
  const loopers = Array.from({ length: loops }, async () => {
    while (!stop) {
      await (await slow()).arrayBuffer();
      slowAnswers++;
    }
  });
  await Bun.sleep(300);
  const latencies: number[] = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const started = performance.now();
    await (await fetch(`${base}${path}`, { redirect: "manual", headers })).arrayBuffer();
    latencies.push(performance.now() - started);
    await Bun.sleep(5);
  }
  stop = true;
  await Promise.all(loopers);
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))];
  return { n: latencies.length, p50: at(0.5), p99: at(0.99), max: latencies.at(-1)!, slowAnswers };
}

/** The bare-Bun reproduction (bench/starve.ts): quick routes while two clients loop a 300 ms one. */
async function benchStarvation() {
  const bare = await start([process.execPath, join(import.meta.dir, "starve.ts")], {}, root, (out) => Number(/"port":(\d+)/.exec(out)?.[1]) || null);
  const base = `http://127.0.0.1:${bare.port}`;
  console.log("\nbare Bun.serve, two clients looping a route that holds the loop 300 ms; one request at a time to:");
  for (const path of ["/plain", "/microtask", "/immediate"]) {
    const r = await whileLooping(base, path, () => fetch(`${base}/slow`, { redirect: "manual" }), 2, Math.min(DURATION, 5) * 1000);
    console.log(`  ${path.padEnd(11)} p50 ${fmt(r.p50, 0)} ms, p99 ${fmt(r.p99, 0)} ms, max ${fmt(r.max, 0)} ms over ${r.n}`);
  }
  bare.proc.kill("SIGTERM");
}

/** 1,000 links in 20 applications of 50: 60 batches of 1,000 events in time order, then 60 at random times over 30 days. */
async function benchHistory() {
  const server = await startLinkTracker(join(work, "history"));
  const ids: string[] = [];
  for (let a = 0; a < 20; a++) {
    const res = await api(server.port, "/api/link-tracking/links/bulk", {
      application: { company: `Company ${a}` },
      links: Array.from({ length: 50 }, (_, i) => ({ original_url: "https://example.com/", link_function: `Link ${i}` })),
    });
    ids.push(...((await res.json()) as { links: { tracking_id: string }[] }).links.map((l) => l.tracking_id));
  }
  const now = Date.now();
  let clock = now - 30 * 86_400_000;
  const run = async (name: string, at: () => number) => {
    const latencies: number[] = [];
    let stored = 0;
    const t0 = performance.now();
    for (let b = 0; b < 60; b++) {
      const events = Array.from({ length: 1000 }, (_, i) => ({
        event_id: `${name}-${b}-${i}`,
        tracking_id: ids[(b * 1000 + i * 7) % ids.length],
        clicked_at: new Date(at()).toISOString(),
        ip_address: `203.0.${b % 250}.${i % 250}`,
        user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
        session_id: `s-${b}-${i % 300}`,
      }));
      const started = performance.now();
      const res = await api(server.port, "/api/tracking-ingest/batch", { events });
      await res.arrayBuffer();
      latencies.push(performance.now() - started);
      if (res.status === 200) stored += 1000;
    }
    latencies.sort((a, b) => a - b);
    return { eventsPerSec: stored / ((performance.now() - t0) / 1000), p99: latencies[Math.floor(latencies.length * 0.99)] };
  };
  const ordered = await run("ordered", () => (clock += 40_000));
  const random = await run("random", () => now - Math.floor(Math.random() * 30 * 86_400_000));
  console.log(
    `ingest of history (1,000 links in 20 applications, 60 batches of 1,000, one sender): in time order ${fmt(ordered.eventsPerSec, 0)} events/s (p99 ${fmt(ordered.p99, 0)} ms a batch); ` +
      `at random times over 30 days ${fmt(random.eventsPerSec, 0)} events/s (p99 ${fmt(random.p99, 0)} ms a batch), ${fmt(random.eventsPerSec / ordered.eventsPerSec, 2)}x (target >= 0.5x)`,
  );
  server.proc.kill("SIGTERM");
  await server.proc.exited;
}

/** 20,000 random public IPv4 addresses (no private, shared, loopback, link-local, documentation or multicast one). */
function publicAddresses(n = 20_000): string[] {
  const out: string[] = [];
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 256;
  while (out.length < n) {
    const [a, b, c, d] = [next(), next(), next(), next()];
    if (a === 0 || a === 10 || a === 127 || a >= 224 || (a === 100 && b >= 64 && b < 128) || (a === 169 && b === 254) || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168)) continue;
    if ((a === 192 && b === 0 && c === 2) || (a === 198 && b === 51 && c === 100) || (a === 203 && b === 0 && c === 113) || (a === 198 && (b === 18 || b === 19))) continue;
    out.push(`${a}.${b}.${c}.${d}`);
  }
  return out;
}

/**
 * The redirect when every click comes from a public address (TRUST_PROXY, X-Forwarded-For
 * drawn from 20,000): each one located and classified by its network. 64 connections,
 * alternating with the bare 302; then the server's RSS, the located data's pages included.
 */
async function benchLocated(barePort: number) {
  const lt = await startLinkTracker(join(work, "located"), { TRUST_PROXY: "true" });
  const rssAtStart = rssMb(lt.proc.pid);
  const ids = await createLinks(lt.port);
  const idsFile = join(work, "located-ids.txt");
  writeFileSync(idsFile, `${ids.join("\n")}\n`);
  const ipsFile = join(work, "ips.txt");
  writeFileSync(ipsFile, `${publicAddresses().join("\n")}\n`);
  const ratios: string[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const b = await wrk(barePort, 64, idsFile);
    const l = await wrk(lt.port, 64, idsFile, DURATION, ipsFile);
    ratios.push(`${fmt(l.rps / b.rps, 2)}x`);
    console.log(`  located, round ${round}, 64 connections: bare ${fmt(b.rps, 0)} req/s, link-tracker ${fmt(l.rps, 0)} req/s (${fmt(l.rps / b.rps, 2)}x), p99 ${fmt(l.p99, 2)} ms, errors ${l.errors}`);
  }
  const db = new Database(join(work, "located/data/link-tracker.db"), { readonly: true });
  const located = db.query("select count(*) as n, count(country) as c, count(asn) as a from link_clicks").get() as { n: number; c: number; a: number };
  db.close();
  console.log(`redirect from 20,000 public addresses (located), 64 connections: ${ratios.join(", ")} of the bare 302`);
  console.log(`  clicks moved into link_clicks so far: ${located.n}, with a country ${located.c}, with a network ${located.a}`);
  const afterRuns = rssMb(lt.proc.pid);
  // A quiet moment: the server collects what the flood left (redirect/ once a burst ends).
  await Bun.sleep(3000);
  const status = require("node:fs").readFileSync(`/proc/${lt.proc.pid}/status`, "utf8") as string;
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1]) / 1024;
  console.log(
    `  link-tracker RSS: ${fmt(rssAtStart, 0)} MB at start, ${fmt(afterRuns, 0)} MB right after the located runs, ` +
      `${fmt(kb("VmRSS"), 0)} MB 3 s later (${fmt(kb("RssAnon"), 0)} MB heap and stacks, ${fmt(kb("RssFile"), 0)} MB mapped files: the binary and the location data's pages)`,
  );
  lt.proc.kill("SIGTERM");
  await lt.proc.exited;
}

async function coldStart() {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const server = await startLinkTracker(join(work, `cold-${i}`));
    times.push(server.readyMs);
    server.proc.kill("SIGTERM");
    await server.proc.exited;
  }
  times.sort((a, b) => a - b);
  return times[2];
}

const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : "n/a");

async function main() {
  await ensureTools();
  const cpu = (await $`nproc`.text()).trim();
  console.log(`machine: ${cpu} cores, ${(require("node:os").totalmem() / 2 ** 30).toFixed(0)} GiB; ${DURATION}s per run; rounds ${ROUNDS}`);
  // BENCH_ONLY=postgres: the PostgreSQL figures alone (each against its own bare 302 runs).
  if (process.env.BENCH_ONLY === "postgres") {
    const url = await benchDatabase();
    if (url) await benchPostgres(url);
    return;
  }
  // BENCH_ONLY=many-links: the million links in PostgreSQL alone.
  if (process.env.BENCH_ONLY === "many-links") {
    const url = await benchDatabase();
    if (!url) return;
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    const lt = await startLinkTracker(join(work, "postgres-migrate"), { DATABASE_URL: url });
    lt.proc.kill("SIGTERM");
    await lt.proc.exited;
    await benchManyLinks(sql, url);
    await sql.end();
    return;
  }

  const bare = await start([process.execPath, join(import.meta.dir, "bare.ts")], {}, root, (out) => Number(/"port":(\d+)/.exec(out)?.[1]) || null);
  const lt = await startLinkTracker(join(work, "redirect"));
  const ids = await createLinks(lt.port);
  const idsFile = join(work, "ids.txt");
  writeFileSync(idsFile, `${ids.join("\n")}\n`);
  const dbPath = join(work, "redirect/data/link-tracker.db");
  const countClicks = () => {
    const db = new Database(dbPath, { readonly: true });
    // Committed clicks: those in link_clicks and those still waiting in the inbox's own file (src/db/sqlite/inbox.ts).
    db.run("attach database ? as inbox", [`${dbPath}-inbox`]);
    const n = (
      db.query(
        "select (select count(*) from link_clicks where outcome = 'redirected') + (select count(*) from inbox.click_inbox where outcome = 'redirected') as n",
      ).get() as { n: number }
    ).n;
    db.close();
    return n;
  };

  const rows: { conns: number; round: number; name: string; r: WrkResult }[] = [];
  let answered = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    for (const conns of CONNECTIONS) {
      const b = await wrk(bare.port, conns, idsFile);
      rows.push({ conns, round, name: "bare Bun.serve 302", r: b });
      const before = countClicks();
      const l = await wrk(lt.port, conns, idsFile);
      await Bun.sleep(200); // the in-flight tail
      const recorded = countClicks() - before;
      rows.push({ conns, round, name: "link-tracker redirect", r: l });
      answered += l.requests;
      console.log(
        `  round ${round}, ${conns} connections: bare ${fmt(b.rps, 0)} req/s, link-tracker ${fmt(l.rps, 0)} req/s (${fmt(l.rps / b.rps, 2)}x); ` +
          `clicks recorded ${recorded} for ${l.requests} answered 302s (${recorded - l.requests >= 0 && recorded - l.requests <= conns ? "ok" : "MISMATCH"})`,
      );
    }
  }
  const rss = rssMb(lt.proc.pid);

  console.log("\nredirect (wrk -t2, random one of 1000 links, browser user agent and referrer)");
  console.log("round  conns  server                   req/s     p50 ms   p99 ms   errors");
  for (const { conns, round, name, r } of rows) {
    console.log(`${String(round).padEnd(7)}${String(conns).padEnd(7)}${name.padEnd(25)}${fmt(r.rps, 0).padStart(8)}${fmt(r.p50, 2).padStart(10)}${fmt(r.p99, 2).padStart(9)}${String(r.errors).padStart(9)}`);
  }
  console.log("\nratios link-tracker / bare (same round and connections):");
  for (const conns of CONNECTIONS) {
    const ratios = rows
      .filter((x) => x.conns === conns && x.name.startsWith("link"))
      .map((l) => l.r.rps / rows.find((b) => b.conns === conns && b.round === l.round && b.name.startsWith("bare"))!.r.rps);
    console.log(`  ${conns} connections: ${ratios.map((x) => `${fmt(x, 2)}x`).join(", ")}`);
  }
  console.log(`\nclicks in the database: ${countClicks()} for ${answered} 302s counted by wrk (the difference is at most the in-flight tail)`);
  console.log(`link-tracker RSS after the redirect runs: ${fmt(rss, 0)} MB`);

  lt.proc.kill("SIGTERM");
  await lt.proc.exited;
  await benchLocated(bare.port);
  bare.proc.kill("SIGTERM");

  const ingestServer = await startLinkTracker(join(work, "ingest"));
  const ingest = await benchIngest(ingestServer.port, 8);
  console.log(`ingest: ${fmt(ingest.eventsPerSec, 0)} events/s over ${ingest.batches} batches of 1000 (8 senders), p99 per batch ${fmt(ingest.p99, 1)} ms`);
  // The same batches from one sender: what a batch costs when it does not wait behind others.
  const alone = await benchIngest(ingestServer.port, 1);
  console.log(`ingest, one sender: ${fmt(alone.eventsPerSec, 0)} events/s over ${alone.batches} batches of 1000, p99 per batch ${fmt(alone.p99, 1)} ms`);
  // Redirects while an ingest key's holder sends all it can: the two share one event loop.
  const ingestIds = await createLinks(ingestServer.port);
  const ingestIdsFile = join(work, "ingest-ids.txt");
  writeFileSync(ingestIdsFile, `${ingestIds.join("\n")}\n`);
  // What a recruiter sees: one click at a time, alone and while the senders loop (before any flood: no backlog to move).
  const alone1 = await sequentialRedirects(ingestServer.port, ingestIds, DURATION * 500);
  const loaded = await redirectsUnderIngest(ingestServer.port, ingestIds, 4, DURATION);
  console.log(
    `redirects one at a time: p50 ${fmt(alone1.p50, 1)} ms, p99 ${fmt(alone1.p99, 1)} ms alone; ` +
      `p50 ${fmt(loaded.p50, 1)} ms, p99 ${fmt(loaded.p99, 1)} ms while 4 senders loop 1000-event batches ` +
      `(${loaded.n} redirects, ${fmt(loaded.eventsPerSec, 0)} events/s meanwhile; target p99 <= 50 ms)`,
  );
  const quiet = await wrk(ingestServer.port, 64, ingestIdsFile);
  const [underIngest, senders] = await Promise.all([wrk(ingestServer.port, 64, ingestIdsFile), benchIngest(ingestServer.port, 4, DURATION)]);
  console.log(
    `redirect p99 at 64 connections: ${fmt(quiet.p99, 1)} ms alone (${fmt(quiet.rps, 0)} req/s), ` +
      `${fmt(underIngest.p99, 1)} ms while 4 senders loop 1000-event batches (${fmt(underIngest.rps, 0)} req/s; ${fmt(senders.eventsPerSec, 0)} events/s meanwhile)`,
  );
  // Right after those floods the clicks they left in the inbox move into link_clicks: what a recruiter sees meanwhile.
  const afterFlood = await sequentialRedirects(ingestServer.port, ingestIds, DURATION * 500);
  console.log(`redirects one at a time right after those floods, while their backlog moves: p50 ${fmt(afterFlood.p50, 1)} ms, p99 ${fmt(afterFlood.p99, 1)} ms`);
  // The slowest read, the overview of every link and click (its breakdowns, top links, recent clicks), looped by two clients.
  const base = `http://127.0.0.1:${ingestServer.port}`;
  const overview = () => fetch(`${base}/api/link-tracking/analytics?from=2025-01-01T00:00:00Z`, { headers: { "x-api-key": KEY } });
  // Once first, untimed: the floods' clicks counted into the roll-ups (a read waits for that), so the loop reads what any later one would.
  await (await overview()).arrayBuffer();
  const underReads = await whileLooping(base, `/linkedin?uuid=${ingestIds[0]}`, overview, 2, DURATION * 1000, { "user-agent": "Mozilla/5.0 Chrome/131.0", "accept-language": "en" });
  console.log(
    `redirects one at a time while 2 clients loop GET /api/link-tracking/analytics (${underReads.slowAnswers} answers): ` +
      `p50 ${fmt(underReads.p50, 1)} ms, p99 ${fmt(underReads.p99, 1)} ms, max ${fmt(underReads.max, 1)} ms (target p99 <= 50 ms)`,
  );
  ingestServer.proc.kill("SIGTERM");
  await ingestServer.proc.exited;

  await benchHistory();
  await benchStarvation();

  console.log(`cold start to first health answer (median of 5): ${fmt(await coldStart(), 0)} ms`);

  const pgUrl = await benchDatabase();
  if (pgUrl) await benchPostgres(pgUrl);

  if (process.env.BENCH_ANALYTICS !== "0") {
    console.log("");
    await benchAnalytics(console.log, DURATION);
  }
}

/**
 * The redirect and ingest on a PostgreSQL store, against the same bare 302 in alternation:
 * every click durable at its 302 (synchronous_commit as the server has it, on by default).
 */
async function benchPostgres(url: string) {
  const bare = await start([process.execPath, join(import.meta.dir, "bare.ts")], {}, root, (out) => Number(/"port":(\d+)/.exec(out)?.[1]) || null);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const lt = await startLinkTracker(join(work, "postgres"), { DATABASE_URL: url });
  const [{ synchronous_commit }] = await sql`show synchronous_commit`;
  const [{ server_version }] = await sql`show server_version`;
  console.log(`\nPostgreSQL ${server_version} on this machine (synchronous_commit=${synchronous_commit}): link-tracker with DATABASE_URL`);
  const ids = await createLinks(lt.port);
  const idsFile = join(work, "pg-ids.txt");
  writeFileSync(idsFile, `${ids.join("\n")}\n`);
  const countClicks = async () => Number((await sql`select count(*)::int as n from link_clicks where outcome = 'redirected'`)[0].n);
  let answered = 0;
  const before = await countClicks();
  for (let round = 1; round <= ROUNDS; round++) {
    for (const conns of CONNECTIONS) {
      const b = await wrk(bare.port, conns, idsFile);
      const l = await wrk(lt.port, conns, idsFile);
      answered += l.requests;
      console.log(
        `  round ${round}, ${conns} connections: bare ${fmt(b.rps, 0)} req/s, link-tracker on PostgreSQL ${fmt(l.rps, 0)} req/s ` +
          `(${fmt(l.rps / b.rps, 2)}x), p50 ${fmt(l.p50, 2)} ms, p99 ${fmt(l.p99, 2)} ms, errors ${l.errors}`,
      );
    }
  }
  await Bun.sleep(300);
  const recorded = (await countClicks()) - before;
  console.log(`  clicks in PostgreSQL: ${recorded} for ${answered} 302s counted by wrk (the difference is at most the in-flight tail)`);
  console.log(`  link-tracker RSS after the PostgreSQL redirect runs: ${fmt(rssMb(lt.proc.pid), 0)} MB`);
  const ingest = await benchIngest(lt.port, 8);
  console.log(`  ingest on PostgreSQL: ${fmt(ingest.eventsPerSec, 0)} events/s over ${ingest.batches} batches of 1000 (8 senders), p99 per batch ${fmt(ingest.p99, 1)} ms`);
  const alone = await benchIngest(lt.port, 1);
  console.log(`  ingest on PostgreSQL, one sender: ${fmt(alone.eventsPerSec, 0)} events/s, p99 per batch ${fmt(alone.p99, 1)} ms`);
  bare.proc.kill("SIGTERM");
  lt.proc.kill("SIGTERM");
  await lt.proc.exited;
  if (process.env.BENCH_MANY_LINKS !== "0") await benchManyLinks(sql, url);
  await sql.end();
  if (!process.env.BENCH_DATABASE_URL) {
    const admin = new URL(url);
    const name = admin.pathname.slice(1);
    admin.pathname = "/postgres";
    const drop = postgres(admin.toString(), { max: 1, onnotice: () => {} });
    await drop.unsafe(`drop database if exists ${name} with (force)`).catch(() => {});
    await drop.end();
  }
}

/**
 * A million links in PostgreSQL: an instance keeps only the links it is asked for (at most
 * 20,000), so its memory is the same as at a thousand. RSS after start, and after 100,000
 * redirects over random ones of them (wrk at 64 connections until that many answered, 90 s at most).
 */
async function benchManyLinks(sql: postgres.Sql, url: string) {
  const MANY = 1_000_000;
  const started = performance.now();
  await sql`insert into link_tracking (tracking_id, link_function, link_type, original_url, redirect_url)
    select 'm' || lpad(g::text, 7, '0'), 'LinkedIn', 'profile', 'https://linkedin.com/in/steve-glen', 'http://127.0.0.1/linkedin?uuid=m' || lpad(g::text, 7, '0')
    from generate_series(1, ${MANY}) g on conflict do nothing`;
  const idsFile = join(work, "pg-many-ids.txt");
  writeFileSync(idsFile, `${Array.from({ length: MANY }, (_, i) => `m${String(i + 1).padStart(7, "0")}`).join("\n")}\n`);
  console.log(`  ${MANY.toLocaleString("en")} links in PostgreSQL (inserted in ${fmt((performance.now() - started) / 1000, 1)} s):`);
  const lt = await startLinkTracker(join(work, "postgres-many"), { DATABASE_URL: url }, 120_000);
  await Bun.sleep(1000);
  const atStart = rssMb(lt.proc.pid);
  console.log(`  started (answering health) in ${fmt(lt.readyMs / 1000, 1)} s`);
  let answered = 0;
  let errors = 0;
  const until = performance.now() + 90_000;
  while (answered < 100_000 && performance.now() < until) {
    const r = await wrk(lt.port, 64, idsFile, 5);
    answered += r.requests;
    errors += r.errors;
  }
  const right = rssMb(lt.proc.pid);
  await Bun.sleep(3000);
  console.log(
    `  RSS after start ${fmt(atStart, 0)} MB, after ${answered.toLocaleString("en")} redirects over random links ${fmt(right, 0)} MB, ` +
      `settled ${fmt(rssMb(lt.proc.pid), 0)} MB (target ≤ 150 MB; errors ${errors})`,
  );
  lt.proc.kill("SIGTERM");
  await lt.proc.exited;
}

await main();
process.exit(0);
