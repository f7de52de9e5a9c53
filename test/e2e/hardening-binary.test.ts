/**
 * The compiled binary as an attacker and an operator meet it: files owner-only whatever
 * the umask, the first key never on stdout, bodies refused before they are read, the
 * docs page under a CSP, and a backup taken under load that holds every acknowledged click.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { BINARY, buildBinary, emptyFolder, startServer, stop, type Server } from "./binary";

const KEY = "e2e-key-0123456789abcdef";
const servers: Server[] = [];
beforeAll(() => buildBinary(), 60_000);
afterAll(() => {
  for (const s of servers) s.proc.kill("SIGKILL");
});

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

describe("first start", () => {
  test("with a permissive umask the data folder is 0700 and the database files 0600; the new key goes to stderr only", async () => {
    const cwd = emptyFolder();
    const umask = process.umask(0);
    let server: Server;
    try {
      server = await startServer(cwd, {});
    } finally {
      process.umask(umask);
    }
    servers.push(server);
    // A click in the inbox's file (the first start's key was written to the database), so that both WALs exist.
    await fetch(`${server.base}/linkedin?uuid=nothing-here`);
    expect(mode(join(cwd, "data"))).toBe("700");
    const files = ["link-tracker.db", "link-tracker.db-wal", "link-tracker.db-shm", "link-tracker.db-inbox", "link-tracker.db-inbox-wal", "link-tracker.db-inbox-shm"];
    for (const file of files) expect(`${file} ${mode(join(cwd, "data", file))}`).toBe(`${file} 600`);
    expect(await stop(server)).toBe(0);
    // startServer mixes both streams; run again to tell them apart.
    const cwd2 = emptyFolder();
    const proc = Bun.spawn([BINARY], { cwd: cwd2, env: { PATH: process.env.PATH ?? "", PORT: "0", HOST: "127.0.0.1", DESTINATION_CHECK_SECONDS: "0" }, stdout: "pipe", stderr: "pipe" });
    const stderr = new Response(proc.stderr).text();
    const stdout = new Response(proc.stdout).text();
    await Bun.sleep(1500);
    proc.kill("SIGTERM");
    await proc.exited;
    const key = /\n {2}(lt_[A-Za-z0-9_-]{20,})\n/.exec(await stderr)?.[1];
    expect(key).toBeDefined();
    expect(await stdout).not.toContain(key!);
    expect(await stdout).not.toContain("lt_");
  }, 30_000);
});

describe("a running server", () => {
  let server: Server;
  beforeAll(async () => {
    server = await startServer(emptyFolder(), { WEBHOOK_API_KEY: KEY });
    servers.push(server);
  }, 30_000);

  test("a chunked body without a key is answered 401 before it ends", async () => {
    let pulls = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        pulls++;
        if (pulls > 200) return controller.close();
        controller.enqueue(new TextEncoder().encode("a=1&".repeat(16_384)));
        await Bun.sleep(20);
      },
    });
    const res = await fetch(`${server.base}/api/link-tracking/links`, { method: "POST", body, headers: { "content-type": "application/x-www-form-urlencoded" }, duplex: "half" } as RequestInit);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ success: false, error: "Unauthorized" });
    expect(pulls).toBeLessThan(200);
  });

  test("deep JSON with a key: the documented 400, and a redirect meanwhile is answered", async () => {
    const deep = `{"original_url":"https://example.com/","link_function":"x","description":${"[".repeat(30_000)}${"]".repeat(30_000)}}`;
    const [bad, redirect] = await Promise.all([
      fetch(`${server.base}/api/link-tracking/links`, { method: "POST", body: deep, headers: { "content-type": "application/json", "x-api-key": KEY } }),
      fetch(`${server.base}/linkedin?uuid=none`, { redirect: "manual" }),
    ]);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toContain("deeper than 32");
    expect(redirect.status).toBe(404);
  });

  test("a declared body over the limit is the JSON 413, and the connection is closed rather than read", async () => {
    const { connect } = await import("node:net");
    const answer = await new Promise<string>((resolve) => {
      let out = "";
      const socket = connect(server.port, "127.0.0.1", () =>
        socket.write(`POST /api/link-tracking/links HTTP/1.1\r\nHost: x\r\nX-API-Key: ${KEY}\r\nContent-Type: application/json\r\nContent-Length: 31457280\r\n\r\n{`),
      );
      socket.on("data", (d) => (out += d));
      socket.on("close", () => resolve(out));
      socket.on("error", () => {});
      setTimeout(() => (socket.destroy(), resolve(`${out}[still open]`)), 3000);
    });
    expect(answer).toStartWith("HTTP/1.1 413");
    expect(answer.toLowerCase()).toContain("connection: close");
    expect(answer).toContain('"error":"Request body exceeds 5242880 bytes"');
    expect(answer).not.toContain("[still open]");
  });

  test("/swagger is served under a Content-Security-Policy", async () => {
    const res = await fetch(`${server.base}/swagger`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
  });
});

describe("link-tracker backup", () => {
  test("a backup taken under redirect load holds every click acknowledged before it started, and a server starts on it", async () => {
    const cwd = emptyFolder();
    const server = await startServer(cwd, { WEBHOOK_API_KEY: KEY });
    servers.push(server);
    const created = await fetch(`${server.base}/api/link-tracking/links`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": KEY },
      body: JSON.stringify({ original_url: "https://example.com/", link_function: "LinkedIn", tracking_id: "backup-1" }),
    });
    expect(created.status).toBe(201);

    const acknowledged: number[] = [];
    let next = 0;
    let loading = true;
    const load = Array.from({ length: 8 }, async () => {
      while (loading) {
        const n = next++;
        const res = await fetch(`${server.base}/linkedin?uuid=backup-1&n=${n}`, { redirect: "manual", headers: { "accept-language": "en", "user-agent": "Mozilla/5.0 Firefox/133.0" } });
        if (res.status === 302) acknowledged.push(n);
      }
    });
    while (acknowledged.length < 300) await Bun.sleep(10);
    const before = [...acknowledged];
    const file = join(cwd, "backup.db");
    const backup = Bun.spawn([BINARY, "backup", file], { cwd, env: { PATH: process.env.PATH ?? "" }, stdout: "pipe", stderr: "pipe" });
    expect(await backup.exited).toBe(0);
    loading = false;
    await Promise.all(load);
    expect(acknowledged.length).toBeGreaterThan(before.length); // the load went on during the backup
    expect(mode(file)).toBe("600");
    expect(await stop(server)).toBe(0);

    const restored = await startServer(emptyFolder(), { WEBHOOK_API_KEY: KEY, DATABASE_PATH: file });
    servers.push(restored);
    const csv = await (await fetch(`${restored.base}/api/link-tracking/clicks.csv?tracking_id=backup-1&include_bots=true`, { headers: { "x-api-key": KEY } })).text();
    const stored = new Set([...csv.matchAll(/""n"":""(\d+)""/g)].map((m) => Number(m[1])));
    const missing = before.filter((n) => !stored.has(n));
    expect(missing).toEqual([]);
    expect(await stop(restored)).toBe(0);
  }, 60_000);
});
