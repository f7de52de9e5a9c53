import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import type { NewClick } from "../../../src/db/store";
import { createKey } from "../../../src/modules/auth/service";
import { call, KEY, req, setup, sql } from "../../utils";

const { app, store } = setup({ signalHoldSeconds: 0 });
const APP = "a1a1a1a1-0000-4000-8000-000000000001";
const OTHER = "b2b2b2b2-0000-4000-8000-000000000002";
const HOUR = 3600_000;
const ago = (hours: number) => new Date(Date.now() - hours * HOUR).toISOString();
// Addresses the answers must never show.
const IPS = ["198.51.100.23", "203.0.113.77"];

const human = (trackingId: string, clickedAt: string, extra: Partial<NewClick> = {}): NewClick => ({
  clickId: crypto.randomUUID(),
  trackingId,
  clickedAt,
  receivedAt: clickedAt,
  origin: "ingest",
  idempotencyKey: crypto.randomUUID(),
  visitorKind: "human",
  outcome: "redirected",
  userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
  ipAddress: IPS[0],
  sessionId: "s1",
  country: "DE",
  asn: 3320,
  network: "Deutsche Telekom AG",
  ...extra,
});

const clients: Client[] = [];
async function connect(key: string | null, headers: Record<string, string> = {}) {
  const client = new Client({ name: "test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL("http://localhost/mcp"), {
    fetch: (url, init) => app.handle(new Request(String(url), init)),
    requestInit: { headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers } },
  });
  await client.connect(transport);
  clients.push(client);
  return client;
}

type Answer = { content: { type: string; text: string }[]; structuredContent?: Record<string, unknown>; isError?: boolean };
const callTool = async (client: Client, name: string, args: Record<string, unknown> = {}) => (await client.callTool({ name, arguments: args })) as Answer;
const textOf = (a: Answer) => a.content.map((c) => c.text).join("\n");

let admin: Client;
let reader: Client;
let readKey: string;

beforeAll(async () => {
  const made = await call(app, "/api/link-tracking/links/bulk", {
    json: {
      application: { application_id: APP, company: "Acme", role: "Senior Engineer", sent_at: ago(72) },
      links: [
        { tracking_id: "acme-linkedin", link_function: "LinkedIn", original_url: "https://linkedin.com/in/someone" },
        { tracking_id: "acme-portfolio", link_function: "Portfolio", original_url: "https://example.com/portfolio" },
      ],
    },
  });
  expect(made.status).toBe(201);
  await call(app, "/api/link-tracking/links/bulk", {
    json: { application: { application_id: OTHER, company: "Globex", role: "Platform Engineer" }, links: [{ tracking_id: "globex-linkedin", link_function: "LinkedIn", original_url: "https://linkedin.com/in/someone" }] },
  });
  (await sql(store)).run("update link_tracking set created_at = ?", [ago(60)]);
  await store.clicks.insert([
    human("acme-linkedin", ago(48)),
    human("acme-portfolio", ago(47.9)),
    human("acme-linkedin", ago(2), { sessionId: "s2", ipAddress: IPS[1], country: "US", asn: 8075, network: "Microsoft Corporation" }),
    human("acme-linkedin", ago(1), { visitorKind: "scanner", visitorReason: "no Accept-Language", sessionId: null }),
    // A hit on the link's id cut short: an orphan.
    human("acme-linkedi", ago(1), { outcome: "not_found", sessionId: null }),
  ]);
  readKey = await createKey(store, "assistant", "read");
  admin = await connect(KEY);
  reader = await connect(readKey);
});

afterAll(async () => {
  for (const c of clients) await c.close();
});

describe("MCP over Streamable HTTP", () => {
  test("initialize names the server; an admin key lists every tool, a read key the reading ones", async () => {
    expect(admin.getServerVersion()).toMatchObject({ name: "link-tracker" });
    expect(admin.getInstructions()).toContain("list_applications");
    const all = (await admin.listTools()).tools;
    expect(all.map((t) => t.name).sort()).toEqual(
      ["application_visits", "attribute_orphan", "create_application", "deactivate_link", "find_applications", "link_analytics", "list_applications", "reactivate_link", "whats_new"].sort(),
    );
    for (const t of all) {
      expect(t.description!.length).toBeGreaterThan(40);
      expect(t.inputSchema.type).toBe("object");
      expect(t.outputSchema?.type).toBe("object");
    }
    const visits = all.find((t) => t.name === "application_visits")!;
    expect(visits.inputSchema.required).toEqual(["application"]);
    expect(visits.annotations).toMatchObject({ readOnlyHint: true });
    expect((await reader.listTools()).tools.map((t) => t.name).sort()).toEqual(["application_visits", "find_applications", "link_analytics", "list_applications", "whats_new"]);
  });

  test("list_applications: each application's standing, as the API's applications overview, with when and from where", async () => {
    const answer = await callTool(reader, "list_applications");
    const api = await call(app, "/api/link-tracking/analytics/applications?limit=25");
    const { applications, ...rest } = answer.structuredContent as { applications: Record<string, unknown>[] };
    expect(rest).toEqual({ counts: api.body.counts, next_cursor: api.body.next_cursor });
    expect(applications.map(({ last_seen: _, ...a }) => a)).toEqual(api.body.applications);
    const acme = applications.find((a) => a.application_id === APP)!;
    expect(acme.last_seen).toMatchObject({ from: "Microsoft Corporation, US", agent: expect.stringContaining("Chrome") });
    const text = textOf(answer);
    expect(text).toContain("2 applications in all: 1 not opened yet");
    expect(text).toMatch(/Acme — Senior Engineer \(application a1a1a1a1, sent .*\): opened: 3 clicks by people on 2 of 2 links/);
    expect(text).toContain("from Microsoft Corporation, US");
    expect(text).toContain("Globex — Platform Engineer (application b2b2b2b2): not opened yet; 1 link.");
  });

  test("find_applications: by a part of the company or role", async () => {
    const answer = await callTool(reader, "find_applications", { text: "platform" });
    expect((answer.structuredContent!.applications as { application_id: string }[]).map((a) => a.application_id)).toEqual([OTHER]);
    const api = await call(app, `/api/link-tracking/applications/${OTHER}`);
    expect((answer.structuredContent!.applications as unknown[])[0]).toEqual(api.body);
    expect(textOf(answer)).toContain(`Globex — Platform Engineer: application_id ${OTHER}`);
    expect(textOf(await callTool(reader, "find_applications", { text: "Initech" }))).toBe('No application\'s company or role contains "Initech".');
  });

  test("application_visits: one application's story by its id or the start of it, as the API's roll-up; a scanner said so, never an address", async () => {
    const answer = await callTool(reader, "application_visits", { application: "a1a1a1a1" });
    const api = await call(app, `/api/link-tracking/analytics/applications/${APP}`);
    expect(answer.structuredContent).toEqual(api.body);
    const text = textOf(answer);
    expect(text).toContain("Acme — Senior Engineer");
    expect(text).toContain("LinkedIn: http://localhost:5001/linkedin?uuid=acme-linkedin → https://linkedin.com/in/someone");
    expect(text).toMatch(/1\. .*a person \(Chrome on Windows.*\) from Deutsche Telekom AG, DE opened LinkedIn, Portfolio \(2 clicks over 6 min\)/);
    expect(text).toMatch(/2\. .*from Microsoft Corporation, US opened LinkedIn\./);
    expect(text).toContain("a mail scanner (a security gateway opening links before the recipient does) opened LinkedIn (why: no Accept-Language)");
    for (const ip of IPS) expect(JSON.stringify(answer)).not.toContain(ip);
  });

  test("whats_new: first opens, returns and cut-short links since a time, as the event feed", async () => {
    const answer = await callTool(reader, "whats_new", { since: ago(72) });
    const api = await call(app, "/api/link-tracking/events?limit=50");
    expect(answer.structuredContent).toEqual({ ...api.body, since: expect.any(String) });
    const text = textOf(answer);
    expect(text).toContain("Acme — Senior Engineer was opened for the first time (the LinkedIn link) from Deutsche Telekom AG, DE.");
    expect(text).toContain('a link cut short was opened (id "acme-linkedi")');
    expect(text).toContain("it was probably Acme — Senior Engineer · LinkedIn (acme-linkedin)");
    // Since a time after every event: nothing; a cursor goes on from an answer.
    expect(textOf(await callTool(reader, "whats_new", { since: new Date(Date.now() + 60_000).toISOString() }))).toStartWith("Nothing new since");
    const first = await callTool(reader, "whats_new", { since: ago(72), limit: 1 });
    expect(textOf(first)).toContain('call whats_new again with cursor "');
    const next = await callTool(reader, "whats_new", { cursor: (first.structuredContent as { next_cursor: string }).next_cursor });
    expect((next.structuredContent as { events: unknown[] }).events).toEqual(api.body.events.slice(1));
  });

  test("link_analytics: as the API's link analytics, in words", async () => {
    const answer = await callTool(reader, "link_analytics", { tracking_id: "acme-linkedin", tz: "Europe/Berlin" });
    const api = await call(app, "/api/link-tracking/analytics/acme-linkedin?tz=Europe/Berlin&include_bots=false");
    expect(answer.structuredContent).toEqual(api.body);
    const text = textOf(answer);
    expect(text).toContain("The LinkedIn link of Acme — Senior Engineer");
    expect(text).toContain("2 clicks (clicks by people), 2 unique sessions");
    expect(text).toContain("Not a person's: 1 by a mail scanner.");
  });

  test("bad arguments are a tool error naming the field; an unknown link or application one saying so", async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ["application_visits", {}, "application:"],
      ["application_visits", { application: "zz" }, "application: application must be an application id"],
      ["application_visits", { application: "ffff0000" }, "no application id starts with ffff0000"],
      ["link_analytics", { tracking_id: "acme-linkedin", tz: "Mars/Olympus" }, "tz: tz must be an IANA time zone"],
      ["link_analytics", { tracking_id: "no-such-link" }, "no-such-link"],
      ["list_applications", { limit: 1000 }, "limit: limit must be at most 100"],
      ["whats_new", { since: "yesterday" }, "since: since must be an ISO 8601 date-time"],
      ["create_application", { company: "Initech", links: [{ link_function: "LinkedIn", original_url: "javascript:alert(1)" }] }, "links.0.original_url:"],
      ["create_application", { links: [{ link_function: "LinkedIn", original_url: "https://example.com" }] }, "company: company or role is required"],
    ];
    for (const [name, args, message] of cases) {
      const answer = await callTool(admin, name, args);
      expect(answer.isError, `${name} ${JSON.stringify(args)}`).toBe(true);
      expect(textOf(answer)).toContain(message);
    }
  });

  test("a read key calling a change is a protocol error naming the scope; nothing changes", async () => {
    const refused = await reader.callTool({ name: "deactivate_link", arguments: { tracking_id: "acme-linkedin" } }).catch((e) => e);
    expect(refused).toBeInstanceOf(McpError);
    expect(refused.code).toBe(-32003);
    expect(refused.message).toContain("deactivate_link needs a key with the admin scope");
    expect((await call(app, "/api/link-tracking/links/acme-linkedin")).body.is_active).toBe(true);
    const unknown = await admin.callTool({ name: "drop_tables", arguments: {} }).catch((e) => e);
    expect(unknown).toBeInstanceOf(McpError);
  });

  test("admin tools: create an application with its links, deactivate one (410) and reactivate it, attribute a cut-short link", async () => {
    const made = await callTool(admin, "create_application", {
      company: "Initech",
      role: "Backend Developer",
      links: [{ link_function: "LinkedIn", original_url: "https://linkedin.com/in/someone" }, { link_function: "Calendly", original_url: "https://calendly.com/someone" }],
    });
    const created = made.structuredContent as { application: { application_id: string }; links: { tracking_id: string; redirect_url: string }[] };
    expect(textOf(made)).toContain("Made Initech — Backend Developer");
    expect(textOf(made)).toContain(created.links[0]!.redirect_url);
    expect((await call(app, `/api/link-tracking/applications/${created.application.application_id}`)).body).toMatchObject({ label: "Initech — Backend Developer", links: 2 });

    const id = created.links[0]!.tracking_id;
    const off = await callTool(admin, "deactivate_link", { tracking_id: id });
    expect(textOf(off)).toContain("is inactive: it answers 410 Gone");
    expect((await app.handle(req(`/linkedin?uuid=${id}`, { key: null }))).status).toBe(410);
    await callTool(admin, "reactivate_link", { tracking_id: id });
    expect((await app.handle(req(`/linkedin?uuid=${id}`, { key: null, headers: { "accept-language": "en" } }))).status).toBe(302);

    const attributed = await callTool(admin, "attribute_orphan", { orphan_id: "acme-linkedi", tracking_id: "acme-linkedin" });
    expect(attributed.structuredContent).toEqual({ orphan_id: "acme-linkedi", tracking_id: "acme-linkedin", hits_attributed: 1 });
    expect(textOf(attributed)).toBe('1 hit on "acme-linkedi" now count as clicks of acme-linkedin.');
  });

  test("the overview as a resource and a morning-summary prompt", async () => {
    const resources = (await reader.listResources()).resources;
    expect(resources.map((r) => r.uri)).toEqual(["link-tracker://overview"]);
    const read = await reader.readResource({ uri: "link-tracker://overview" });
    const overview = JSON.parse((read.contents[0] as { text: string }).text);
    expect(overview.totals).toEqual((await call(app, "/api/link-tracking/analytics")).body.totals);
    const prompt = await reader.getPrompt({ name: "morning_summary" });
    expect((prompt.messages[0]!.content as { text: string }).text).toContain("whats_new");
  });

  test("HTTP: a wrong or missing key is 401 before the body is read; an ingest key 403; a foreign Origin 403; GET 405", async () => {
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });
    const post = (headers: Record<string, string>) =>
      app.handle(new Request("http://localhost/mcp", { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers }, body }));
    const wrong = await post({ authorization: "Bearer nope" });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { message: string }).message).toContain("Authorization: Bearer");
    expect((await post({})).status).toBe(401);
    const ingest = await createKey(store, "node", "ingest");
    expect((await post({ authorization: `Bearer ${ingest}` })).status).toBe(403);
    const foreign = await post({ authorization: `Bearer ${readKey}`, origin: "http://evil.example" });
    expect(foreign.status).toBe(403);
    expect(((await foreign.json()) as { error: { message: string } }).error.message).toContain("Origin");
    const own = await post({ authorization: `Bearer ${readKey}`, origin: "http://localhost:5001" });
    expect(own.status).toBe(200);
    expect(((await own.json()) as { result: { tools: unknown[] } }).result.tools.length).toBe(5);
    const get = await app.handle(new Request("http://localhost/mcp", { headers: { authorization: `Bearer ${readKey}` } }));
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    const batch = await post({ authorization: `Bearer ${readKey}` }).then(() =>
      app.handle(
        new Request("http://localhost/mcp", {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${readKey}` },
          body: JSON.stringify(Array.from({ length: 21 }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "tools/list" }))),
        }),
      ),
    );
    expect(batch.status).toBe(400);
  });
});
