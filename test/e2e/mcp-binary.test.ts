/**
 * The compiled binary's MCP server, driven by the SDK's own client over both transports:
 * Streamable HTTP at /mcp of a running server, and `link-tracker mcp` on stdio started
 * by the client on the same database (the way Claude Desktop starts a command).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { BINARY, buildBinary, emptyFolder, startServer, stop, until, type Server } from "./binary";

const KEY = "mcp-admin-key-0123456789abcdef";
const APP = "c3c3c3c3-0000-4000-8000-000000000003";
const CHROME = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";
const env = { WEBHOOK_API_KEY: KEY, SIGNAL_HOLD_SECONDS: "0", PUBLIC_BASE_URL: "https://jobs.example.com" };

let cwd: string;
let server: Server;
let readKey: string;
const clients: Client[] = [];

const api = async (path: string, init: RequestInit = {}) => {
  const res = await fetch(`${server.base}${path}`, { ...init, headers: { "x-api-key": KEY, "content-type": "application/json", ...init.headers } });
  return { status: res.status, body: (await res.json()) as any };
};

async function overHttp(key: string) {
  const client = new Client({ name: "e2e", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${server.base}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
  clients.push(client);
  return client;
}

async function overStdio(args: string[] = []) {
  const client = new Client({ name: "e2e", version: "1.0.0" });
  await client.connect(new StdioClientTransport({ command: BINARY, args: ["mcp", ...args], cwd, env: { PATH: process.env.PATH ?? "" }, stderr: "pipe" }));
  clients.push(client);
  return client;
}

type Answer = { content: { text: string }[]; structuredContent?: any; isError?: boolean };
const tool = async (client: Client, name: string, args: Record<string, unknown> = {}) => (await client.callTool({ name, arguments: args })) as Answer;

beforeAll(async () => {
  buildBinary();
  cwd = emptyFolder();
  server = await startServer(cwd, env);
  const made = await api("/api/link-tracking/links/bulk", {
    method: "POST",
    body: JSON.stringify({
      application: { application_id: APP, company: "Hooli", role: "Staff Engineer" },
      links: [
        { tracking_id: "hooli-linkedin", link_function: "LinkedIn", original_url: "https://linkedin.com/in/someone" },
        { tracking_id: "hooli-portfolio", link_function: "Portfolio", original_url: "https://example.com/portfolio" },
      ],
    }),
  });
  expect(made.status).toBe(201);
  // A recruiter's browser opens the LinkedIn link.
  const click = await fetch(`${server.base}/linkedin?uuid=hooli-linkedin`, { redirect: "manual", headers: { "user-agent": CHROME, "accept-language": "en-US" } });
  expect(click.status).toBe(302);
  expect(await until(async () => (await api("/api/link-tracking/events")).body.events.length > 0, 5000)).toBe(true);
  const key = Bun.spawnSync([BINARY, "keys", "create", "--name", "assistant", "--scope", "read"], { cwd, env: { PATH: process.env.PATH ?? "" } });
  readKey = key.stdout.toString().trim();
}, 60_000);

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {});
  if (server) expect(await stop(server)).toBe(0);
});

describe("the binary's MCP server over Streamable HTTP", () => {
  test("initialize, list the tools, and call each reading one: the answers are the API's", async () => {
    const client = await overHttp(KEY);
    expect(client.getServerVersion()).toMatchObject({ name: "link-tracker", version: "0.1.0" });
    expect((await client.listTools()).tools).toHaveLength(9);

    const standing = await tool(client, "list_applications");
    const overview = await api("/api/link-tracking/analytics/applications?limit=25");
    expect(standing.structuredContent.counts).toEqual(overview.body.counts);
    expect(standing.structuredContent.applications.map(({ last_seen: _, ...a }: any) => a)).toEqual(overview.body.applications);
    expect(standing.content[0]!.text).toContain("Hooli — Staff Engineer (application c3c3c3c3): opened: 1 click by people on 1 of 2 links");

    expect((await tool(client, "find_applications", { text: "hooli" })).structuredContent.applications[0]).toEqual((await api(`/api/link-tracking/applications/${APP}`)).body);
    expect((await tool(client, "application_visits", { application: APP })).structuredContent).toEqual((await api(`/api/link-tracking/analytics/applications/${APP}`)).body);
    expect((await tool(client, "link_analytics", { tracking_id: "hooli-linkedin" })).structuredContent).toEqual((await api("/api/link-tracking/analytics/hooli-linkedin?include_bots=false")).body);
    const news = await tool(client, "whats_new");
    expect(news.structuredContent.events).toEqual((await api("/api/link-tracking/events")).body.events);
    expect(news.content[0]!.text).toContain("Hooli — Staff Engineer was opened for the first time (the LinkedIn link)");
    // Never an address, though the click has one.
    expect(JSON.stringify(news)).not.toContain("127.0.0.1");
  });

  test("a read key cannot call a change (a protocol error, and the server goes on); bad arguments are a tool error naming the field", async () => {
    const client = await overHttp(readKey);
    expect((await client.listTools()).tools.map((t) => t.name)).not.toContain("deactivate_link");
    const refused = await client.callTool({ name: "deactivate_link", arguments: { tracking_id: "hooli-linkedin" } }).catch((e) => e);
    expect(refused).toBeInstanceOf(McpError);
    expect(refused.message).toContain("needs a key with the admin scope");
    const bad = await tool(client, "link_analytics", { tracking_id: "hooli-linkedin", from: "last week" });
    expect(bad.isError).toBe(true);
    expect(bad.content[0]!.text).toContain("from: from must be an ISO 8601 date-time");
    expect((await fetch(`${server.base}/api/tracking-ingest/health`)).status).toBe(200);
  });

  test("a wrong key is 401 on HTTP, and the SDK's client says so", async () => {
    const res = await fetch(`${server.base}/mcp`, {
      method: "POST",
      headers: { authorization: "Bearer wrong", "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "x", version: "1" } } }),
    });
    expect(res.status).toBe(401);
    expect(await overHttp("wrong").catch((e: Error) => e.message)).toContain("Valid API key required in the Authorization: Bearer header");
  });

  test("an admin key's changes: create an application, deactivate a link (the redirect then 410)", async () => {
    const client = await overHttp(KEY);
    const made = await tool(client, "create_application", { company: "Pied Piper", links: [{ link_function: "Calendly", original_url: "https://calendly.com/someone" }] });
    const link = made.structuredContent.links[0];
    expect(link.redirect_url).toStartWith("https://jobs.example.com/calendly?uuid=");
    await tool(client, "deactivate_link", { tracking_id: link.tracking_id });
    expect((await fetch(`${server.base}/calendly?uuid=${link.tracking_id}`, { redirect: "manual" })).status).toBe(410);
  });
});

describe("link-tracker mcp (stdio)", () => {
  test("on the running server's database: the same tools and answers; --read-only refuses changes", async () => {
    const client = await overStdio();
    expect((await client.listTools()).tools).toHaveLength(9);
    const visits = await tool(client, "application_visits", { application: "c3c3c3c3" });
    expect(visits.structuredContent).toEqual((await api(`/api/link-tracking/analytics/applications/${APP}`)).body);
    const made = await tool(client, "create_application", { role: "Data Engineer", links: [{ link_function: "LinkedIn", original_url: "https://linkedin.com/in/someone" }] });
    // Links made here carry the origin of the server on this database.
    expect(made.structuredContent.links[0].redirect_url).toStartWith("https://jobs.example.com/linkedin?uuid=");
    expect((await api(`/api/link-tracking/applications/${made.structuredContent.application.application_id}`)).body.label).toBe("Data Engineer");

    const reader = await overStdio(["--read-only"]);
    expect((await reader.listTools()).tools).toHaveLength(5);
    expect(await reader.callTool({ name: "create_application", arguments: {} }).catch((e) => e)).toBeInstanceOf(McpError);
  }, 30_000);

  test("exits when the client closes stdin", async () => {
    const proc = Bun.spawn([BINARY, "mcp"], { cwd, env: { PATH: process.env.PATH ?? "" }, stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    proc.stdin.write(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "x", version: "1" } } }) + "\n");
    const reader = proc.stdout.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(JSON.parse(first.split("\n")[0]!)).toMatchObject({ id: 1, result: { serverInfo: { name: "link-tracker" } } });
    proc.stdin.end();
    expect(await Promise.race([proc.exited, Bun.sleep(5000).then(() => "still running")])).toBe(0);
    if (proc.exitCode === null) proc.kill("SIGKILL");
  });
});
