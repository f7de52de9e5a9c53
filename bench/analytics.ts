/**
 * Analytics at scale: seeds 1,000,000 clicks over 1,000 links (50 applications, 10 jobs,
 * 30 days, every visitor kind), starts dist/link-tracker on that database and times each
 * analytics endpoint (median of 5). Part of `npm run bench`; runs alone with
 * `bun bench/analytics.ts`.
 */
import { $ } from "bun";
import { Database } from "bun:sqlite";
import { mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(import.meta.dir, "..");
const BINARY = join(root, "dist/link-tracker");
const KEY = "bench-key-0123456789abcdef0123";
const CLICKS = Number(process.env.BENCH_CLICKS ?? 1_000_000);
const LINKS = 1000;

const uuid = (prefix: string, n: number) => `${prefix}${String(n).padStart(7, "0")}-0000-4000-8000-000000000000`.slice(0, 36);
export const jobId = (n: number) => uuid("1", n);
export const applicationId = (n: number) => uuid("a", n);

export async function benchAnalytics(log: (line: string) => void = console.log): Promise<void> {
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
    // Clicks written by SQL, not through the server: count them per day as the server would.
    db.run("delete from click_daily");
    db.run("insert into click_daily select substr(clicked_at, 1, 10), tracking_id, visitor_kind, outcome, count(*) from link_clicks group by 1, 2, 3, 4");
    db.run("ANALYZE");
    db.close();
    log(`analytics: seeded ${CLICKS.toLocaleString("en")} clicks over ${LINKS} links in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const proc = Bun.spawn([BINARY], { cwd: dir, env: { PATH: process.env.PATH ?? "", PORT: "0", HOST: "127.0.0.1", WEBHOOK_API_KEY: KEY, LOG_LEVEL: "info" }, stdout: "pipe", stderr: "pipe" });
    let out = "";
    (async () => {
      for await (const c of proc.stdout) out += new TextDecoder().decode(c);
    })();
    let port = 0;
    for (let i = 0; i < 500 && !port; i++) {
      port = Number(/"msg":"listening".*?"port":(\d+)|"port":(\d+).*?"msg":"listening"/.exec(out)?.slice(1).find(Boolean) ?? 0);
      await Bun.sleep(10);
    }
    const endpoints: [string, string][] = [
      [`link analytics (${(CLICKS / LINKS).toLocaleString("en")} clicks)`, "/api/link-tracking/analytics/bench0042"],
      ["link analytics, include_bots", "/api/link-tracking/analytics/bench0042?include_bots=true"],
      ["application roll-up (20 links)", `/api/link-tracking/analytics/applications/${applicationId(2)}`],
      ["job roll-up (100 links)", `/api/link-tracking/analytics/jobs/${jobId(1)}`],
      ["overview, last 30 days", "/api/link-tracking/analytics"],
      ["overview, last 7 days", `/api/link-tracking/analytics?from=${new Date(Date.now() - 7 * 86_400_000).toISOString()}`],
      ["links list (50)", "/api/link-tracking/links"],
      ["lookup", "/api/link-tracking/lookup/bench0042"],
      ["clicks.csv of one link", "/api/link-tracking/clicks.csv?tracking_id=bench0042"],
    ];
    log("endpoint                              median ms   max ms   status");
    for (const [name, path] of endpoints) {
      const times: number[] = [];
      let status = 0;
      for (let i = 0; i < 5; i++) {
        const s = performance.now();
        const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { "x-api-key": KEY } });
        await res.arrayBuffer();
        times.push(performance.now() - s);
        status = res.status;
      }
      times.sort((a, b) => a - b);
      log(`${name.padEnd(38)}${times[2].toFixed(1).padStart(9)}${times[4].toFixed(1).padStart(9)}${String(status).padStart(9)}`);
    }
    proc.kill("SIGTERM");
    await proc.exited;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) await benchAnalytics();
