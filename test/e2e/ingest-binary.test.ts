import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
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
