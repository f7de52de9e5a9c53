import { beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { chmodSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BINARY, buildBinary, emptyFolder, startServer, stop } from "./binary";

beforeAll(() => buildBinary(), 60_000);

const BASE = { PATH: process.env.PATH ?? "", PUBLIC_BASE_URL: "https://steve-glen.com" };

function cli(cwd: string, args: string[], env: Record<string, string> = {}) {
  const r = Bun.spawnSync([BINARY, ...args], { cwd, env: { ...BASE, ...env } });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}

/** A folder with a database holding one link, made through the CLI. */
function withLink() {
  const cwd = emptyFolder();
  const created = cli(cwd, ["links", "create", "--url", "https://linkedin.com/in/steve-glen", "--function", "LinkedIn", "--id", "lt_cli_1"]);
  expect(created.code).toBe(0);
  return cwd;
}

describe("link-tracker links", () => {
  test("create prints the tracked URL alone on the first line, and a QR code on request", () => {
    const cwd = emptyFolder();
    const r = cli(cwd, [
      "links", "create", "--url", "https://calendly.com/steve", "--function", "Calendly", "--type", "booking",
      "--job", "550e8400-e29b-41d4-a716-446655440000", "--application", "550e8400-e29b-41d4-a716-446655440001",
      "--description", "Acme cover letter", "--expires", "2099-01-01T00:00:00Z", "--qr", "link.png",
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^https:\/\/steve-glen\.com\/calendly\?uuid=[A-Za-z0-9]{22}\n$/);
    expect(readFileSync(join(cwd, "link.png")).subarray(1, 4).toString()).toBe("PNG");
    const svg = cli(cwd, ["links", "create", "--url", "https://x.com", "--function", "Portfolio", "--qr", "p.svg"]);
    expect(svg.code).toBe(0);
    expect(readFileSync(join(cwd, "p.svg"), "utf8")).toContain("<svg");
  });

  test("list, show, deactivate, activate, delete", () => {
    const cwd = withLink();
    const list = cli(cwd, ["links", "list"]);
    expect(list.code).toBe(0);
    expect(list.out).toContain("TRACKING_ID");
    expect(list.out).toContain("lt_cli_1");
    const json = JSON.parse(cli(cwd, ["links", "list", "--json"]).out);
    expect(json[0]).toMatchObject({ tracking_id: "lt_cli_1", clicks: 0, is_active: true });
    const show = JSON.parse(cli(cwd, ["links", "show", "lt_cli_1", "--json"]).out);
    expect(show.redirect_url).toBe("https://steve-glen.com/linkedin?uuid=lt_cli_1");
    expect(cli(cwd, ["links", "show", "lt_cli_1"]).out).toContain("original_url");
    expect(cli(cwd, ["links", "deactivate", "lt_cli_1"]).out).toBe("Link lt_cli_1 is now inactive.\n");
    expect(JSON.parse(cli(cwd, ["links", "list", "--json", "--active", "false"]).out)).toHaveLength(1);
    expect(cli(cwd, ["links", "activate", "lt_cli_1"]).code).toBe(0);
    expect(cli(cwd, ["links", "delete", "lt_cli_1"]).out).toBe("Deleted link lt_cli_1 and its 0 clicks.\n");
    expect(cli(cwd, ["links", "list"]).out).toContain("No links yet");
  }, 20_000);

  test("check: the destination asked now, its state shown; a loopback one only with DESTINATION_CHECK_ALLOW_PRIVATE", async () => {
    let status = 404;
    const site = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response(null, { status }) });
    try {
      const cwd = emptyFolder();
      expect(cli(cwd, ["links", "create", "--url", `http://127.0.0.1:${site.port}/work`, "--function", "Portfolio", "--id", "lt_chk"]).code).toBe(0);
      // Not spawnSync: the destination answers from this process meanwhile.
      const check = async (env: Record<string, string> = {}) => {
        const proc = Bun.spawn([BINARY, "links", "check", "lt_chk"], { cwd, env: { ...BASE, ...env }, stdout: "pipe", stderr: "pipe" });
        return { code: await proc.exited, out: await new Response(proc.stdout).text() };
      };
      const refused = await check();
      expect(refused.code).toBe(0);
      expect(refused.out).toContain("failed once: refused: 127.0.0.1 resolves to a private address; set DESTINATION_CHECK_ALLOW_PRIVATE=true");
      const allowed = { DESTINATION_CHECK_ALLOW_PRIVATE: "true" };
      expect((await check(allowed)).out).toMatch(/destination\s+DOWN since \S+Z: 404 Not Found/);
      status = 200;
      expect((await check(allowed)).out).toMatch(/destination\s+answers \(200\), checked /);
      expect(cli(cwd, ["links", "show", "lt_chk"]).out).toMatch(/destination\s+answers \(200\)/);
      expect(cli(cwd, ["links", "check", "nope"]).err).toContain("Link not found or expired: nope");
    } finally {
      site.stop(true);
    }
  }, 20_000);

  test.each([
    ["--url ftp://x", ["links", "create", "--url", "ftp://x", "--function", "X"], 2, "original_url must be an absolute http:// or https:// URL"],
    ["a missing --url", ["links", "create", "--function", "X"], 2, "required option '--url <url>' not specified"],
    ["a missing value", ["links", "create", "--url"], 2, "argument missing"],
    ["an unknown flag", ["links", "list", "--colour"], 2, "unknown option '--colour'"],
    ["a bad --qr file", ["links", "create", "--url", "https://x.com", "--function", "X", "--qr", "x.gif"], 2, "--qr must name a .svg or .png file"],
    ["a taken --id", ["links", "create", "--url", "https://x.com", "--function", "X", "--id", "lt_cli_1"], 1, "tracking_id is already taken"],
    ["show of an unknown id", ["links", "show", "nope"], 1, "Link not found or expired: nope"],
    ["deactivate of an unknown id", ["links", "deactivate", "nope"], 1, "Link not found or expired"],
    ["--limit 0", ["links", "list", "--limit", "0"], 2, "--limit must be a whole number from 1 to 500"],
  ])("%s: one-line error, exit %d", (_name, args, code, message) => {
    const r = cli(withLink(), args as string[]);
    expect(r.code).toBe(code as number);
    expect(r.err).toContain(message as string);
    expect(r.err).not.toMatch(/\n\s+at .+:\d+:\d+/); // no stack trace
  });
});

describe("link-tracker stats and export", () => {
  test("stats and export read the clicks the server recorded, with the server down", async () => {
    const cwd = withLink();
    const db = new Database(join(cwd, "data/link-tracker.db"));
    const insert = db.prepare(
      "insert into link_clicks (click_id, tracking_id, clicked_at, received_at, user_agent, click_source, session_id, origin, outcome, visitor_kind, is_bot) values (?, 'lt_cli_1', ?, ?, ?, 'linkedin', ?, 'redirect', 'redirected', ?, ?)",
    );
    const now = Date.now();
    for (let i = 0; i < 5; i++) {
      const at = new Date(now - i * 86_400_000).toISOString();
      insert.run(crypto.randomUUID(), at, at, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0", `s${i % 2}`, "human", 0);
    }
    insert.run(crypto.randomUUID(), new Date(now).toISOString(), new Date(now).toISOString(), "=cmd|' /C calc'!A0", "s9", "bot", 1);
    // Clicks written by SQL: the roll-ups count them before the next read.
    db.close();

    const stats = cli(cwd, ["stats", "lt_cli_1"]);
    expect(stats.code).toBe(0);
    expect(stats.out).toContain("human clicks: 5   sessions: 2");
    expect(stats.out).toContain("clicks per day");
    expect(stats.out).toContain("█");
    const json = JSON.parse(cli(cwd, ["stats", "lt_cli_1", "--json"]).out);
    expect(json.click_statistics).toMatchObject({ total_clicks: 5, unique_sessions: 2, clicks_24h: 1 });
    expect(JSON.parse(cli(cwd, ["stats", "lt_cli_1", "--json", "--include-bots"]).out).click_statistics.total_clicks).toBe(6);

    const csv = cli(cwd, ["export", "--include-bots"]);
    expect(csv.code).toBe(0);
    const lines = csv.out.trimEnd().split("\r\n");
    expect(lines[0]).toStartWith("click_id,tracking_id,job_id");
    expect(lines).toHaveLength(7);
    expect(csv.out).toContain(`,'=cmd|' /C calc'!A0,`); // a formula made inert
    expect(cli(cwd, ["export"]).out.trimEnd().split("\r\n")).toHaveLength(6);
    expect(cli(cwd, ["export", "--from", "yesterday"]).code).toBe(2);
  }, 20_000);

  test("stats of an unknown id fails with exit 1", () => {
    const r = cli(withLink(), ["stats", "nope"]);
    expect(r.code).toBe(1);
    expect(r.err).toBe("link-tracker: Link not found or expired: nope\n");
  });
});

describe("link-tracker import and export FILE", () => {
  test("a Shlink CSV imported into the binary's database answers /{code} on the server; export FILE and import link-tracker carry it to another instance", async () => {
    const cwd = emptyFolder();
    const csv = join(cwd, "shlink.csv");
    await Bun.write(csv, "\uFEFFcreatedAt,domain,shortCode,shortUrl,longUrl,title,tags,visits\r\n2025-01-10T10:00:00+00:00,,cv24,https://s.example.com/cv24,https://www.linkedin.com/in/steve-glen,\"Steve, LinkedIn\",linkedin,4\r\n");
    const dry = cli(cwd, ["import", "csv", "shlink.csv", "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.out).toContain("links: 1 would import, 0 already imported");
    expect(cli(cwd, ["links", "list"]).out).toContain("No links yet");
    const done = cli(cwd, ["import", "csv", "shlink.csv", "--json"]);
    expect(done.code).toBe(0);
    expect(JSON.parse(done.out)).toMatchObject({ source: "csv", links: { imported: 1 } });
    expect(cli(cwd, ["import", "csv", "shlink.csv"]).out).toContain("links: 0 imported, 1 already imported");

    const server = await startServer(cwd, { PUBLIC_BASE_URL: "https://steve-glen.com" });
    try {
      const hit = await fetch(`http://127.0.0.1:${server.port}/cv24`, { redirect: "manual", headers: { "user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36", "accept-language": "en" } });
      expect(hit.status).toBe(302);
      expect(hit.headers.get("location")).toBe("https://www.linkedin.com/in/steve-glen");
    } finally {
      await stop(server);
    }
    const exported = cli(cwd, ["export", "everything.json"]);
    expect(exported.code).toBe(0);
    expect(exported.out).toContain("Exported everything to everything.json");
    expect(cli(cwd, ["export", "x.json", "--include-bots"]).code).toBe(2);

    const other = emptyFolder();
    const moved = cli(other, ["import", "link-tracker", join(cwd, "everything.json"), "--with-clicks"]);
    expect(moved.code).toBe(0);
    expect(moved.out).toContain("links: 1 imported");
    expect(moved.out).toContain("clicks: 1 imported");
    const stats = JSON.parse(cli(other, ["stats", "cv24", "--json"]).out);
    expect(stats.click_statistics.total_clicks).toBe(1);

    expect(cli(cwd, ["import", "kutt", "x"]).code).toBe(2);
    const bad = cli(cwd, ["import", "csv", "missing.csv"]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("no such file");
  }, 30_000);
});

describe("link-tracker keys", () => {
  test("create prints the key once; list never shows it; revoke", () => {
    const cwd = emptyFolder();
    const created = cli(cwd, ["keys", "create", "--name", "edge-1", "--scope", "ingest"]);
    expect(created.code).toBe(0);
    const key = created.out.trim();
    expect(created.out).toMatch(/^lt_[A-Za-z0-9_-]{43}\n$/);
    const list = cli(cwd, ["keys", "list"]);
    expect(list.out).toContain("edge-1");
    expect(list.out).toContain("ingest");
    expect(list.out).not.toContain(key);
    expect(cli(cwd, ["keys", "list", "--json"]).out).not.toContain(key);
    expect(readFileSync(join(cwd, "data/link-tracker.db")).includes(Buffer.from(key))).toBe(false);
    expect(cli(cwd, ["keys", "revoke", "edge-1"]).out).toBe("Key edge-1 revoked.\n");
    expect(JSON.parse(cli(cwd, ["keys", "list", "--json"]).out)[0].revoked_at).toMatch(/Z$/);
  });

  test.each([
    ["revoking an unknown key", ["keys", "revoke", "ghost"], 1, 'no active key named "ghost"'],
    ["a bad scope", ["keys", "create", "--name", "x", "--scope", "root"], 2, "Allowed choices are ingest, read, admin"],
    ["no scope", ["keys", "create", "--name", "x"], 2, "required option '--scope <scope>' not specified"],
    ["a name with spaces", ["keys", "create", "--name", "my key", "--scope", "read"], 2, "--name must be"],
  ])("%s", (_name, args, code, message) => {
    const r = cli(withLink(), args as string[]);
    expect(r.code).toBe(code as number);
    expect(r.err).toContain(message as string);
  });
});

describe("link-tracker sessions", () => {
  test("list shows the signed-in browsers (never a token); revoke by id prefix, --key or --all signs them out of the running server", async () => {
    const cwd = emptyFolder();
    const key = cli(cwd, ["keys", "create", "--name", "me", "--scope", "admin"]).out.trim();
    const coach = cli(cwd, ["keys", "create", "--name", "coach", "--scope", "read"]).out.trim();
    const server = await startServer(cwd);
    try {
      const signIn = async (k: string, remember: boolean) => {
        const res = await fetch(`${server.base}/dashboard/session`, {
          method: "POST",
          headers: { "x-api-key": k, "content-type": "application/json", "user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0" },
          body: JSON.stringify({ remember }),
        });
        expect(res.status).toBe(200);
        const token = res.headers.getSetCookie().find((c) => c.startsWith("lt_session="))!.split(";")[0];
        return token;
      };
      const signedIn = async (cookie: string) => ((await (await fetch(`${server.base}/dashboard/session`, { headers: { cookie } })).json()) as { signed_in: boolean }).signed_in;
      const laptop = await signIn(key, true);
      const phone = await signIn(key, false);
      const coachs = await signIn(coach, false);
      expect(cli(cwd, ["sessions", "list"]).out).toContain("Firefox on Linux");
      const rows = JSON.parse(cli(cwd, ["sessions", "list", "--json"]).out) as { id: string; key_name: string; remember: boolean }[];
      expect(rows.map((r) => [r.key_name, r.remember])).toEqual([["coach", false], ["me", false], ["me", true]]);
      expect(cli(cwd, ["sessions", "list", "--json"]).out).not.toContain(laptop.split("=")[1]);

      // One by the start of its id: that browser only.
      expect(cli(cwd, ["sessions", "revoke", rows[1].id.slice(-12)]).code).toBe(1);
      expect(cli(cwd, ["sessions", "revoke", rows[1].id]).out).toBe("1 session ended.\n");
      expect([await signedIn(phone), await signedIn(laptop)]).toEqual([false, true]);
      expect(cli(cwd, ["sessions", "revoke", "--key", "me"]).out).toBe("1 session ended.\n");
      expect(await signedIn(laptop)).toBe(false);
      expect(cli(cwd, ["sessions", "revoke", "--all"]).out).toBe("1 session ended.\n");
      expect(await signedIn(coachs)).toBe(false);
      expect(cli(cwd, ["sessions", "list"]).out).toBe("No dashboard session is active.\n");
    } finally {
      await stop(server);
    }
  }, 30_000);

  test.each([
    ["nothing named", ["sessions", "revoke"], 2, "name exactly one of: a session id, --key NAME, --all"],
    ["two things named", ["sessions", "revoke", "0192", "--all"], 2, "name exactly one of"],
    ["an unknown id", ["sessions", "revoke", "ffffffff"], 1, 'no active session whose id starts with "ffffffff"'],
  ])("%s", (_name, args, code, message) => {
    const r = cli(withLink(), args as string[]);
    expect(r.code).toBe(code as number);
    expect(r.err).toContain(message as string);
  });
});

describe("the database and the command line", () => {
  test("read commands refuse to create a missing database; migrate creates it", () => {
    const cwd = emptyFolder();
    const r = cli(cwd, ["links", "list"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("does not exist");
    expect(existsSync(join(cwd, "data"))).toBe(false);
    expect(cli(cwd, ["migrate"]).out).toContain("is up to date");
    expect(existsSync(join(cwd, "data/link-tracker.db"))).toBe(true);
  });

  test("a database folder that cannot be written: one line, exit 1", () => {
    const cwd = emptyFolder();
    mkdirSync(join(cwd, "locked"));
    chmodSync(join(cwd, "locked"), 0o500);
    const r = cli(cwd, ["migrate"], { DATABASE_PATH: join(cwd, "locked/sub/db.sqlite") });
    chmodSync(join(cwd, "locked"), 0o700);
    if (process.getuid?.() === 0) return; // root writes anywhere; nothing to refuse
    expect(r.code).toBe(1);
    expect(r.err.trim().split("\n")).toHaveLength(1);
  });

  test("a path under a regular file cannot be a database: one line, exit 1", () => {
    const cwd = emptyFolder();
    Bun.write(join(cwd, "file"), "x");
    const r = cli(cwd, ["migrate"], { DATABASE_PATH: join(cwd, "file/db.sqlite") });
    expect(r.code).toBe(1);
    expect(r.err).toStartWith("link-tracker: cannot open database");
    expect(r.err.trim().split("\n")).toHaveLength(1);
  });

  test("unknown commands and flags are usage errors with the usage on stderr", () => {
    for (const args of [["frob"], ["links", "frob"], ["--bogus"]]) {
      const r = cli(emptyFolder(), args);
      expect(r.code).toBe(2);
      expect(r.err).toContain("Usage: link-tracker");
    }
  });

  test("healthcheck: exit 0 while the server on PORT is healthy, 1 once it is gone, within 3 s", async () => {
    const cwd = emptyFolder();
    const server = await startServer(cwd);
    const env = { PORT: String(server.port), HOST: "127.0.0.1" };
    const up = cli(cwd, ["healthcheck"], env);
    expect([up.code, up.out]).toEqual([0, `healthy: http://127.0.0.1:${server.port}/api/tracking-ingest/health answered 200 (healthy)\n`]);
    await stop(server);
    const started = performance.now();
    const down = cli(cwd, ["healthcheck"], env);
    expect(performance.now() - started).toBeLessThan(3500);
    expect(down.code).toBe(1);
    expect(down.err).toContain(`unhealthy: no answer from http://127.0.0.1:${server.port}/api/tracking-ingest/health`);
  }, 30_000);

  test("<command> --help works", () => {
    const r = cli(emptyFolder(), ["links", "create", "--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("--url <url>");
  });
});

describe("link-tracker applications", () => {
  test("links create --company --role names the application; applications list, show and label; bad input is exit 2", () => {
    const cwd = emptyFolder();
    const made = cli(cwd, ["links", "create", "--url", "https://linkedin.com/in/steve-glen", "--function", "LinkedIn", "--company", "Acme", "--role", "Senior Engineer"]);
    expect(made.code).toBe(0);
    expect(made.out).toMatch(/^https:\/\/steve-glen\.com\/linkedin\?uuid=[A-Za-z0-9]{22}\n$/);
    const [, id] = /^application ([0-9a-f-]{36}): Acme — Senior Engineer\n$/.exec(made.err) ?? [];
    expect(id).toBeDefined();
    // A second link of the same application, named by its id.
    expect(cli(cwd, ["links", "create", "--url", "https://steve.dev", "--function", "Portfolio", "--application", id]).code).toBe(0);

    const list = cli(cwd, ["applications", "list"]);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(new RegExp(`${id}\\s+Acme — Senior Engineer\\s+2`));
    expect(cli(cwd, ["links", "list"]).out).toContain("Acme — Senior Engineer");

    const labelled = cli(cwd, ["applications", "label", id, "--role", "Staff Engineer", "--sent", "2026-11-20T09:00:00Z", "--notes", "via Jane"]);
    expect(labelled).toMatchObject({ code: 0, out: "Acme — Staff Engineer\n" });
    const shown = JSON.parse(cli(cwd, ["applications", "show", id, "--json"]).out);
    expect(shown).toMatchObject({ application_id: id, company: "Acme", role: "Staff Engineer", sent_at: "2026-11-20T09:00:00.000Z", notes: "via Jane", links: 2 });
    expect(cli(cwd, ["applications", "label", id, "--role", ""]).out).toBe("Acme\n");

    for (const args of [["applications", "label", "nope", "--company", "X"], ["applications", "label", id], ["applications", "label", id, "--sent", "yesterday"], ["applications", "show", "nope"]]) {
      const r = cli(cwd, args);
      expect([args.join(" "), r.code]).toEqual([args.join(" "), 2]);
      expect(r.err.length).toBeGreaterThan(0);
    }
    const unknown = cli(cwd, ["applications", "show", "99999999-9999-4999-8999-999999999999"]);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain("No such application");
  }, 20_000);

  test("the same --company and --role again reuses that application (--new makes another); an application by the start of its id", () => {
    const cwd = emptyFolder();
    const first = cli(cwd, ["links", "create", "--url", "https://linkedin.com/in/s", "--function", "LinkedIn", "--company", "Initech", "--role", "SRE"]);
    const [, id] = /^application ([0-9a-f-]{36}): Initech — SRE\n$/.exec(first.err) ?? [];
    expect(id).toBeDefined();
    const again = cli(cwd, ["links", "create", "--url", "https://s.dev", "--function", "Portfolio", "--company", "initech", "--role", "sre"]);
    expect(again.code).toBe(0);
    expect(again.err).toBe(`application ${id}: Initech — SRE (the one already named so; --new makes another)\n`);
    const another = cli(cwd, ["links", "create", "--url", "https://s.dev", "--function", "Portfolio", "--company", "Initech", "--role", "SRE", "--new"]);
    const [, other] = /^application ([0-9a-f-]{36}): Initech — SRE\n$/.exec(another.err) ?? [];
    expect(other).toBeDefined();
    expect(other).not.toBe(id);
    expect(cli(cwd, ["links", "create", "--url", "https://s.dev", "--function", "X", "--new"])).toMatchObject({ code: 2 });

    // By the start of its id: 8 characters, as labels show them; ambiguous or unknown starts say so.
    const shown = JSON.parse(cli(cwd, ["applications", "show", id.slice(0, 8), "--json"]).out);
    expect(shown).toMatchObject({ application_id: id, label: "Initech — SRE", links: 2 });
    expect(cli(cwd, ["links", "list", "--application", id.slice(0, 8), "--json"]).out).toContain('"link_function": "Portfolio"');
    expect(cli(cwd, ["applications", "label", id.slice(0, 8), "--notes", "via Ana"]).code).toBe(0);
    const none = cli(cwd, ["applications", "show", "ffff0000"]);
    // (Two random ids start with these 8 characters once in 2 billion.)
    expect(none.code).toBe(1);
    expect(none.err).toContain("no application id starts with ffff0000");
    expect(cli(cwd, ["applications", "show", "abc"]).code).toBe(2);
  }, 20_000);
});
