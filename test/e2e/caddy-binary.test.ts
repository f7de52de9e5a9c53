/**
 * The client's address through real proxies: Debian's Caddy on loopback in front of the
 * binary, one hop and two (a front proxy, then the one on the server's machine, as
 * Cloudflare then Caddy). The client connects from 127.0.0.9 (curl --interface) and forges
 * an X-Forwarded-For; the proxies are at 127.0.0.1. Skipped with the reason where Caddy
 * cannot be had (scripts/ensure-caddy.sh).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildBinary, emptyFolder, startServer, STORED_CLICKS, storedClicksDb, type Server } from "./binary";

const KEY = "caddy-e2e-key-0123456789abcdef";
const ensured = Bun.spawnSync(["bash", join(import.meta.dir, "../../scripts/ensure-caddy.sh")], { stderr: "pipe" });
const caddy = ensured.exitCode === 0 ? ensured.stdout.toString().trim() : null;
const reason = caddy ? "" : ensured.stderr.toString().trim() || `exit ${ensured.exitCode}`;
const started: { kill: () => void }[] = [];
afterAll(() => {
  for (const p of started) p.kill();
});

const freePort = () => {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = s.port!;
  s.stop(true);
  return port;
};

/** Caddy on 127.0.0.1: `front` → `near` → the binary; `near` trusts only 127.0.0.1 (the front proxy), as a proxy behind another is set up. */
async function proxies(binaryPort: number) {
  const [front, near] = [freePort(), freePort()];
  const dir = emptyFolder();
  const file = join(dir, "Caddyfile");
  writeFileSync(
    file,
    `{
	admin off
	auto_https off
}
http://127.0.0.1:${front} {
	reverse_proxy 127.0.0.1:${near}
}
http://127.0.0.1:${near} {
	reverse_proxy 127.0.0.1:${binaryPort} {
		trusted_proxies 127.0.0.1/32
	}
}
`,
  );
  const proc = Bun.spawn([caddy!, "run", "--config", file, "--adapter", "caddyfile"], { cwd: dir, env: { PATH: process.env.PATH ?? "", HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir }, stdout: "ignore", stderr: "pipe" });
  started.push(proc);
  for (let i = 0; i < 100; i++) {
    const up = await fetch(`http://127.0.0.1:${near}/api/tracking-ingest/health`).then((r) => r.status, () => 0);
    if (up === 200) break;
    await Bun.sleep(50);
  }
  return { front, near, stop: () => proc.kill() };
}

/** A recruiter's click from 127.0.0.9 through `port`, claiming to be 6.6.6.6. */
function clickFrom127009(port: number) {
  const r = Bun.spawnSync(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--interface", "127.0.0.9", "-H", "X-Forwarded-For: 6.6.6.6", "-A", "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0", `http://127.0.0.1:${port}/linkedin?uuid=caddy-link`]);
  return r.stdout.toString();
}

async function server(env: Record<string, string>): Promise<{ s: Server; cwd: string }> {
  const cwd = emptyFolder();
  const s = await startServer(cwd, { WEBHOOK_API_KEY: KEY, ...env });
  started.push({ kill: () => s.proc.kill("SIGKILL") });
  const made = await fetch(`${s.base}/api/link-tracking/links`, {
    method: "POST",
    headers: { "x-api-key": KEY, "content-type": "application/json" },
    body: JSON.stringify({ tracking_id: "caddy-link", original_url: "https://example.com/", link_function: "LinkedIn" }),
  });
  expect(made.status).toBe(201);
  return { s, cwd };
}

async function stored(cwd: string): Promise<(string | null)[]> {
  await Bun.sleep(100);
  const db = storedClicksDb(cwd);
  const rows = db.query(`select ip_address from ${STORED_CLICKS} c where tracking_id = 'caddy-link'`).all() as { ip_address: string | null }[];
  db.close();
  return rows.map((r) => r.ip_address);
}

describe.skipIf(!caddy)(`behind Caddy${caddy ? "" : ` (skipped: ${reason})`}`, () => {
  beforeAll(() => buildBinary(), 60_000);

  test("one hop, TRUST_PROXY=true: the client's address; its forged X-Forwarded-For never wins", async () => {
    const { s, cwd } = await server({ TRUST_PROXY: "true" });
    const chain = await proxies(s.port);
    expect(clickFrom127009(chain.near)).toBe("302");
    expect(await stored(cwd)).toEqual(["127.0.0.9"]);
    chain.stop();
  }, 30_000);

  test("two hops: TRUST_PROXY=2 or the proxies' addresses give the client's; TRUST_PROXY=true the front proxy's (the setting to change)", async () => {
    for (const [trust, expected] of [["2", "127.0.0.9"], ["127.0.0.1", "127.0.0.9"], ["true", "127.0.0.1"]] as const) {
      const { s, cwd } = await server({ TRUST_PROXY: trust });
      const chain = await proxies(s.port);
      expect(clickFrom127009(chain.front)).toBe("302");
      expect([trust, await stored(cwd)]).toEqual([trust, [expected]]);
      chain.stop();
    }
  }, 60_000);
});
