/**
 * The dashboard in a real browser: Debian's Chromium driven by playwright-core, against
 * the compiled binary. Fails on any console error. Skipped, with a message, only where
 * Chromium is not installed (scripts/install-chromium.sh installs it).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import AxeBuilder from "@axe-core/playwright";
import { chromium, type Browser, type Page } from "playwright-core";
import { join } from "node:path";
import { BINARY, buildBinary, emptyFolder, startServer, type Server } from "./binary";

const CHROMIUM = "/usr/bin/chromium";
const available = existsSync(CHROMIUM);
if (!available) console.warn(`dashboard browser tests SKIPPED: ${CHROMIUM} is missing (run scripts/install-chromium.sh)`);

const KEY = "dash-key-0123456789abcdef";
let server: Server;
let serverDir: string;
let browser: Browser;

beforeAll(async () => {
  if (!available) return;
  buildBinary();
  serverDir = emptyFolder();
  // Behind a proxy, as on a VPS: the recruiter's browser below comes from Microsoft's network.
  // Destination checks on demand may ask the loopback pages below.
  server = await startServer(serverDir, { WEBHOOK_API_KEY: KEY, TRUST_PROXY: "true", SIGNAL_HOLD_SECONDS: "0", DESTINATION_CHECK_ALLOW_PRIVATE: "true", WEBHOOK_ALLOW_PRIVATE: "true" });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  server?.proc.kill("SIGTERM");
});

async function page(width = 1280): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const p = await context.newPage();
  const errors: string[] = [];
  p.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  p.on("pageerror", (e) => errors.push(e.message));
  return { page: p, errors };
}

/** axe-core's WCAG 2 A and AA rules on the page as it is: the serious and critical violations, by rule and element. */
async function accessibility(p: Page, where: string): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page: p }).withTags(["wcag2a", "wcag2aa"]).analyze();
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .flatMap((v) => v.nodes.map((n) => `${where}: ${v.id} (${v.impact}) at ${n.target.join(" ")}`));
}

describe.skipIf(!available)("dashboard", () => {
  test(
    "sign in, create an application and its links, click a tracked URL, see the home page and the application change, sign out",
    async () => {
      const { page: p, errors } = await page();
      await p.goto(`${server.base}/dashboard`);
      const violations = await accessibility(p, "sign in");
      // Signed out, nothing offers to sign out or to go anywhere else.
      await p.getByLabel("API key").waitFor();
      expect(await p.getByRole("button", { name: "Sign out", exact: true }).isVisible()).toBe(false);
      expect(await p.getByRole("button", { name: "Sign out everywhere" }).isVisible()).toBe(false);
      expect(await p.getByRole("link", { name: "Applications" }).isVisible()).toBe(false);
      await p.getByLabel("API key").fill(KEY);
      await p.getByRole("button", { name: "Sign in" }).click();
      await p.getByRole("heading", { name: "Home" }).waitFor();
      await p.getByText("No applications yet").waitFor();
      violations.push(...(await accessibility(p, "home, nothing yet")));
      // No PUBLIC_BASE_URL here: every page says the links cannot be sent yet, and how to fix it.
      const banner = p.getByRole("note");
      expect(await banner.textContent()).toContain(`These links only work on this computer: they start with http://localhost:`);
      expect(await banner.textContent()).toContain("Set PUBLIC_BASE_URL to your domain");

      // Signing in set the session and owner cookies: HttpOnly, invisible to scripts.
      const cookies = await p.context().cookies();
      expect(cookies.find((c) => c.name === "lt_owner")).toMatchObject({ httpOnly: true, sameSite: "Lax" });
      expect(cookies.find((c) => c.name === "lt_session")).toMatchObject({ httpOnly: true, sameSite: "Strict", expires: -1 });
      expect(await p.evaluate("document.cookie")).toBe("");

      await p.getByRole("link", { name: "New application" }).click();
      violations.push(...(await accessibility(p, "new application")));
      expect(await p.locator("#local-links").textContent()).toContain("only work on this computer");
      await p.getByLabel("Company").fill("Acme");
      await p.getByLabel("Role").fill("Senior Engineer");
      // The rows come prefilled with what a résumé has.
      expect(await p.getByLabel("Link 1: what it is").inputValue()).toBe("LinkedIn");
      expect(await p.getByLabel("Link 3: what it is").inputValue()).toBe("Calendly");
      await p.getByLabel("Link 1: destination").fill("https://linkedin.com/in/steve-glen");
      await p.getByLabel("Link 2: destination").fill("https://steve.dev/");
      await p.getByLabel("Link 3: destination").fill("https://calendly.com/steve");
      await p.getByRole("button", { name: "Create the application and its links" }).click();
      await p.getByRole("heading", { name: "Tracked URLs" }).waitFor();
      await p.getByRole("link", { name: "Acme — Senior Engineer" }).waitFor();
      const all = await p.getByLabel("All of them, ready to paste").inputValue();
      expect(all.split("\n").map((line) => line.split(": ")[0])).toEqual(["LinkedIn", "Portfolio", "Calendly"]);
      await p.getByRole("button", { name: "Copy all" }).waitFor();
      const urls = await p.locator(".result .url").allTextContents();
      expect(urls).toHaveLength(3);
      expect(urls[0]).toMatch(/\/linkedin\?uuid=[A-Za-z0-9]{22}$/);
      await p.locator(".result img").first().waitFor();
      expect(await p.locator(".result img").first().getAttribute("src")).toStartWith("blob:");
      violations.push(...(await accessibility(p, "tracked URLs")));

      // A recruiter (another browser, no owner cookie) clicks the LinkedIn link; the
      // destination is stood in for, this test reaching nothing but loopback.
      const tracked = urls[0].replace(/^https?:\/\/[^/]+/, server.base);
      const follow = async (context: import("playwright-core").BrowserContext) => {
        const tab = await context.newPage();
        let location = "";
        // The browser's own request (its headers and cookies) goes to link-tracker; the
        // 302 is read here instead of followed.
        await tab.route(`${server.base}/linkedin**`, async (route) => {
          const answer = await route.fetch({ maxRedirects: 0 });
          expect(answer.status()).toBe(302);
          location = answer.headers().location;
          await route.fulfill({ status: 200, contentType: "text/html", body: "<title>followed</title>" });
        });
        await tab.goto(tracked);
        expect(location).toBe("https://linkedin.com/in/steve-glen");
        await tab.close();
      };
      // Headless Chromium names itself HeadlessChrome (a bot, rightly): the recruiter's browser does not.
      const recruiter = await browser.newContext({
        extraHTTPHeaders: { "x-forwarded-for": "13.107.42.14" },
        locale: "en-GB",
        userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
      });
      await follow(recruiter);
      await recruiter.close();
      // The owner clicking their own link (same browser as the dashboard) is marked as such.
      await follow(p.context());
      // A mail gateway opens all three links of the message within a second, as a browser would.
      for (const url of urls) {
        const res = await fetch(url.replace(/^https?:\/\/[^/]+/, server.base), {
          redirect: "manual",
          headers: { "user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36", "accept-language": "en", "x-forwarded-for": "81.2.69.142" },
        });
        expect(res.status).toBe(302);
      }

      // Home: what happened, and where the application stands.
      await p.getByRole("link", { name: "Home" }).click();
      await p.getByText("was opened for the first time (LinkedIn) from Microsoft Corporation, US").waitFor();
      violations.push(...(await accessibility(p, "home")));
      await p.getByRole("button", { name: "Mark all as seen" }).click();
      await p.getByText("Nothing new.").waitFor();

      await p.getByRole("link", { name: "Applications" }).click();
      await p.getByRole("heading", { name: "Applications", exact: true }).waitFor();
      const row = p.locator("tbody tr").first();
      expect(await row.locator("td").first().textContent()).toBe("Acme — Senior Engineer");
      expect(await row.locator("td").nth(1).textContent()).toBe("opened");
      await expect(await row.locator("td").nth(2).textContent()).toBe("1");
      await p.getByLabel("Status").selectOption("not_opened");
      expect(await p.locator("tbody tr").count()).toBe(0);
      await p.getByLabel("Status").selectOption("");
      await p.getByLabel("Search").fill("acme");
      expect(await p.locator("tbody tr").count()).toBe(1);
      violations.push(...(await accessibility(p, "applications")));
      await row.getByRole("link").click();
      await p.getByText("Chrome on Windows, desktop — from Microsoft Corporation, US").waitFor();
      // The owner's own click and the gateway's burst, collapsed with their reasons.
      await p.getByText("4 clicks that were not a recruiter's").click();
      await p.getByRole("cell", { name: "signed in to the dashboard" }).waitFor();
      expect(await p.getByRole("cell", { name: /^burst: 3 links of one application/ }).count()).toBe(3);
      violations.push(...(await accessibility(p, "application")));
      await p.getByText("US: 1").waitFor();
      expect(await p.getByRole("link", { name: "IP Geolocation by DB-IP" }).getAttribute("href")).toBe("https://db-ip.com");
      await p.getByRole("link", { name: "LinkedIn" }).click();
      await p.getByRole("heading", { level: 1, name: /LinkedIn/ }).waitFor();
      const kinds = await p.locator("tbody .badge").allTextContents();
      expect(kinds.sort()).toEqual(["human", "owner", "scanner"]);
      await p.getByText("Microsoft Corporation (AS8068): 1").waitFor();
      await p.getByRole("cell", { name: "Microsoft Corporation, US" }).waitFor();
      await p.getByRole("link", { name: "IP Geolocation by DB-IP" }).waitFor();
      // Clicks per day: a bar for each day, the kinds stacked; hiding one redraws without it.
      const chart = p.getByRole("img", { name: /^Clicks per day from/ });
      await chart.waitFor();
      expect(await chart.getAttribute("aria-label")).toMatch(/recruiters' clicks: \d{4}-\d{2}-\d{2} 1$/);
      expect(await p.locator(".bars rect.k-human").count()).toBe(1);
      expect(await p.locator(".bars rect.k-owner").count()).toBe(1);
      expect(await p.locator(".bars rect.k-scanner").count()).toBe(1);
      await p.getByRole("checkbox", { name: "you" }).uncheck();
      expect(await p.locator(".bars rect.k-owner").count()).toBe(0);
      violations.push(...(await accessibility(p, "link")));
      await p.getByRole("link", { name: "Orphan visits" }).click();
      await p.getByRole("heading", { name: "Orphan visits" }).waitFor();
      violations.push(...(await accessibility(p, "orphan visits")));
      expect(violations).toEqual([]);

      await p.getByRole("button", { name: "Sign out", exact: true }).click();
      await p.getByRole("heading", { name: "Sign in" }).waitFor();
      expect((await p.context().cookies()).filter((c) => c.name.startsWith("lt_"))).toEqual([]);
      // Nothing of the key or the session was ever kept where scripts can read it.
      expect(await p.evaluate("sessionStorage.length")).toBe(0);
      expect(await p.evaluate("Object.keys(localStorage).filter((k) => k !== 'lt_seen')")).toEqual([]);
      if (errors.length) console.log("console errors:", errors);
      expect(errors).toEqual([]);
    },
    60_000,
  );

  test("a read key sees but cannot create, at 375 px; a wrong key is refused; the page has a strict CSP", async () => {
    const created = Bun.spawnSync([BINARY, "keys", "create", "--name", "viewer", "--scope", "read"], {
      env: { PATH: process.env.PATH ?? "", DATABASE_PATH: join(serverDir, "data/link-tracker.db") },
    });
    expect(created.exitCode).toBe(0);
    const { page: p, errors } = await page(375);
    await p.goto(`${server.base}/dashboard`);
    await p.getByLabel("API key").fill("not-a-key-0123456789");
    await p.getByRole("button", { name: "Sign in" }).click();
    await p.getByText("That key was not accepted.").waitFor();
    await p.getByLabel("API key").fill(created.stdout.toString().trim());
    await p.getByRole("button", { name: "Sign in" }).click();
    await p.getByRole("heading", { name: "Home" }).waitFor();
    expect(await p.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(375);
    await p.getByRole("link", { name: "Applications" }).click();
    await p.getByRole("heading", { name: "Applications" }).waitFor();
    expect(await p.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(375);
    // By keyboard alone: Tab to the first application, Enter opens it.
    let focused = "";
    for (let i = 0; i < 20 && focused !== "Acme — Senior Engineer"; i++) {
      await p.keyboard.press("Tab");
      focused = await p.evaluate<string>("document.activeElement ? document.activeElement.textContent : \"\"");
    }
    expect(focused).toBe("Acme — Senior Engineer");
    await p.keyboard.press("Enter");
    await p.getByRole("heading", { name: "Acme — Senior Engineer" }).waitFor();
    expect(await p.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(375);
    await p.getByRole("link", { name: "New application" }).click();
    await p.getByText("Your key can read but not create").waitFor();
    expect(await p.getByRole("button", { name: "Create the application and its links" }).count()).toBe(0);
    expect(await p.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(375);
    const res = await p.request.get(`${server.base}/dashboard`);
    expect(res.headers()["content-security-policy"]).toContain("script-src 'self'");
    // The refused sign-in's 401 is the only error the console may show.
    expect(errors.filter((e) => !e.includes("401"))).toEqual([]);
  }, 60_000);
});

describe.skipIf(!available)("managing an application from the dashboard", () => {
  test("find and copy its URLs, add a link, edit, deactivate (410), reactivate, delete, rename; the link's page links back; at 375 px every action in view", async () => {
    const bulk = await fetch(`${server.base}/api/link-tracking/links/bulk`, {
      method: "POST",
      headers: { "x-api-key": KEY, "content-type": "application/json" },
      body: JSON.stringify({ application: { company: "Globex", role: "SRE" }, links: [
        { link_function: "LinkedIn", original_url: "https://linkedin.com/in/steve-glen" },
        { link_function: "Portfolio", original_url: "https://steve.dev/" },
      ] }),
    });
    expect(bulk.status).toBe(201);
    const made = (await bulk.json()) as { application: { application_id: string }; links: { tracking_id: string; link_function: string; redirect_url: string }[] };
    const appId = made.application.application_id;
    const { page: p, errors } = await page(375);
    p.on("dialog", (d) => d.accept());
    await p.goto(`${server.base}/dashboard`);
    await p.getByLabel("API key").fill(KEY);
    await p.getByRole("button", { name: "Sign in" }).click();
    await p.getByRole("heading", { name: "Home" }).waitFor();
    await p.goto(`${server.base}/dashboard#/applications/${appId}`);
    await p.getByRole("heading", { name: "Globex — SRE" }).waitFor();
    // Counts read as words do: no "first —" before any click.
    expect(await p.locator("h1 + p.muted").textContent()).toBe("2 links, 0 human clicks");

    // Each link with its tracked URL, copy and QR buttons, all inside the 375 px viewport.
    const urls = await p.locator(".link-card code.url").allTextContents();
    expect(urls.sort()).toEqual(made.links.map((l) => l.redirect_url).sort());
    const inView = async () => {
      for (const box of await p.locator(".link-card button, .link-card a, button").evaluateAll((els) => els.filter((e) => (e as unknown as { offsetParent: unknown }).offsetParent !== null).map((e) => { const r = e.getBoundingClientRect(); return { left: r.left, right: r.right, text: e.textContent }; })))
        expect(box.right, `${box.text} is cut off`).toBeLessThanOrEqual(375);
      expect(await p.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(375);
    };
    await inView();
    await p.getByRole("button", { name: "QR code of the LinkedIn URL" }).click();
    const qr = p.locator('.link-card img[alt*="/linkedin?uuid="]');
    await qr.waitFor();
    expect(await qr.getAttribute("src")).toStartWith("blob:");
    await p.getByRole("button", { name: "Copy all URLs" }).waitFor();
    const violations = await accessibility(p, "application, managed");

    // Add a link to it.
    await p.getByLabel("What it is").fill("GitHub");
    await p.getByLabel("Destination", { exact: true }).last().fill("https://github.com/steve");
    await p.getByRole("button", { name: "Add the link" }).click();
    await p.getByRole("link", { name: "GitHub" }).waitFor();
    expect(await p.locator(".link-card").count()).toBe(3);

    // Deactivate the Portfolio link: a recruiter's click on it answers 410.
    const portfolio = made.links.find((l) => l.link_function === "Portfolio")!;
    const tracked = portfolio.redirect_url.replace(/^https?:\/\/[^/]+/, server.base);
    await p.getByRole("button", { name: "Deactivate the Portfolio link" }).click();
    await p.getByRole("button", { name: "Reactivate the Portfolio link" }).waitFor();
    expect((await fetch(tracked, { redirect: "manual" })).status).toBe(410);
    await p.getByRole("button", { name: "Reactivate the Portfolio link" }).click();
    await p.getByRole("button", { name: "Deactivate the Portfolio link" }).waitFor();
    expect((await fetch(tracked, { redirect: "manual" })).status).toBe(302);

    // Edit its destination.
    await p.getByRole("button", { name: "Edit the Portfolio link" }).click();
    await p.locator(`#dest-${portfolio.tracking_id}`).fill("https://steve.dev/work");
    expect(await p.locator("form.edit:visible").count()).toBe(1);
    await p.getByRole("button", { name: "Save the Portfolio link" }).click();
    await p.getByText("Link saved.").waitFor();
    expect((await fetch(tracked, { redirect: "manual" })).headers.get("location")).toBe("https://steve.dev/work");

    // Rename the application.
    await p.getByText("Edit the application").click();
    await p.getByLabel("Role").fill("Site Reliability Engineer");
    await p.getByLabel("Notes").fill("Referred by Ana");
    await p.getByRole("button", { name: "Save the application" }).click();
    await p.getByRole("heading", { name: "Globex — Site Reliability Engineer" }).waitFor();
    await p.locator("p.notes", { hasText: "Referred by Ana" }).waitFor();

    // Delete the GitHub link (the confirmation accepted above).
    await p.getByRole("button", { name: "Delete the GitHub link" }).click();
    await p.getByText("GitHub link deleted.").waitFor();
    expect(await p.locator(".link-card").count()).toBe(2);
    await inView();

    // The link's page names its application and links back, with its tracked URL.
    await p.getByRole("link", { name: "LinkedIn" }).click();
    await p.getByRole("heading", { level: 1, name: /LinkedIn/ }).waitFor();
    expect(await p.locator("code.url").textContent()).toBe(made.links.find((l) => l.link_function === "LinkedIn")!.redirect_url);
    await p.getByRole("link", { name: "Globex — Site Reliability Engineer" }).click();
    await p.getByRole("heading", { name: "Globex — Site Reliability Engineer" }).waitFor();
    violations.push(...(await accessibility(p, "application, after the changes")));

    // A recruiter's PDF cut the LinkedIn URL short: an orphan, shown at 375 px with what it probably was.
    const linkedin = made.links.find((l) => l.link_function === "LinkedIn")!;
    const cut = linkedin.tracking_id.slice(0, 14);
    expect((await fetch(`${server.base}/linkedin?uuid=${cut}`, { redirect: "manual" })).status).toBe(404);
    // Home says which link it probably was, by name, and leads to it.
    await p.getByRole("link", { name: "Home" }).click();
    await p.getByText(`A link cut short was hit: ${cut} (probably`).waitFor();
    expect(await p.locator(".events a", { hasText: "Globex — Site Reliability Engineer: LinkedIn" }).getAttribute("href")).toBe(`#/links/${linkedin.tracking_id}`);
    await p.getByRole("link", { name: "Orphan visits" }).click();
    await p.getByText("Probably").first().waitFor();
    await p.getByRole("link", { name: "Globex — Site Reliability Engineer: LinkedIn" }).waitFor();
    const attribute = p.getByRole("button", { name: `Attribute ${cut} to Globex — Site Reliability Engineer: LinkedIn` });
    await attribute.waitFor();
    await inView();
    const idBox = await p.locator("code.id", { hasText: cut }).first().boundingBox();
    expect(idBox!.height).toBeLessThan(40);
    violations.push(...(await accessibility(p, "orphans at 375 px")));
    await attribute.click();
    await p.getByText("Attributed.").waitFor();
    expect(violations).toEqual([]);
    expect(errors).toEqual([]);
  }, 90_000);
});

describe.skipIf(!available)("no accidental duplicates", () => {
  test("a double press makes one application and empties the form; the same company and role again asks, and adds to it; a nameless one is refused", async () => {
    const { page: p, errors } = await page();
    p.on("dialog", (d) => d.accept());
    await p.goto(`${server.base}/dashboard`);
    await p.getByLabel("API key").fill(KEY);
    await p.getByRole("button", { name: "Sign in" }).click();
    await p.getByRole("heading", { name: "Home" }).waitFor();
    await p.getByRole("link", { name: "New application" }).click();
    const fill = async (company: string, role: string) => {
      await p.getByLabel("Company").fill(company);
      await p.getByLabel("Role").fill(role);
      for (const [n, url] of [[1, "https://linkedin.com/in/s"], [2, "https://s.dev/"], [3, "https://calendly.com/s"]] as const) await p.getByLabel(`Link ${n}: destination`).fill(url);
    };
    const initech = async () => ((await (await fetch(`${server.base}/api/link-tracking/applications?company=Initech&role=SRE`, { headers: { "x-api-key": KEY } })).json()) as { applications: { application_id: string; links: number }[] }).applications;

    // Nameless: refused before anything is sent.
    await fill("", "");
    await p.getByRole("button", { name: "Create the application and its links" }).click();
    await p.getByText("Give the application a company or a role").waitFor();

    await fill("Initech", "SRE");
    await p.getByRole("button", { name: "Create the application and its links" }).dblclick();
    await p.getByRole("heading", { name: "Tracked URLs" }).waitFor();
    await p.getByText("3 links created for Initech — SRE.").waitFor();
    expect(await p.getByLabel("Company").inputValue()).toBe("");
    expect(await p.getByLabel("Link 1: destination").inputValue()).toBe("");
    expect(await initech()).toHaveLength(1);

    // The same again (another case): asked, and added to the one there is.
    await fill("initech", "sre");
    await p.getByRole("button", { name: "Create the application and its links" }).click();
    await p.getByText("Initech — SRE already exists (3 links").waitFor();
    await p.getByRole("button", { name: "Add these links to Initech — SRE" }).click();
    await p.getByText("3 links added to Initech — SRE.").waitFor();
    const after = await initech();
    expect(after).toHaveLength(1);
    expect(after[0].links).toBe(6);
    expect(errors).toEqual([]);
  }, 60_000);
});

describe.skipIf(!available)("staying signed in", () => {
  const signIn = async (p: Page, remember: boolean) => {
    await p.goto(`${server.base}/dashboard`);
    await p.getByLabel("API key").fill(KEY);
    if (remember) await p.getByLabel(/Remember this browser for 30 days/).check();
    await p.getByRole("button", { name: "Sign in" }).click();
    await p.getByRole("heading", { name: "Home" }).waitFor();
  };
  const signedIn = async (p: Page) => {
    await p.goto(`${server.base}/dashboard`);
    await Promise.race([p.getByRole("heading", { name: "Home" }).waitFor(), p.getByRole("heading", { name: "Sign in" }).waitFor()]);
    return p.getByRole("heading", { name: "Home" }).isVisible();
  };

  test("every tab is signed in; remember-me survives a new browser with the cookie, and dies after sign out everywhere", async () => {
    // Not remembered: a browser-session cookie, and the other tabs of the browser are signed in too.
    const { page: tab, errors } = await page(375);
    await signIn(tab, false);
    expect((await tab.context().cookies()).find((c) => c.name === "lt_session")?.expires).toBe(-1);
    await tab.getByText("until this browser closes").waitFor();
    const second = await tab.context().newPage();
    expect(await signedIn(second)).toBe(true);
    expect(await accessibility(second, "signed in, the account footer")).toEqual([]);
    // At 375 px the footer's button is in view.
    const box = await second.getByRole("button", { name: "Sign out everywhere" }).boundingBox();
    expect(box && box.x >= 0 && box.x + box.width <= 375).toBe(true);

    // Remembered: the cookies last 30 days; a new browser holding them (a restart) is signed in.
    const { page: laptop } = await page();
    await signIn(laptop, true);
    const session = (await laptop.context().cookies()).find((c) => c.name === "lt_session")!;
    expect(session.expires * 1000 - Date.now()).toBeGreaterThan(29 * 86_400_000);
    expect((await laptop.context().cookies()).find((c) => c.name === "lt_owner")!.expires).toBeCloseTo(session.expires, 0);
    const restarted = await browser.newContext({ storageState: await laptop.context().storageState() });
    const again = await restarted.newPage();
    expect(await signedIn(again)).toBe(true);
    await again.getByText("remembered on this browser until").waitFor();

    // Sign out everywhere, from the restarted browser: every browser's session ends.
    await again.getByRole("button", { name: "Sign out everywhere" }).click();
    await again.getByRole("heading", { name: "Sign in" }).waitFor();
    // The two here, and those the other tests of this file left signed in with the same key.
    await again.getByText(/^Signed out everywhere: \d+ sessions ended\.$/).waitFor();
    for (const p of [laptop, second, tab]) expect(await signedIn(p)).toBe(false);
    // Whoever kept a copy of the cookies is signed out too.
    const copy = await browser.newContext({ storageState: await laptop.context().storageState() });
    expect(await signedIn(await copy.newPage())).toBe(false);
    expect(errors).toEqual([]);
    await Promise.all([restarted.close(), copy.close(), laptop.context().close(), tab.context().close()]);
  }, 60_000);
});

describe.skipIf(!available)("dashboard with PUBLIC_BASE_URL set", () => {
  test("no banner about links that only work on this computer; signed in on another host than the links', the banner says where to sign in", async () => {
    const deployed = await startServer(emptyFolder(), { WEBHOOK_API_KEY: KEY, PUBLIC_BASE_URL: "https://links.example" });
    try {
      const { page: p, errors } = await page();
      await p.goto(`${deployed.base}/dashboard`);
      await p.getByLabel("API key").fill(KEY);
      await p.getByRole("button", { name: "Sign in" }).click();
      await p.getByRole("heading", { name: "Home" }).waitFor();
      const banner = (await p.locator("#banner").textContent()) ?? "";
      expect(banner).not.toContain("only work on this computer");
      // Signed in on 127.0.0.1, links on links.example: the owner cookie cannot be the links' host's.
      expect(banner).toContain(`You signed in on 127.0.0.1:${deployed.port}, but your links are on links.example`);
      expect(banner).toContain("https://links.example/dashboard/");
      await p.getByRole("link", { name: "New application" }).click();
      await p.getByRole("heading", { name: "New application" }).waitFor();
      expect(await p.locator("#local-links").count()).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      deployed.proc.kill("SIGTERM");
    }
  }, 60_000);
});

describe.skipIf(!available)("/swagger under its Content-Security-Policy", () => {
  test("the embedded Swagger UI renders the API with no CSP violation or console error", async () => {
    const { page: p } = await page();
    // Every console error but the browser's own favicon request.
    const errors: string[] = [];
    p.on("console", (m) => m.type() === "error" && !m.location().url.endsWith("/favicon.ico") && errors.push(m.text()));
    await p.goto(`${server.base}/swagger`);
    await p.locator(".swagger-ui .info .title").waitFor({ timeout: 15_000 });
    await p.locator(".opblock").first().waitFor();
    expect(await p.locator(".opblock").count()).toBeGreaterThan(10);
    expect(errors).toEqual([]);
  }, 30_000);
});

describe.skipIf(!available)("dashboard at size", () => {
  test("the home page of 500 applications with 50,000 clicks: how long it takes to render (reported, not asserted)", async () => {
    const dir = emptyFolder();
    const big = await startServer(dir, { WEBHOOK_API_KEY: KEY });
    try {
      const post = (path: string, body: unknown) =>
        fetch(`${big.base}${path}`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": KEY }, body: JSON.stringify(body) }).then((r) => r.json() as Promise<any>);
      const ids: string[] = [];
      for (let i = 0; i < 500; i++) {
        const made = await post("/api/link-tracking/links/bulk", {
          application: { company: `Company ${i}`, role: i % 2 ? "Engineer" : "Designer", sent_at: new Date(Date.now() - (i % 60) * 86_400_000).toISOString() },
          links: ["LinkedIn", "Portfolio", "Calendly"].map((f) => ({ original_url: "https://example.com/", link_function: f })),
        });
        ids.push(...made.links.map((l: { tracking_id: string }) => l.tracking_id));
      }
      // 50,000 clicks over the last 30 days on the first 400 applications' links; 100 never opened.
      const opened = ids.slice(0, 1200);
      for (let b = 0; b < 100; b++) {
        const events = Array.from({ length: 500 }, (_, e) => ({
          event_id: `size-${b}-${e}`,
          tracking_id: opened[(b * 500 + e) % opened.length],
          clicked_at: new Date(Date.now() - ((b * 500 + e) % 43_200) * 60_000).toISOString(),
          session_id: `s-${(b * 500 + e) % 3000}`,
          user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
        }));
        const res = await post("/api/tracking-ingest/batch", { events });
        expect(res.results.successful).toBe(500);
      }
      const { page: p, errors } = await page();
      await p.goto(`${big.base}/dashboard`);
      await p.getByLabel("API key").fill(KEY);
      const started = performance.now();
      await p.getByRole("button", { name: "Sign in" }).click();
      await p.getByRole("heading", { name: "Where your applications stand" }).waitFor({ timeout: 30_000 });
      const ms = performance.now() - started;
      const counts = await p.locator(".card strong").allTextContents();
      const timed = async (path: string) => {
        const t = performance.now();
        await (await fetch(`${big.base}${path}`, { headers: { "x-api-key": KEY } })).arrayBuffer();
        return `${path} ${(performance.now() - t).toFixed(0)} ms`;
      };
      const apis = [await timed("/api/link-tracking/analytics/applications"), await timed("/api/link-tracking/events?after=0&limit=200")];
      console.log(`home page, 500 applications, 50,000 clicks: rendered in ${ms.toFixed(0)} ms, sign-in included (not opened, opened, came back: ${counts.join(", ")}); alone: ${apis.join(", ")}`);
      expect(counts.map(Number).reduce((a, b) => a + b, 0)).toBe(500);
      // The applications page: the most recent 200, then older ones a page at a time, until all 500 are there.
      await p.goto(`${big.base}/dashboard#/applications`);
      const rows = p.locator("tbody tr");
      await p.getByRole("heading", { name: "Applications", exact: true }).waitFor();
      await p.locator("#more-applications").waitFor();
      expect(await rows.count()).toBe(200);
      const more = p.getByRole("button", { name: "Show older applications" });
      await more.click();
      await p.getByText("400 shown of 500").waitFor();
      await more.click();
      await rows.nth(499).waitFor();
      expect(await rows.count()).toBe(500);
      expect(await more.isHidden()).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      big.proc.kill("SIGTERM");
      await big.proc.exited;
    }
  }, 120_000);
});

describe.skipIf(!available)("who opened it, said better", () => {
  test("an AI assistant's fetch is said so; a visit from the company's own network is marked; axe stays clean", async () => {
    const id = "f6f6f6f6-0000-4000-8000-000000000006";
    const bulk = await fetch(`${server.base}/api/link-tracking/links/bulk`, {
      method: "POST",
      headers: { "x-api-key": KEY, "content-type": "application/json" },
      body: JSON.stringify({ application: { application_id: id, company: "Deutsche Telekom", role: "Cloud Architect" }, links: [{ tracking_id: "dt-linkedin", link_function: "LinkedIn", original_url: "https://linkedin.com/in/steve-glen" }] }),
    });
    expect(bulk.status).toBe(201);
    const open = (ua: string, ip: string, lang: Record<string, string> = { "accept-language": "de-DE" }) =>
      fetch(`${server.base}/linkedin?uuid=dt-linkedin`, { redirect: "manual", headers: { "user-agent": ua, "x-forwarded-for": ip, ...lang } });
    // A recruiter in the company's office (Deutsche Telekom's network), then someone's ChatGPT.
    expect((await open("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "217.0.0.1")).status).toBe(302);
    expect((await open("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; ChatGPT-User/1.0; +https://openai.com/bot", "20.171.206.1", {})).status).toBe(302);

    const { page: p, errors } = await page();
    await p.goto(`${server.base}/dashboard/`);
    await p.getByLabel("API key").fill(KEY);
    await p.getByRole("button", { name: "Sign in" }).click();
    await p.getByRole("heading", { name: "Home" }).waitFor();
    await p.getByText("someone asked an AI assistant (ChatGPT) to open it (LinkedIn)").waitFor();
    await p.goto(`${server.base}/dashboard/#/applications/${id}`);
    await p.getByRole("heading", { name: "Deutsche Telekom — Cloud Architect" }).waitFor();
    await p.getByText("from Deutsche Telekom's own network").waitFor();
    await p.getByText("Someone asked an AI assistant to open it: 1 time").waitFor();
    expect(await accessibility(p, "application with an assistant and the company's network")).toEqual([]);
    await p.getByRole("link", { name: "LinkedIn" }).click();
    await p.getByRole("heading", { level: 1, name: /LinkedIn/ }).waitFor();
    expect((await p.locator("tbody .badge").allTextContents()).sort()).toEqual(["AI assistant", "human"]);
    expect(await p.locator(".bars rect.k-assistant").count()).toBe(1);
    expect(await accessibility(p, "link with an assistant's fetch")).toEqual([]);
    expect(errors).toEqual([]);
  }, 60_000);
});

describe.skipIf(!available)("a destination that died", () => {
  test("checked twice it is down: warned on the application's page and at home, told in the feed; mended, the warning goes; axe stays clean", async () => {
    let status = 404;
    const portfolio = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response(null, { status }) });
    try {
      const id = "d0d0d0d0-0000-4000-8000-00000000000d";
      const bulk = await fetch(`${server.base}/api/link-tracking/links/bulk`, {
        method: "POST",
        headers: { "x-api-key": KEY, "content-type": "application/json" },
        body: JSON.stringify({ application: { application_id: id, company: "Initech", role: "Backend Developer" }, links: [{ tracking_id: "initech-portfolio", link_function: "Portfolio", original_url: `http://127.0.0.1:${portfolio.port}/work` }] }),
      });
      expect(bulk.status).toBe(201);
      const { page: p, errors } = await page();
      await p.goto(`${server.base}/dashboard/`);
      await p.getByLabel("API key").fill(KEY);
      await p.getByRole("button", { name: "Sign in" }).click();
      await p.getByRole("heading", { name: "Home" }).waitFor();
      await p.goto(`${server.base}/dashboard/#/applications/${id}`);
      await p.getByRole("heading", { name: "Initech — Backend Developer" }).waitFor();
      const checkNow = p.getByRole("button", { name: "Check the Portfolio link's destination now" });
      await checkNow.click();
      await p.getByText("a second failure in a row marks it as leading nowhere").waitFor();
      await checkNow.click();
      await p.getByText("This link leads nowhere:").waitFor();
      expect(await p.locator(".link-card .dead").textContent()).toContain(`http://127.0.0.1:${portfolio.port}/work answers 404 Not Found`);
      expect(await accessibility(p, "application with a dead link")).toEqual([]);

      await p.getByRole("link", { name: "Home" }).click();
      await p.getByRole("heading", { name: "A link that leads nowhere" }).waitFor();
      await p.getByRole("link", { name: "Initech — Backend Developer: Portfolio" }).waitFor();
      await p.getByText("the Portfolio link leads nowhere (404 Not Found)").waitFor();
      expect(await accessibility(p, "home with a dead link")).toEqual([]);

      status = 200;
      await p.getByRole("link", { name: "Initech — Backend Developer: Portfolio" }).click();
      await p.getByRole("heading", { name: "Initech — Backend Developer" }).waitFor();
      await checkNow.click();
      await p.getByText("The destination answers.").waitFor();
      expect(await p.locator(".link-card .dead").count()).toBe(0);
      await p.getByRole("link", { name: "Home" }).click();
      await p.getByText("the Portfolio link works again").waitFor();
      expect(await p.getByRole("heading", { name: "A link that leads nowhere" }).count()).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      portfolio.stop(true);
    }
  }, 60_000);
});

describe.skipIf(!available)("notifications", () => {
  test("add an ntfy channel without a terminal, send the test, see a recruiter's click arrive and listed; axe clean at 375 px", async () => {
    const got: { title: string | null; body: string }[] = [];
    const ntfy = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      async fetch(req) {
        got.push({ title: req.headers.get("title"), body: await req.text() });
        return Response.json({ event: "message" });
      },
    });
    try {
      const { page: p, errors } = await page(375);
      await p.goto(`${server.base}/dashboard/`);
      await p.getByLabel("API key").fill(KEY);
      await p.getByRole("button", { name: "Sign in" }).click();
      await p.getByRole("heading", { name: "Home" }).waitFor();
      await p.getByRole("link", { name: "Notifications" }).click();
      await p.getByRole("heading", { name: "Notifications", level: 1 }).waitFor();
      expect(await accessibility(p, "notifications, none yet")).toEqual([]);
      await p.getByLabel("Where", { exact: true }).selectOption("ntfy");
      await p.getByLabel("Topic URL").fill(`http://127.0.0.1:${ntfy.port}/steve-job-hunt`);
      expect(await p.getByLabel("An application or a link is opened for the first time").isChecked()).toBe(true);
      await p.getByLabel("Also one message a day with what happened").check();
      await p.getByLabel(/^At \(/).selectOption("7");
      await p.getByRole("button", { name: "Add the channel" }).click();
      await p.getByText("Channel added: send a test to see it arrive.").waitFor();
      await p.getByText(/^And a digest each day at 07:00 \(/).waitFor();
      await p.getByRole("button", { name: "Send a test to ntfy" }).click();
      await p.getByText("The test arrived.").waitFor();
      expect(got.map((g) => g.body)).toEqual(["This is a test: when a recruiter opens one of your links, you are told here."]);
      expect(await accessibility(p, "notifications with an ntfy channel")).toEqual([]);
      expect(await p.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(375);

      // A recruiter opens a new application's link: the phone hears it.
      const id = "c0c0c0c0-0000-4000-8000-00000000000c";
      await fetch(`${server.base}/api/link-tracking/links/bulk`, {
        method: "POST",
        headers: { "x-api-key": KEY, "content-type": "application/json" },
        body: JSON.stringify({ application: { application_id: id, company: "Umbrella", role: "Data Engineer" }, links: [{ tracking_id: "umbrella-cv", link_function: "Resume", original_url: "https://example.com/cv" }] }),
      });
      await fetch(`${server.base}/resume?uuid=umbrella-cv`, { redirect: "manual", headers: { "user-agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", "accept-language": "en", "x-forwarded-for": "81.2.69.160" } });
      const until = Date.now() + 10_000;
      while (got.length < 2 && Date.now() < until) await Bun.sleep(100);
      expect(got[1]!.body).toStartWith("Your Resume link was opened for the first time");
      await p.reload();
      await p.getByRole("heading", { name: "Notifications", level: 1 }).waitFor();
      await p.getByText("Last deliveries").click();
      await p.getByRole("cell", { name: "An application or a link is opened for the first time" }).first().waitFor();
      expect(await p.getByRole("cell", { name: "delivered" }).count()).toBeGreaterThanOrEqual(1);
      expect(errors).toEqual([]);
    } finally {
      ntfy.stop(true);
    }
  }, 60_000);
});
