/**
 * `npm run screenshots`: every dashboard page at 1280 and 375 px wide, into screenshots/
 * (not committed). Starts the binary on a temporary database with a few applications,
 * links and clicks, and drives Debian's Chromium.
 */
import { Database } from "bun:sqlite";
import { mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const root = join(import.meta.dir, "..");
const out = join(root, "screenshots");
const KEY = "shots-key-0123456789abcdef";
const dir = join(tmpdir(), `link-tracker-shots-${process.pid}`);
mkdirSync(dir, { recursive: true });
mkdirSync(out, { recursive: true });

await Bun.$`${process.execPath} scripts/build.ts`.cwd(root).quiet();
await Bun.$`bash scripts/install-chromium.sh`.cwd(root).quiet();

const proc = Bun.spawn([join(root, "dist/link-tracker")], { cwd: dir, env: { PATH: process.env.PATH ?? "", PORT: "0", HOST: "127.0.0.1", WEBHOOK_API_KEY: KEY }, stdout: "pipe" });
let log = "";
(async () => {
  for await (const c of proc.stdout) log += new TextDecoder().decode(c);
})();
let port = 0;
while (!port) {
  port = Number(/"port":(\d+)/.exec(log)?.[1] ?? 0);
  await Bun.sleep(20);
}
const base = `http://127.0.0.1:${port}`;
const api = (path: string, body: unknown) =>
  fetch(`${base}${path}`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": KEY }, body: JSON.stringify(body) }).then((r) => r.json());

const apps = ["11111111-aaaa-4aaa-8aaa-000000000001", "11111111-aaaa-4aaa-8aaa-000000000002", "11111111-aaaa-4aaa-8aaa-000000000003"];
const created = [] as { tracking_id: string; redirect_url: string }[];
for (const application_id of apps) {
  const { links } = (await api("/api/link-tracking/links/bulk", {
    links: [
      { original_url: "https://linkedin.com/in/steve-glen", link_function: "LinkedIn", application_id },
      { original_url: "https://steve.dev/", link_function: "Portfolio", application_id },
      { original_url: "https://calendly.com/steve", link_function: "Calendly", application_id },
    ],
  })) as { links: { tracking_id: string; redirect_url: string }[] };
  created.push(...links);
}
// Clicks over the last ten days on the first two applications; the third waits.
const db = new Database(join(dir, "data/link-tracker.db"));
const insert = db.prepare(
  "insert into link_clicks (click_id, tracking_id, clicked_at, received_at, user_agent, referrer_url, session_id, click_source, origin, visitor_kind, is_bot) values (?, ?, ?, ?, ?, ?, ?, 'linkedin', 'redirect', ?, ?)",
);
const agents = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"];
for (let i = 0; i < 40; i++) {
  const link = created[i % 6];
  const at = new Date(Date.now() - (i % 10) * 86_400_000 - i * 600_000).toISOString();
  const kind = i % 7 === 0 ? "preview" : i % 11 === 0 ? "scanner" : "human";
  insert.run(crypto.randomUUID(), link.tracking_id, at, at, agents[i % 2], i % 3 ? "https://mail.google.com/" : null, `s${i % 9}`, kind, kind === "human" ? 0 : 1);
}
insert.run(crypto.randomUUID(), created[0].tracking_id.slice(0, 12), new Date().toISOString(), new Date().toISOString(), agents[0], null, "s1", "human", 0);
db.run("update link_clicks set outcome = 'not_found' where length(tracking_id) = 12");
// Clicks written by SQL, not through the server: count them per day as the server would.
db.run("delete from click_daily");
db.run("insert into click_daily select substr(clicked_at, 1, 10), tracking_id, visitor_kind, outcome, count(*) from link_clicks group by 1, 2, 3, 4");
db.close();

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
const pages: [string, string][] = [
  ["signin", ""],
  ["applications", "#/"],
  ["application", `#/applications/${apps[0]}`],
  ["link", `#/links/${created[0].tracking_id}`],
  ["orphans", "#/orphans"],
  ["new-links", "#/new"],
];
for (const width of [1280, 375]) {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${base}/dashboard`);
  await page.screenshot({ path: join(out, `${width}-signin.png`), fullPage: true });
  await page.getByLabel("API key").fill(KEY);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Applications" }).waitFor();
  for (const [name, hash] of pages.slice(1)) {
    await page.goto(`${base}/dashboard${hash}`);
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(out, `${width}-${name}.png`), fullPage: true });
  }
  await context.close();
}
await browser.close();
proc.kill("SIGTERM");
rmSync(dir, { recursive: true, force: true });
console.log(`screenshots written to ${out}`);
