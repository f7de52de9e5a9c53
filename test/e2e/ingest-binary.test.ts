import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BINARY, buildBinary, emptyFolder, startServer, stop, type Server, storedClicksDb } from "./binary";

const running: Server[] = [];
afterAll(() => {
  for (const s of running) if (s.proc.exitCode === null) s.proc.kill("SIGKILL");
});

beforeAll(() => buildBinary(), 60_000);

const post = (server: Server, key: string, events: unknown[]) =>
  fetch(`${server.base}/api/tracking-ingest/batch`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": key },
    body: JSON.stringify({ events }),
  });

describe("dist/link-tracker", () => {
  test("--version and --help work without a database", async () => {
    const cwd = emptyFolder();
    const version = Bun.spawnSync([BINARY, "--version"], { cwd });
    expect(version.exitCode).toBe(0);
    expect(version.stdout.toString().trim()).toMatch(/^\d+\.\d+\.\d+/);
    const help = Bun.spawnSync([BINARY, "--help"], { cwd });
    expect(help.exitCode).toBe(0);
    expect(help.stdout.toString()).toContain("Usage:");
    expect(existsSync(join(cwd, "data"))).toBe(false);
  });

  test("a bad setting stops it with a message naming the variable, exit 2", () => {
    const result = Bun.spawnSync([BINARY], { cwd: emptyFolder(), env: { PORT: "abc" } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr.toString()).toContain("PORT");
  });

  test("a secret from a file (WEBHOOK_API_KEY_FILE); a file that cannot be read stops it naming the setting, exit 2", async () => {
    const cwd = emptyFolder();
    writeFileSync(join(cwd, "key.txt"), "from-a-secret-file-0123456789\n");
    const server = await startServer(cwd, { WEBHOOK_API_KEY_FILE: join(cwd, "key.txt") });
    running.push(server);
    const answer = await fetch(`${server.base}/api/link-tracking/links`, { headers: { "x-api-key": "from-a-secret-file-0123456789" } });
    expect(answer.status).toBe(200);
    const missing = Bun.spawnSync([BINARY], { cwd: emptyFolder(), env: { WEBHOOK_API_KEY_FILE: "/nonexistent/key" } });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr.toString()).toContain("WEBHOOK_API_KEY_FILE: cannot read /nonexistent/key");
  });

  test("a second server on a port in use: exit 1 saying so, and the first keeps every request", async () => {
    const first = await startServer(emptyFolder());
    running.push(first);
    const second = Bun.spawnSync([BINARY], { cwd: emptyFolder(), env: { PORT: String(first.port), HOST: "127.0.0.1" }, timeout: 20_000 });
    expect(second.exitCode).toBe(1);
    expect(second.stderr.toString()).toContain(`port ${first.port} is already in use`);
    expect((await fetch(`${first.base}/api/tracking-ingest/health`)).status).toBe(200);
  });

  test("an unknown command is a usage error, exit 2", () => {
    const result = Bun.spawnSync([BINARY, "frobnicate"], { cwd: emptyFolder() });
    expect(result.exitCode).toBe(2);
    expect(result.stderr.toString()).toContain("unknown command 'frobnicate'");
  });

  test(
    "from an empty folder: first-start key, acknowledged batches survive SIGKILL, SIGTERM exits 0",
    async () => {
      const cwd = emptyFolder();
      const first = await startServer(cwd);
      running.push(first);
      const key = /^\s+(lt_[A-Za-z0-9_-]{43})$/m.exec(first.output())?.[1];
      expect(key).toBeDefined();
      expect(existsSync(join(cwd, "data/link-tracker.db"))).toBe(true);

      // Batches sent back to back; the process is killed right after the last answer.
      const acknowledged: string[] = [];
      for (let b = 0; b < 10; b++) {
        const events = Array.from({ length: 100 }, (_, i) => ({
          event_id: `b${b}-e${i}`,
          tracking_id: `link-${i % 7}`,
          clicked_at: "2025-10-22T14:30:00Z",
          ip_address: "203.0.113.42",
          click_source: "linkedin",
        }));
        const res = await post(first, key!, events);
        expect(res.status).toBe(200);
        acknowledged.push(...events.map((e) => `event:${e.event_id}`));
      }
      expect(await stop(first, "SIGKILL")).not.toBe(0);

      const second = await startServer(cwd);
      running.push(second);
      expect(second.output()).not.toContain("lt_"); // the key is shown once, on the first start only
      const db = storedClicksDb(cwd);
      const stored = new Set((db.query("select idempotency_key as k from link_clicks").all() as { k: string }[]).map((r) => r.k));
      db.close();
      expect(stored.size).toBe(acknowledged.length);
      for (const k of acknowledged) expect(stored.has(k)).toBe(true);

      // Re-sending an acknowledged batch after the restart stores nothing twice.
      const resend = await post(second, key!, [{ event_id: "b0-e0", tracking_id: "link-0" }]);
      expect(((await resend.json()) as any).results.duplicates).toBe(1);

      expect(await stop(second, "SIGTERM")).toBe(0);
    },
    60_000,
  );
});
