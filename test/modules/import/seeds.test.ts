/**
 * `import seeds postgres://…` against a real PostgreSQL database made with the seeds' own
 * DDL (external-domain-guide.md) and rows as the job-application system and the old
 * handler wrote them: links with their ids and flags, clicks classified and located as
 * ingested ones; the source never written; a re-run adds nothing; a database without
 * the tables or columns is a message naming them.
 */
import { afterAll, describe, expect, test } from "bun:test";
import postgres from "postgres";
import { runImport } from "../../../src/modules/import/run";
import { SeedsError } from "../../../src/db/store";
import { openSeedsTables } from "../../../src/db/postgres/seeds";
import { seedsSource as fromTables } from "../../../src/modules/import/seeds";
import { realPostgres } from "../../postgres-utils";
import { call, setup } from "../../utils";

const server = await realPostgres();
const seedsSource = (url: string) => fromTables(openSeedsTables(url));
afterAll(() => server.dropAll());

const DDL = `
CREATE TABLE link_tracking (
    tracking_id VARCHAR(100) PRIMARY KEY,
    job_id UUID,
    application_id UUID,
    link_function VARCHAR(50) NOT NULL,
    link_type VARCHAR(50) NOT NULL,
    original_url VARCHAR(1000) NOT NULL,
    redirect_url VARCHAR(1000) NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    created_by VARCHAR(100) DEFAULT 'system',
    is_active BOOLEAN DEFAULT TRUE,
    description TEXT
);
CREATE TABLE link_clicks (
    click_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    tracking_id VARCHAR(100) NOT NULL,
    clicked_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    ip_address INET,
    user_agent TEXT,
    referrer_url VARCHAR(1000),
    session_id VARCHAR(100),
    click_source VARCHAR(50),
    metadata JSONB DEFAULT '{}'
);`;

const CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const JOB = "550e8400-e29b-41d4-a716-446655440000";
const APP = "550e8400-e29b-41d4-a716-446655440001";

async function seedsDatabase(ddl = DDL) {
  const url = await server.freshDatabase();
  const db = postgres(url, { max: 1, onnotice: () => {} });
  await db.unsafe(ddl);
  return { url, db };
}

describe.skipIf(!server.url)("import seeds", () => {
  test("links and clicks from the seeds' tables, read only; a re-run adds nothing", async () => {
    const { url, db } = await seedsDatabase();
    await db.unsafe(`
      INSERT INTO link_tracking (tracking_id, job_id, application_id, link_function, link_type, original_url, redirect_url, created_at, created_by, is_active, description) VALUES
        ('lt_abc123def456', '${JOB}', '${APP}', 'LinkedIn', 'profile', 'https://linkedin.com/in/steve-glen', 'https://steve-glen.com/linkedin?uuid=lt_abc123def456', '2025-07-27 21:00:00', 'job-application-system', true, 'Acme cover letter'),
        ('lt_old', NULL, NULL, 'Portfolio', 'website', 'https://steve-glen.com/', 'https://steve-glen.com/portfolio?uuid=lt_old', '2025-01-02 08:00:00', 'system', false, NULL);
      INSERT INTO link_clicks (click_id, tracking_id, clicked_at, ip_address, user_agent, referrer_url, session_id, click_source, metadata) VALUES
        ('00000000-0000-4000-8000-000000000001', 'lt_abc123def456', '2025-07-28 09:15:00.250', '203.0.113.7', '${CHROME}', 'https://mail.google.com/', 'sess-1', 'linkedin', '{"campaign": "acme"}'),
        ('00000000-0000-4000-8000-000000000002', 'lt_abc123def456', '2025-07-28 23:30:00', '66.249.66.1', 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', NULL, NULL, NULL, '{}'),
        ('00000000-0000-4000-8000-000000000003', 'lt_abc123def4', '2025-07-29 10:00:00', '203.0.113.8', '${CHROME}', NULL, NULL, NULL, '{}');
    `);
    const before = await db`select (select count(*) from link_tracking)::int as links, (select count(*) from link_clicks)::int as clicks, (select md5(string_agg(t::text, '' order by tracking_id)) from link_tracking t) as digest`;

    const { app, store, config } = setup();
    const report = await runImport(store, config, seedsSource(url), { withClicks: true });
    expect(report).toMatchObject({ refused: false, links: { imported: 2, failed: 0 }, clicks: { imported: 3, failed: 0 } });
    const link = (await call(app, "/api/link-tracking/links/lt_abc123def456")).body;
    expect(link).toMatchObject({ job_id: JOB, application_id: APP, link_function: "LinkedIn", link_type: "profile", created_at: "2025-07-27T21:00:00.000Z", created_by: "job-application-system", description: "Acme cover letter", is_active: true });
    expect((await call(app, "/api/link-tracking/links/lt_old")).body.is_active).toBe(false);
    expect((await app.handle(new Request("http://localhost/portfolio?uuid=lt_old"))).status).toBe(410);

    const stats = (await call(app, "/api/link-tracking/analytics/lt_abc123def456?include_bots=true")).body;
    expect(stats.click_statistics).toMatchObject({ total_clicks: 2, first_click: "2025-07-28T09:15:00.250Z", last_click: "2025-07-28T23:30:00.000Z" });
    expect(stats.clicks_by_kind).toMatchObject({ human: 1, bot: 1 });
    const stored = await store.clicks.findByKey("import:seeds:00000000-0000-4000-8000-000000000001");
    expect(stored).toMatchObject({ origin: "import", visitorKind: "human", sessionId: "sess-1", clickSource: "linkedin", metadata: { campaign: "acme" }, ipAddress: "203.0.113.7" });
    // A click on an id no link has: an orphan hit, with the link it probably was.
    expect((await store.clicks.findByKey("import:seeds:00000000-0000-4000-8000-000000000003"))?.outcome).toBe("not_found");
    // History tells nobody.
    expect((await call(app, "/api/link-tracking/events")).body.events).toEqual([]);

    const again = await runImport(store, config, seedsSource(url), { withClicks: true });
    expect(again).toMatchObject({ links: { imported: 0, already: 2 }, clicks: { imported: 0, already: 3 } });
    const after = await db`select (select count(*) from link_tracking)::int as links, (select count(*) from link_clicks)::int as clicks, (select md5(string_agg(t::text, '' order by tracking_id)) from link_tracking t) as digest`;
    expect(after).toEqual(before);
    await db.end();
  }, 30_000);

  test("a database without the seeds' tables or columns, or that refuses the password, is a message naming it", async () => {
    const { store, config } = setup();
    const none = await seedsDatabase("create table other (id int)");
    await expect(runImport(store, config, seedsSource(none.url))).rejects.toThrow("has no table link_tracking: is it the job-application system's database?");
    await none.db.end();
    const partial = await seedsDatabase(DDL.replace("    session_id VARCHAR(100),\n", "").replace("    click_source VARCHAR(50),\n", ""));
    await expect(runImport(store, config, seedsSource(partial.url))).rejects.toThrow("table link_clicks has no column session_id, click_source");
    await partial.db.end();
    const wrong = new URL(server.url!);
    wrong.password = "not-the-password";
    wrong.username = "link_tracker_nobody";
    await expect(runImport(store, config, seedsSource(wrong.toString()))).rejects.toThrow(SeedsError);
    expect((await store.links.counts(new Date().toISOString())).links).toBe(0);
  }, 30_000);
});
