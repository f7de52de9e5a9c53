import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { buildBinary, emptyFolder, startServer, STORED_CLICKS, stop, type Server, storedClicksDb } from "./binary";

const KEY = "e2e-key-0123456789abcdef";
const running: Server[] = [];
afterAll(() => {
  for (const s of running) if (s.proc.exitCode === null) s.proc.kill("SIGKILL");
});

beforeAll(() => buildBinary(), 60_000);

describe("dist/link-tracker redirects", () => {
  test(
    "200 concurrent redirects, SIGKILL, restart: exactly one click for every 302 received",
    async () => {
      const cwd = emptyFolder();
      const env = { WEBHOOK_API_KEY: KEY, PUBLIC_BASE_URL: "https://steve-glen.com" };
      const server = await startServer(cwd, env);
      running.push(server);

      const created = await fetch(`${server.base}/api/link-tracking/links`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
        body: JSON.stringify({ original_url: "https://linkedin.com/in/steve-glen", link_function: "LinkedIn" }),
      });
      expect(created.status).toBe(201);
      const link = (await created.json()) as { tracking_id: string; redirect_url: string };
      expect(link.redirect_url).toBe(`https://steve-glen.com/linkedin?uuid=${link.tracking_id}`);

      const answers = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          fetch(`${server.base}/linkedin?uuid=${link.tracking_id}&n=${i}`, {
            redirect: "manual",
            headers: { "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0" },
          }),
        ),
      );
      // Killed the moment the last 302 arrived: nothing gets a chance to flush.
      expect(await stop(server, "SIGKILL")).not.toBe(0);
      const redirected = answers.filter((r) => r.status === 302).map((r, i) => i);
      expect(redirected.length).toBe(200);
      for (const r of answers) expect(r.headers.get("location")).toBe("https://linkedin.com/in/steve-glen");

      const restarted = await startServer(cwd, env);
      running.push(restarted);
      // The clicks still waiting in the inbox are moved into link_clicks by the restarted
      // server on its own, while it is idle.
      const moved = () => {
        const db = storedClicksDb(cwd);
        const n = (db.query("select count(*) as n from link_clicks where tracking_id = ?").get(link.tracking_id) as { n: number }).n;
        db.close();
        return n;
      };
      for (let i = 0; i < 100 && moved() < 200; i++) await Bun.sleep(50);
      expect(moved()).toBe(200);
      const db = storedClicksDb(cwd);
      const rows = db.query(`select metadata, ip_address, click_source from ${STORED_CLICKS} where tracking_id = ?`).all(link.tracking_id) as {
        metadata: string;
        ip_address: string;
        click_source: string;
      }[];
      db.close();
      const numbers = rows.map((r) => Number(JSON.parse(r.metadata).n)).sort((a, b) => a - b);
      expect(numbers).toEqual(Array.from({ length: 200 }, (_, i) => i));
      expect(new Set(rows.map((r) => r.ip_address))).toEqual(new Set(["127.0.0.1"]));
      expect(new Set(rows.map((r) => r.click_source))).toEqual(new Set(["linkedin"]));
      expect(await stop(restarted, "SIGTERM")).toBe(0);
    },
    60_000,
  );
});
