/**
 * PostgreSQL reads at size: seeds a fresh database (on the local test cluster, scripts/ensure-postgres.sh) with N clicks
 * on one link, starts BINARY on it, waits for the roll-ups, times the link's analytics and the overview.
 *   bun bench/postgres-reads.ts BINARY DATABASE_NAME [N]
 */
import postgres from "postgres";
const [binary, dbName, nArg] = process.argv.slice(2);
const N = Number(nArg ?? 300000);
const admin = postgres("postgres://link_tracker_test:link_tracker_test@127.0.0.1:5432/postgres", { max: 1, onnotice: () => {} });
await admin.unsafe(`drop database if exists ${dbName}`);
await admin.unsafe(`create database ${dbName}`);
await admin.end();
const url = `postgres://link_tracker_test:link_tracker_test@127.0.0.1:5432/${dbName}`;
const KEY = "k".repeat(40);
const start = async () => {
  const proc = Bun.spawn([binary], { cwd: "/tmp", env: { PATH: process.env.PATH!, PORT: "0", HOST: "127.0.0.1", DESTINATION_CHECK_SECONDS: "0", DATABASE_URL: url, WEBHOOK_API_KEY: KEY, LOG_LEVEL: "info" }, stdout: "pipe", stderr: "pipe" });
  let out = "";
  (async () => { for await (const c of proc.stdout) out += new TextDecoder().decode(c); })();
  (async () => { for await (const c of proc.stderr) out += new TextDecoder().decode(c); })();
  for (let i = 0; i < 200 && !/"port":(\d+)/.test(out); i++) await Bun.sleep(50);
  return { proc, port: Number(/"port":(\d+)/.exec(out)![1]), out: () => out };
};
let s = await start();
const h = { "x-api-key": KEY, "content-type": "application/json" };
await fetch(`http://127.0.0.1:${s.port}/api/link-tracking/links`, { method: "POST", headers: h, body: JSON.stringify({ original_url: "https://example.com/", link_function: "LinkedIn", tracking_id: "hot" }) });
s.proc.kill(); await s.proc.exited;
const db = postgres(url, { max: 1, onnotice: () => {} });
const t0 = Date.now();
await db.unsafe(`insert into link_clicks (click_id, tracking_id, clicked_at, received_at, user_agent, referrer_url, session_id, click_source, metadata, is_bot, visitor_kind, origin, outcome, country, asn, network, browser, os, device, referrer_domain)
  select gen_random_uuid(), 'hot', now() - (i % 2000000) * interval '1 second', now(), 'agent ' || (i % 1000), 'https://mail.google.com/', 's' || (i % 50000), 'linkedin', '{}', false,
    (array['human','human','human','bot','scanner'])[1 + i % 5], 'redirect', 'redirected', (array['US','DE','FR'])[1 + i % 3], 3320 + i % 7, 'net ' || (i % 7), 'Chrome', 'Windows', 'desktop', 'mail.google.com'
  from generate_series(1, ${N}) as i`);
console.log(`seeded ${N} clicks in ${Date.now() - t0} ms`);
await db.end();
s = await start();
// Wait until the roll-ups hold every click (a binary that has none says nothing: wait a little).
for (let i = 0; i < 600 && !/the roll-ups hold every click/.test(s.out()); i++) { if (i > 40 && !/counting the clicks/.test(s.out())) break; await Bun.sleep(100); }
const times: Record<string, number[]> = {};
const paths = { "link analytics": "/api/link-tracking/analytics/hot", "link, tz=Europe/Berlin": "/api/link-tracking/analytics/hot?tz=Europe/Berlin", overview: "/api/link-tracking/analytics" };
for (let round = 0; round < 5; round++) for (const [name, p] of Object.entries(paths)) {
  const t = performance.now();
  const r = await fetch(`http://127.0.0.1:${s.port}${p}`, { headers: h });
  await r.arrayBuffer();
  if (r.status !== 200) console.log(name, r.status);
  (times[name] ??= []).push(performance.now() - t);
}
for (const [name, ts] of Object.entries(times)) { ts.sort((a, b) => a - b); console.log(`${name}: median ${ts[2].toFixed(1)} ms, max ${ts[4].toFixed(1)} ms`); }
s.proc.kill(); await s.proc.exited;
