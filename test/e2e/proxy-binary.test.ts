/**
 * The client's address as the binary stores it behind proxies, on loopback: the headers a
 * platform or a chain of proxies sets, and a client's forged ones. (The server is reached
 * from 127.0.0.1: it is the nearest proxy here.)
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { buildBinary, emptyFolder, startServer, STORED_CLICKS, storedClicksDb, type Server } from "./binary";

const KEY = "proxy-e2e-key-0123456789abcdef";
const running: Server[] = [];
afterAll(() => {
  for (const s of running) if (s.proc.exitCode === null) s.proc.kill("SIGKILL");
});

/** The address stored for each request, in order, by a server started with `env`. */
async function storedFor(env: Record<string, string>, requests: Record<string, string>[]): Promise<(string | null)[]> {
  const cwd = emptyFolder();
  const server = await startServer(cwd, { WEBHOOK_API_KEY: KEY, ...env });
  running.push(server);
  const made = await fetch(`${server.base}/api/link-tracking/links`, {
    method: "POST",
    headers: { "x-api-key": KEY, "content-type": "application/json" },
    body: JSON.stringify({ tracking_id: "proxy-link", original_url: "https://example.com/", link_function: "LinkedIn" }),
  });
  expect(made.status).toBe(201);
  for (const headers of requests) {
    const res = await fetch(`${server.base}/linkedin?uuid=proxy-link`, { redirect: "manual", headers: { "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0", ...headers } });
    expect(res.status).toBe(302);
  }
  await Bun.sleep(100);
  const db = storedClicksDb(cwd);
  const rows = db.query(`select ip_address from ${STORED_CLICKS} c where tracking_id = 'proxy-link'`).all() as { ip_address: string | null }[];
  db.close();
  server.proc.kill("SIGTERM");
  await server.proc.exited;
  return rows.map((r) => r.ip_address);
}

describe("the client's address behind proxies (binary, loopback)", () => {
  beforeAll(() => buildBinary(), 60_000);

  test("TRUST_PROXY=2 (Cloudflare, then Caddy): the address Cloudflare saw; a client's forged entries lose", async () => {
    expect(await storedFor({ TRUST_PROXY: "2" }, [{ "x-forwarded-for": "6.6.6.6, 198.51.100.7, 172.70.1.1" }, { "x-forwarded-for": "198.51.100.8, 172.70.1.1" }])).toEqual([
      "198.51.100.7",
      "198.51.100.8",
    ]);
  }, 30_000);

  test("TRUST_PROXY as addresses: past every trusted hop; not trusted, the socket's whatever the headers say", async () => {
    expect(await storedFor({ TRUST_PROXY: "loopback, 10.0.0.0/8" }, [{ "x-forwarded-for": "6.6.6.6, 198.51.100.7, 10.1.2.3" }])).toEqual(["198.51.100.7"]);
    expect(await storedFor({ TRUST_PROXY: "10.0.0.0/8" }, [{ "x-forwarded-for": "198.51.100.7" }])).toEqual(["127.0.0.1"]);
  }, 30_000);

  test("CLIENT_IP_HEADER=do-connecting-ip (App Platform): that header alone; X-Forwarded-For and CF-Connecting-IP are not believed instead", async () => {
    const headers: Record<string, string>[] = [{ "do-connecting-ip": "198.51.100.7", "x-forwarded-for": "6.6.6.6" }, { "x-forwarded-for": "6.6.6.6", "cf-connecting-ip": "6.6.6.6" }];
    expect(await storedFor({ TRUST_PROXY: "true", CLIENT_IP_HEADER: "do-connecting-ip" }, headers)).toEqual(["198.51.100.7", "127.0.0.1"]);
  }, 30_000);
});
