/**
 * Helpers for tests that run the compiled binary as a user would: an empty folder,
 * a free port (PORT=0, read back from the "listening" log line), health polled.
 */
import { spawnSync, type Subprocess } from "bun";
import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../utils";

const root = join(import.meta.dir, "../..");
export const BINARY = join(root, "dist/link-tracker");

/**
 * Every stored click, as another process sees the database (opened with storedClicksDb):
 * those already in link_clicks and the redirect clicks still waiting in the inbox's own
 * file (src/db/sqlite/inbox.ts).
 */
export const STORED_CLICKS = `(select tracking_id, ip_address, click_source, metadata, origin, outcome, idempotency_key from link_clicks
  union all select tracking_id, ip_address, click_source, metadata, origin, outcome, null from inbox.click_inbox)`;

/** The server's database file, read-only, with the click inbox's file attached as `inbox`. */
export function storedClicksDb(cwd: string): Database {
  const path = join(cwd, "data/link-tracker.db");
  const db = new Database(path, { readonly: true });
  db.run("attach database ? as inbox", [`${path}-inbox`]);
  return db;
}

let built = false;

/** Builds dist/link-tracker from the current sources, once per test run. */
export function buildBinary(): void {
  if (built) return;
  const result = spawnSync([process.execPath, "scripts/build.ts"], { cwd: root, stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`build failed:\n${result.stderr.toString()}${result.stdout.toString()}`);
  built = true;
}

export type Server = { proc: Subprocess<"ignore", "pipe", "pipe">; port: number; base: string; output: () => string };

export function emptyFolder(): string {
  const dir = tempDir();
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Starts the binary in `cwd` and resolves once it answers its health check. */
export async function startServer(cwd: string, env: Record<string, string> = {}, args: string[] = []): Promise<Server> {
  const proc = Bun.spawn([BINARY, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? "", PORT: "0", HOST: "127.0.0.1", DESTINATION_CHECK_SECONDS: "0", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  let output = "";
  const decoder = new TextDecoder();
  (async () => {
    for await (const chunk of proc.stdout) output += decoder.decode(chunk);
  })();
  (async () => {
    for await (const chunk of proc.stderr) output += decoder.decode(chunk);
  })();
  const deadline = Date.now() + 10_000;
  let port = 0;
  while (Date.now() < deadline) {
    const match = /"msg":"listening"/.test(output) && /"port":(\d+)/.exec(output);
    if (match) {
      port = Number(match[1]);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/api/tracking-ingest/health`);
        if (res.ok) break;
      } catch {}
    }
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}:\n${output}`);
    await Bun.sleep(25);
  }
  if (!port) {
    proc.kill("SIGKILL");
    throw new Error(`server did not become healthy:\n${output}`);
  }
  return { proc, port, base: `http://127.0.0.1:${port}`, output: () => output };
}

/** Ends a server this test started, by its own handle; resolves with its exit code. */
export async function stop(server: Server, signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<number | null> {
  server.proc.kill(signal);
  return server.proc.exited;
}

/**
 * A webhook receiver on loopback: the webhook-id of every delivery it got, in order.
 * `hold(n)`: whether to leave the n-th delivery (0-based) without an answer, as a receiver
 * whose sender is killed mid-request.
 */
export function webhookReceiver(hold: (n: number) => boolean = () => false) {
  const got: string[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: async (req) => {
      const n = got.push(req.headers.get("webhook-id") ?? "") - 1;
      await req.text();
      if (hold(n)) await new Promise(() => {});
      return new Response("ok");
    },
  });
  return { got, server, url: `http://127.0.0.1:${server.port}/hook` };
}

/** Polls `check` every 25 ms until it holds (true) or `ms` pass (false). */
export async function until(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) return false;
    await Bun.sleep(25);
  }
  return true;
}
