/**
 * deploy/link-tracker.service: its exposure as `systemd-analyze security` scores it, and
 * the binary run under the unit's own SystemCallFilter= (expanded by systemd-analyze,
 * loaded with libseccomp by test/e2e/seccomp-run.c): it serves, records and stops as it
 * would under systemd, and a call the filter leaves out (chroot) is refused, so the filter
 * is really there. Skipped, with the reason, without systemd-analyze, gcc or libseccomp.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { KEY } from "../utils";
import { BINARY, buildBinary, emptyFolder, storedClicksDb, STORED_CLICKS, until } from "./binary";

const root = join(import.meta.dir, "../..");
const UNIT = join(root, "deploy/link-tracker.service");
const analyze = Bun.which("systemd-analyze");
const ensured = Bun.spawnSync(["bash", join(root, "scripts/ensure-seccomp.sh")], { stderr: "pipe" });
const seccompReason = ensured.exitCode === 0 ? "" : ensured.stderr.toString().trim() || `exit ${ensured.exitCode}`;

const started: (() => void)[] = [];
afterAll(() => {
  for (const kill of started) kill();
});

/** The unit's values of `key`, in order. */
function unitValues(key: string): string[] {
  return readFileSync(UNIT, "utf8")
    .split("\n")
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1).trim());
}

/** A syscall group (or name) expanded by systemd-analyze into system call names. */
function expand(item: string, seen = new Set<string>()): string[] {
  if (!item.startsWith("@")) return [item];
  if (seen.has(item)) return [];
  seen.add(item);
  const out = Bun.spawnSync([analyze!, "syscall-filter", item]).stdout.toString();
  const names = out
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#") && l !== item);
  return names.flatMap((n) => expand(n, seen));
}

/** The system calls the unit allows: its allow lists, less its ~deny lists, as systemd combines them. */
function allowedSyscalls(): string[] {
  const allowed = new Set<string>();
  const denied = new Set<string>();
  for (const value of unitValues("SystemCallFilter")) {
    const deny = value.startsWith("~");
    for (const item of value.replace(/^~/, "").split(/\s+/)) for (const name of expand(item)) (deny ? denied : allowed).add(name);
  }
  return [...allowed].filter((n) => !denied.has(n));
}

describe.skipIf(!analyze)(`the systemd unit${analyze ? "" : " (skipped: no systemd-analyze)"}`, () => {
  test("systemd-analyze security scores its exposure below 2.0", () => {
    const r = Bun.spawnSync([analyze!, "security", "--offline=true", UNIT], { stdout: "pipe", stderr: "pipe" });
    const out = r.stdout.toString() + r.stderr.toString();
    const level = Number(out.match(/Overall exposure level for link-tracker\.service: ([\d.]+)/)?.[1]);
    expect(level, out).toBeLessThan(2.0);
  });

  describe.skipIf(!!seccompReason)(`under its system call filter${seccompReason ? ` (skipped: ${seccompReason})` : ""}`, () => {
    const dir = emptyFolder();
    const runner = join(dir, "seccomp-run");
    const list = join(dir, "syscalls");

    beforeAll(() => {
      buildBinary();
      const cc = Bun.spawnSync(["gcc", "-O2", "-o", runner, join(import.meta.dir, "seccomp-run.c"), "-lseccomp"], { stderr: "pipe" });
      if (cc.exitCode !== 0) throw new Error(cc.stderr.toString());
      const names = allowedSyscalls();
      expect(names).toContain("epoll_wait");
      expect(names).not.toContain("chroot");
      writeFileSync(list, names.join("\n"));
    }, 60_000);

    test("a call the filter leaves out is refused with EPERM", () => {
      const r = Bun.spawnSync([runner, list, "/usr/sbin/chroot", "/", "/bin/true"], { stderr: "pipe" });
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr.toString()).toContain("Operation not permitted");
      expect(Bun.spawnSync([runner, list, "/bin/true"]).exitCode).toBe(0);
    });

    test("the server starts, records a click, answers its CLI and stops on SIGTERM", async () => {
      const cwd = emptyFolder();
      const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
      const port = probe.port!;
      probe.stop(true);
      const env = { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", PORT: String(port), WEBHOOK_API_KEY: KEY, DESTINATION_CHECK_SECONDS: "0" };
      const server = Bun.spawn([runner, list, BINARY, "serve"], { cwd, env, stdout: "pipe", stderr: "pipe" });
      started.push(() => server.kill("SIGKILL"));
      const base = `http://127.0.0.1:${port}`;
      const up = await until(() => fetch(`${base}/api/tracking-ingest/health`).then((r) => r.ok, () => false), 20_000);
      if (!up) server.kill("SIGKILL");
      expect(up, up ? "" : await new Response(server.stderr).text()).toBe(true);

      const made = await fetch(`${base}/api/link-tracking/links`, {
        method: "POST",
        headers: { "x-api-key": KEY, "content-type": "application/json" },
        body: JSON.stringify({ tracking_id: "unit-link", original_url: "https://example.com/", link_function: "LinkedIn" }),
      });
      expect(made.status).toBe(201);
      const click = await fetch(`${base}/linkedin?uuid=unit-link`, { redirect: "manual", headers: { "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0" } });
      expect(click.status).toBe(302);
      const cli = Bun.spawnSync([runner, list, BINARY, "links", "list"], { cwd, env, stdout: "pipe", stderr: "pipe" });
      expect(cli.exitCode, cli.stderr.toString()).toBe(0);
      expect(cli.stdout.toString()).toContain("unit-link");

      server.kill("SIGTERM");
      expect(await server.exited).toBe(0);
      const db = storedClicksDb(cwd);
      expect(db.query(`select count(*) as n from ${STORED_CLICKS} c where tracking_id = 'unit-link'`).get()).toEqual({ n: 1 });
      db.close();
    }, 60_000);
  });
});
