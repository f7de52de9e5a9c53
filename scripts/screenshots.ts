/**
 * `npm run screenshots`: every dashboard page at 1280 and 375 px wide, into screenshots/
 * (not committed). Starts the binary on a temporary database with a few applications,
 * links and clicks, and drives Debian's Chromium.
 */
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

const proc = Bun.spawn([join(root, "dist/link-tracker")], {
  cwd: dir,
  env: { PATH: process.env.PATH ?? "", PORT: "0", HOST: "127.0.0.1", DESTINATION_CHECK_SECONDS: "0", WEBHOOK_API_KEY: KEY, TRUST_PROXY: "true", SIGNAL_HOLD_SECONDS: "0" },
  stdout: "pipe",
});
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

const day = (n: number, minutes = 0) => new Date(Date.now() - n * 86_400_000 - minutes * 60_000).toISOString();
const named = [
  { company: "Acme", role: "Senior Engineer", sent_at: day(12) },
  { company: "Globex", role: "Platform Engineer", sent_at: day(9) },
  { company: "Initech", role: "Backend Developer", sent_at: day(21) },
  { company: "Umbrella", role: "Staff Engineer", sent_at: day(4) },
];
const apps: string[] = [];
const created = [] as { tracking_id: string; redirect_url: string; application_id: string }[];
for (const application of named) {
  const made = (await api("/api/link-tracking/links/bulk", {
    application,
    links: [
      { original_url: "https://linkedin.com/in/steve-glen", link_function: "LinkedIn" },
      { original_url: "https://steve.dev/", link_function: "Portfolio" },
      { original_url: "https://calendly.com/steve", link_function: "Calendly" },
    ],
  })) as { links: { tracking_id: string; redirect_url: string; application_id: string }[]; application: { application_id: string } };
  apps.push(made.application.application_id);
  created.push(...made.links);
}
// Recruiters (and a scanner and a preview) over the last ten days, on the first two
// applications, and one coming back to the third after two weeks; the fourth waits.
const agents = {
  windows: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
  iphone: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
  linkedin: "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
};
const click = (link: { tracking_id: string }, clicked_at: string, ip: string, agent: string, session: string) =>
  api("/api/link-tracking/record-click", { tracking_id: link.tracking_id, clicked_at, ip_address: ip, user_agent: agent, session_id: session, click_source: "email" });
for (let i = 0; i < 30; i++) {
  const link = created[i % 6];
  const ip = ["13.107.42.14", "217.0.0.1", "81.2.69.142", "193.0.6.139"][i % 4];
  await click(link, day(i % 10, i * 7), ip, i % 2 ? agents.iphone : agents.windows, `s${i % 9}`);
}
await click(created[0], day(0, 5), "52.94.236.248", agents.linkedin, "p1");
await click(created[1], day(1, 5), "148.163.128.1", agents.windows, "x1");
await click(created[6], day(16), "217.0.0.1", agents.windows, "r1");
await click(created[7], day(1), "217.0.0.1", agents.iphone, "r2");
// A link cut short by a line break in a PDF.
await fetch(`${base}/linkedin?uuid=${created[0].tracking_id.slice(0, 12)}`, { redirect: "manual", headers: { "user-agent": agents.windows, "accept-language": "en", "x-forwarded-for": "13.107.42.14" } });

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
const pages: [string, string][] = [
  ["signin", ""],
  ["home", "#/"],
  ["applications", "#/applications"],
  ["application", `#/applications/${apps[0]}`],
  ["link", `#/links/${created[0].tracking_id}`],
  ["orphans", "#/orphans"],
  ["new-application", "#/new"],
];
for (const width of [1280, 375]) {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${base}/dashboard`);
  await page.screenshot({ path: join(out, `${width}-signin.png`), fullPage: true });
  await page.getByLabel("API key").fill(KEY);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Home" }).waitFor();
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
