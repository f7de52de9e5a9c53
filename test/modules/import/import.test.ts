/**
 * Moving in: CSV files as Shlink and Bitly export them and a plain one (BOM, CRLF, quoted
 * commas, `;`), each checked before anything is written, re-runs that add nothing, taken
 * ids never overwritten, and a Shlink code answering /{code}. Moving on: everything
 * exported as one file (GET /api/link-tracking/export) and read back into a fresh
 * instance with the same analytics.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createKey } from "../../../src/modules/auth/service";
import { archiveSource, ArchiveError } from "../../../src/modules/import/archive";
import { csvSource, CsvSettingError, parseMap } from "../../../src/modules/import/csv";
import { runImport } from "../../../src/modules/import/run";
import { sinkSource, SinkError } from "../../../src/modules/import/sink";
import { createApp } from "../../../src/app";
import { createMetrics } from "../../../src/lib/metrics";
import { freshPgliteDb } from "../../postgres-utils";
import { call, checkedApp, setup, tempDir } from "../../utils";

const dir = tempDir();
mkdirSync(dir, { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string | Uint8Array) => {
  const path = `${dir}/${name}`;
  writeFileSync(path, content);
  return path;
};

const CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

// As Shlink's short-url:export writes it: a BOM, CRLF, a title with a comma in quotes.
const SHLINK = file(
  "shlink.csv",
  "\uFEFFcreatedAt,domain,shortCode,shortUrl,longUrl,title,tags,visits\r\n" +
    '2025-01-10T10:00:00+00:00,,cv24,https://s.example.com/cv24,https://www.linkedin.com/in/steve-glen,"Steve Glen, LinkedIn",linkedin,12\r\n' +
    "2025-01-11T09:30:00+01:00,,gh-2025,https://s.example.com/gh-2025,https://github.com/steve-glen,GitHub,,0\r\n",
);

describe("import csv", () => {
  test("Shlink's export: links with their short codes, which answer /{code}; a re-run adds nothing", async () => {
    const { app, store, config } = setup();
    const report = await runImport(store, config, csvSource(SHLINK));
    expect(report).toMatchObject({ refused: false, links: { imported: 2, already: 0, skipped: 0, failed: 0 } });
    expect(report.notes.join()).toContain("12 visits");
    const link = (await call(app, "/api/link-tracking/links/cv24")).body;
    expect(link).toMatchObject({ tracking_id: "cv24", short_code: "cv24", original_url: "https://www.linkedin.com/in/steve-glen", link_function: "linkedin", description: "Steve Glen, LinkedIn", created_at: "2025-01-10T10:00:00.000Z", created_by: "import:csv" });
    expect((await call(app, "/api/link-tracking/links/gh-2025")).body).toMatchObject({ created_at: "2025-01-11T08:30:00.000Z", link_function: "github" });

    // The old short URL, now on this server: a 302, and a click counted.
    const hit = await app.handle(new Request("http://localhost/cv24", { headers: { "user-agent": CHROME, "x-forwarded-for": "203.0.113.7", "accept-language": "en" } }));
    expect(hit.status).toBe(302);
    expect(hit.headers.get("location")).toBe("https://www.linkedin.com/in/steve-glen");
    expect((await app.handle(new Request("http://localhost/CV24"))).status).toBe(404);
    expect((await call(app, "/api/link-tracking/analytics/cv24")).body.click_statistics.total_clicks).toBe(1);

    const again = await runImport(store, config, csvSource(SHLINK));
    expect(again.links).toEqual({ imported: 0, already: 2, skipped: 0, failed: 0 });
    expect((await store.links.counts(new Date().toISOString())).links).toBe(2);
  });

  test("Bitly's export: the Bitlink's back-half is the short code", async () => {
    const { app, store, config } = setup();
    const path = file("bitly.csv", "Bitlink,Long URL,Title,Tags,Created,Total Clicks\r\nbit.ly/3SteveCV,https://steve-glen.com/cv.pdf,CV,,2024-05-01 12:00:00,3\r\n");
    const report = await runImport(store, config, csvSource(path));
    expect(report.links.imported).toBe(1);
    expect((await call(app, "/api/link-tracking/links/3SteveCV")).body).toMatchObject({ short_code: "3SteveCV", original_url: "https://steve-glen.com/cv.pdf", created_at: "2024-05-01T12:00:00.000Z", description: "CV" });
    expect((await app.handle(new Request("http://localhost/3SteveCV"))).status).toBe(302);
  });

  test("a plain file with ';': applications named from company and role, ids made the same each run", async () => {
    const { app, store, config } = setup();
    const path = file("plain.csv", "URL;Link_Function;Company;Role\nhttps://www.linkedin.com/in/steve;LinkedIn;Acme;SRE\nhttps://steve-glen.com/;Portfolio;Acme;SRE\nhttps://calendly.com/steve;Calendly;;\n");
    const report = await runImport(store, config, csvSource(path));
    expect(report).toMatchObject({ links: { imported: 3, failed: 0 }, applications: 1 });
    const apps = await store.applications.named("Acme", "SRE");
    expect(apps).toHaveLength(1);
    const listed = (await call(app, `/api/link-tracking/links?application_id=${apps[0]!.applicationId}`)).body.links;
    expect(listed.map((l: { link_function: string }) => l.link_function).sort()).toEqual(["LinkedIn", "Portfolio"]);
    expect(listed[0].redirect_url).toMatch(/^http:\/\/localhost(:\d+)?\/(linkedin|portfolio)\?uuid=i[A-Za-z0-9]{21}$/);
    const again = await runImport(store, config, csvSource(path));
    expect(again).toMatchObject({ links: { imported: 0, already: 3 }, applications: 0 });
  });

  test("a bad row stops the import before anything is written, named by its line; --continue-on-error imports the rest", async () => {
    const { store, config } = setup();
    const path = file("bad.csv", "url,tracking_id\r\nhttps://example.com/a,ok-1\r\njavascript:alert(1),evil\r\nftp://example.com/x,ftp-1\r\n,empty\r\nhttps://example.com/b,ok-2\r\n");
    const refused = await runImport(store, config, csvSource(path));
    expect(refused.refused).toBe(true);
    expect(refused.failed.map((f) => f.at)).toEqual(["line 3", "line 4", "line 5"]);
    expect(refused.failed[0]!.reason).toContain("javascript:alert(1)");
    expect(refused.failed[0]!.reason).toContain("http:// or https://");
    expect((await store.links.counts(new Date().toISOString())).links).toBe(0);

    const dry = await runImport(store, config, csvSource(path), { dryRun: true, continueOnError: true });
    expect(dry).toMatchObject({ dryRun: true, links: { imported: 2, failed: 3 } });
    expect((await store.links.counts(new Date().toISOString())).links).toBe(0);

    const rest = await runImport(store, config, csvSource(path), { continueOnError: true });
    expect(rest.links).toEqual({ imported: 2, already: 0, skipped: 0, failed: 3 });
  });

  test("a tracking id another link holds is reported and skipped, never overwritten", async () => {
    const { app, store, config } = setup();
    expect((await call(app, "/api/link-tracking/links", { method: "POST", json: { original_url: "https://mine.example/", link_function: "LinkedIn", tracking_id: "taken-1" } })).status).toBe(201);
    const path = file("taken.csv", "url,tracking_id\nhttps://other.example/,taken-1\nhttps://other.example/2,free-1\nhttps://other.example/3,free-1\n");
    const report = await runImport(store, config, csvSource(path));
    expect(report.links).toEqual({ imported: 1, already: 0, skipped: 2, failed: 0 });
    expect(report.skipped.map((s) => s.reason)).toEqual([
      "tracking_id taken-1 is taken by another link (to https://mine.example/): not overwritten",
      "tracking_id free-1 appears again",
    ]);
    expect((await call(app, "/api/link-tracking/links/taken-1")).body.original_url).toBe("https://mine.example/");
  });

  test("--map names the columns of any other file; --application puts every link in one", async () => {
    const { store, config } = setup();
    const path = file("other.csv", "Destination,What\nhttps://example.com/x,Portfolio\n");
    expect(() => runImport(store, config, csvSource(path))).toThrow(CsvSettingError);
    await expect(runImport(store, config, csvSource(path))).rejects.toThrow('has no URL column: name one "url" (or Shlink\'s longUrl, Bitly\'s Long URL), or say which it is with --map COLUMN=url');
    const app = "550e8400-e29b-41d4-a716-446655440031";
    const report = await runImport(store, config, csvSource(path, parseMap(["Destination=url", "What=link_function"])), { applicationId: app });
    expect(report.links.imported).toBe(1);
    expect((await store.links.of({ applicationId: app }))[0]).toMatchObject({ linkFunction: "Portfolio", originalUrl: "https://example.com/x" });
    expect(() => parseMap(["Destination=nowhere"])).toThrow("--map Destination=nowhere: give COLUMN=FIELD");
  });

  test("a file in another encoding, or missing, is a clear message and nothing is written", async () => {
    const { store, config } = setup();
    const utf16 = file("utf16.csv", new Uint8Array([0xff, 0xfe, 0x75, 0x00, 0x72, 0x00, 0x6c, 0x00]));
    await expect(runImport(store, config, csvSource(utf16))).rejects.toThrow("is UTF-16 text: save it as UTF-8");
    // Latin-1 "é" on line 3.
    const latin1 = file("latin1.csv", Buffer.concat([Buffer.from("url,description\nhttps://example.com/a,fine\nhttps://example.com/b,caf"), Buffer.from([0xe9]), Buffer.from("\n")]));
    await expect(runImport(store, config, csvSource(latin1))).rejects.toThrow("is not UTF-8 text (near line 3)");
    await expect(runImport(store, config, csvSource(`${dir}/missing.csv`))).rejects.toThrow("no such file");
    await expect(runImport(store, config, csvSource(file("empty.csv", "")))).rejects.toThrow("is empty");
    expect((await store.links.counts(new Date().toISOString())).links).toBe(0);
  });
});

describe("import sink", () => {
  test("Sink's JSON export: slugs kept as short codes, an expired link gone, a re-run adds nothing", async () => {
    const { app, store, config } = setup();
    // As Sink's export writes it (times in Unix seconds).
    const path = file(
      "sink.json",
      JSON.stringify(
        {
          version: "1.0",
          exportedAt: "2026-11-30T08:00:00.000Z",
          count: 3,
          links: [
            { id: "k3m9x2p7qa", url: "https://www.linkedin.com/in/steve-glen", slug: "steve-li", comment: "résumé header", createdAt: 1735725600, updatedAt: 1735725600 },
            { id: "b7n2c4v8zt", url: "https://steve-glen.com/old-cv.pdf", slug: "old-cv", title: "Old CV", createdAt: 1704067200, updatedAt: 1704067200, expiration: 1706745600 },
            { id: "x", url: "javascript:alert(1)", slug: "bad-one", createdAt: 1704067200 },
          ],
        },
        null,
        2,
      ),
    );
    const refused = await runImport(store, config, sinkSource(path));
    expect(refused.refused).toBe(true);
    expect(refused.failed[0]!.at).toBe("links[2] (bad-one)");
    const report = await runImport(store, config, sinkSource(path), { continueOnError: true });
    expect(report.links).toEqual({ imported: 2, already: 0, skipped: 0, failed: 1 });
    expect((await call(app, "/api/link-tracking/links/steve-li")).body).toMatchObject({ short_code: "steve-li", description: "résumé header", created_at: "2025-01-01T10:00:00.000Z", created_by: "import:sink" });
    expect((await app.handle(new Request("http://localhost/steve-li"))).status).toBe(302);
    expect((await app.handle(new Request("http://localhost/old-cv"))).status).toBe(410);
    expect((await runImport(store, config, sinkSource(path), { continueOnError: true })).links).toMatchObject({ imported: 0, already: 2 });
  });

  test("a file that is not Sink's export is refused by name", async () => {
    const { store, config } = setup();
    await expect(runImport(store, config, sinkSource(file("not.json", "{nope")))).rejects.toThrow(SinkError);
    await expect(runImport(store, config, sinkSource(file("nolinks.json", '{"version":"1.0"}')))).rejects.toThrow('has no "links" array');
    await expect(runImport(store, config, sinkSource(`${dir}/absent.json`))).rejects.toThrow("no such file");
  });
});

describe("export and import link-tracker", () => {
  test("everything but secrets in one file; read back into a fresh instance, the analytics are the same", async () => {
    const a = setup();
    const application = "550e8400-e29b-41d4-a716-446655440032";
    const made = await call(a.app, "/api/link-tracking/links/bulk", {
      method: "POST",
      json: { application: { company: "Acme", role: "SRE", application_id: application }, links: [{ original_url: "https://www.linkedin.com/in/steve", link_function: "LinkedIn", tracking_id: "acme-li" }, { original_url: "https://steve-glen.com/", link_function: "Portfolio", tracking_id: "acme-web" }] },
    });
    expect(made.status).toBe(201);
    const visit = (path: string, ua: string, ip: string) => a.app.handle(new Request(`http://localhost${path}`, { headers: { "user-agent": ua, "x-forwarded-for": ip, "accept-language": "en" } }));
    await visit("/linkedin?uuid=acme-li", CHROME, "203.0.113.7");
    await visit("/portfolio?uuid=acme-web", CHROME, "203.0.113.7");
    await visit("/linkedin?uuid=acme-li", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "198.51.100.9");
    await visit("/linkedin?uuid=acme-lii", CHROME, "203.0.113.8"); // an orphan hit
    const ingested = await call(a.app, "/api/tracking-ingest/batch", {
      method: "POST",
      json: { events: [{ event_id: "e-1", tracking_id: "acme-web", clicked_at: "2026-01-05T23:30:00Z", ip_address: "203.0.113.20", user_agent: CHROME, session_id: "s-1", metadata: { edge: "fra" } }] },
    });
    expect(ingested.status).toBeLessThan(300);
    await createKey(a.store, "coach", "read");
    expect((await call(a.app, "/api/link-tracking/webhooks", { method: "POST", json: { url: "https://hooks.example.com/x" } })).status).toBe(201);

    const coach = await createKey(a.store, "coach-2", "read");
    expect((await call(a.app, "/api/link-tracking/export", { key: coach })).status).toBe(403);
    const res = await a.app.handle(new Request("http://localhost/api/link-tracking/export", { headers: { authorization: `Bearer ${(await import("../../utils")).KEY}` } }));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="link-tracker-export-\d{4}-\d\d-\d\d\.json"$/);
    const text = await res.text();
    const parsed = JSON.parse(text);
    expect(parsed).toMatchObject({ format: "link-tracker-export", version: 1 });
    expect(parsed.links.map((l: { tracking_id: string }) => l.tracking_id).sort()).toEqual(["acme-li", "acme-web"]);
    expect(parsed.clicks).toHaveLength(5);
    expect(parsed.applications).toEqual([expect.objectContaining({ application_id: application, company: "Acme", role: "SRE" })]);
    expect(parsed.webhooks[0]).not.toHaveProperty("secret");
    expect(parsed.keys.map((k: { name: string }) => k.name).sort()).toEqual(["coach", "coach-2"]);
    expect(text).not.toContain("key_hash");
    const path = file("export.json", text);

    const b = setup();
    const report = await runImport(b.store, b.config, archiveSource(path), { withClicks: true });
    expect(report).toMatchObject({ refused: false, links: { imported: 2 }, clicks: { imported: 5, failed: 0 }, applications: 1 });
    expect(report.notes.some((n) => n.includes("webhook https://hooks.example.com/x is not imported"))).toBe(true);
    for (const path of ["/api/link-tracking/analytics/acme-li", "/api/link-tracking/analytics/acme-web?tz=Europe/Berlin", `/api/link-tracking/analytics/applications/${application}`, "/api/link-tracking/analytics?from=2026-01-01T00:00:00Z"]) {
      const [before, after] = [await call(a.app, path), await call(b.app, path)];
      expect(after.status).toBe(200);
      // The same answer but for when it was asked.
      const same = (body: unknown) => JSON.parse(JSON.stringify(body).replace(/"(generated_at|updated_at|now)":"[^"]*"/g, ""));
      expect(same(after.body), path).toEqual(same(before.body));
    }
    const again = await runImport(b.store, b.config, archiveSource(path), { withClicks: true });
    expect(again).toMatchObject({ links: { imported: 0, already: 2 }, clicks: { imported: 0, already: 5 }, applications: 0 });

    // The same file into PostgreSQL (SQLite to PostgreSQL by export and import): the same answers.
    const pg = await (await freshPgliteDb()).open();
    const c = { store: pg, app: checkedApp(createApp({ store: pg, config: a.config, metrics: createMetrics() })) };
    expect(await runImport(c.store, a.config, archiveSource(path), { withClicks: true })).toMatchObject({ links: { imported: 2 }, clicks: { imported: 5, failed: 0 } });
    await pg.clicks.settle?.();
    for (const path of ["/api/link-tracking/analytics/acme-li", "/api/link-tracking/analytics/acme-web?tz=Europe/Berlin", `/api/link-tracking/analytics/applications/${application}`]) {
      const [before, after] = [await call(a.app, path), await call(c.app, path)];
      const same = (body: unknown) => JSON.parse(JSON.stringify(body).replace(/"(generated_at|updated_at|now)":"[^"]*"/g, ""));
      expect(same(after.body), `PostgreSQL ${path}`).toEqual(same(before.body));
    }
    await pg.close();
  });

  test("a file that is not an export, or of a newer version, is refused by name", async () => {
    const { store, config } = setup();
    await expect(runImport(store, config, archiveSource(file("x.json", '{"links":[]}\n')))).rejects.toThrow(ArchiveError);
    await expect(runImport(store, config, archiveSource(file("v9.json", '{"format":"link-tracker-export","version":9,\n"links":[\n]}\n')))).rejects.toThrow("version 9");
    await expect(runImport(store, config, archiveSource(`${dir}/nope.json`))).rejects.toThrow("no such file");
  });
});
