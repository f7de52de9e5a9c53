/**
 * `link-tracker copy-store --to postgres://…`: a SQLite database (DATABASE_PATH) copied
 * into PostgreSQL, for a job seeker moving to several instances or a platform without a
 * disk. The one place that reads one dialect and writes the other.
 *
 *   - Resumable: clicks go over in slices of CLICK_SLICE by SQLite rowid, each slice in one
 *     PostgreSQL transaction with its progress row (link_tracker.copy_progress), so a copy
 *     stopped at any moment goes on from where it was. Every insert is idempotent (ON
 *     CONFLICT), so a slice copied twice counts once.
 *   - The other tables are small and copied whole, each in one transaction, as upserts: a
 *     second run also carries over what changed meanwhile (a link deactivated, a key
 *     revoked) and the clicks that came since.
 *   - Verified by counts: each table's rows on both sides, and the roll-ups (kept by
 *     PostgreSQL's triggers) against the clicks.
 *   - Signal and delivery sequence numbers are kept, so webhook cursors and the feed's
 *     `after` go on as they were; the sequences are moved past them.
 */
import { sql } from "drizzle-orm";
import type { Database } from "bun:sqlite";
import { isIP } from "node:net";
import { uuidFrom } from "../../lib/uuid";
import { describe } from "../describe";
import type { SqliteStore } from "../sqlite/store";
import { countPendingSql } from "./clicks";
import { connectPostgres, type PgDb } from "./driver";
import { migratePostgres } from "./migrations";
import { explainTls, tlsPlan } from "./tls";
import { isUuid, jsonb, num, rowsOf } from "./rows";
import { dashboardSessions as pgSessions, linkDestinations as pgDestinations } from "./schema";
import { dashboardSessions as liteSessions, linkDestinations as liteDestinations } from "../sqlite/schema";

const CLICK_SLICE = 5000;

export type CopyReport = { table: string; source: number; target: number }[];

export class CopyRefused extends Error {}

const bool = (v: unknown) => v === 1 || v === true;
const parse = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : v);

/** A click id PostgreSQL's UUID column can hold: the id itself, or a UUID made from it (the same each run). */
function asUuid(id: string): string {
  return isUuid(id) ? id.toLowerCase() : uuidFrom(id);
}

async function all<T>(db: PgDb, query: ReturnType<typeof sql>): Promise<T[]> {
  return rowsOf<T>(await db.execute(query));
}

/** Copies `sqlite` (its inbox moved in first) into the database at `url`; `progress` is told each step. */
export async function copyStore(source: SqliteStore, url: string, progress: (line: string) => void, caCert?: string | null): Promise<CopyReport> {
  // Every click recorded so far into link_clicks (the store moves its inbox before a read).
  await source.clicks.count();
  const lite: Database = source.db.$client;
  // TLS as the server's own connections have it (tls.ts); prefer falls back to plain.
  let plan = tlsPlan(url, caCert);
  let connection = connectPostgres(plan.connectionString, { max: 2, ssl: plan.ssl });
  try {
    await connection.db.execute(sql`select 1`);
  } catch (error) {
    const tls = explainTls(error, plan, new URL(plan.connectionString).hostname);
    await connection.end(0).catch(() => {});
    if (!(tls && plan.fallback === false && /does not offer TLS/.test(tls))) throw tls ? new Error(tls) : error;
    plan = { ...plan, ssl: false, fallback: null };
    connection = connectPostgres(plan.connectionString, { max: 2, ssl: false });
  }
  const db = connection.db;
  try {
    await migratePostgres(db);
    const started = await all<{ n: unknown }>(db, sql`select count(*) as n from link_tracker.copy_progress`);
    const links = await all<{ n: unknown }>(db, sql`select count(*) as n from link_tracking`);
    if (num(started[0]?.n) === 0 && num(links[0]?.n) > 0) {
      throw new CopyRefused("the target database already has links: copy-store copies into an empty database (or resumes a copy it began)");
    }
    const bad = lite
      .query<{ tracking_id: string; column: string; value: string }, []>(
        `select tracking_id, 'job_id' as column, job_id as value from link_tracking where job_id is not null
         union all select tracking_id, 'application_id', application_id from link_tracking where application_id is not null`,
      )
      .all()
      .filter((r) => !isUuid(r.value));
    if (bad.length > 0) {
      const first = bad[0];
      throw new CopyRefused(
        `${bad.length} link(s) have a ${first.column} that is not a UUID (link ${first.tracking_id}: "${first.value}"); PostgreSQL's columns are UUID, as in the seeds: change them first`,
      );
    }
    await copySmallTables(lite, db, progress);
    await copySessions(source, db, progress);
    await copyDestinations(source, db, progress);
    await copyClicks(lite, db, progress);
    return await verify(lite, db);
  } finally {
    await connection.end(2);
  }
}

/**
 * Dashboard sessions, so that signed-in browsers (and their owner cookies, whose key is in
 * settings) stay signed in on the new store: read and written through the two drizzle
 * tables, whose columns are the same.
 */
async function copySessions(source: SqliteStore, db: PgDb, progress: (line: string) => void): Promise<void> {
  const list = source.db.select().from(liteSessions).all();
  for (let i = 0; i < list.length; i += 1000) {
    await db
      .insert(pgSessions)
      .values(list.slice(i, i + 1000))
      .onConflictDoUpdate({ target: pgSessions.id, set: { revokedAt: sql`excluded.revoked_at` } });
  }
  await db.execute(sql`insert into link_tracker.copy_progress (table_name, cursor, copied, done) values ('dashboard_sessions', '', ${list.length}, true)
    on conflict (table_name) do update set copied = excluded.copied, done = true`);
  progress(`dashboard_sessions: ${list.length}`);
}

/** The last check of each link's destination, through the two drizzle tables (the same columns). */
async function copyDestinations(source: SqliteStore, db: PgDb, progress: (line: string) => void): Promise<void> {
  const list = source.db.select().from(liteDestinations).all();
  const columns = ["checkedAt", "ok", "status", "error", "failures", "down", "downSince"] as const;
  for (let i = 0; i < list.length; i += 1000) {
    await db
      .insert(pgDestinations)
      .values(list.slice(i, i + 1000))
      .onConflictDoUpdate({ target: pgDestinations.trackingId, set: Object.fromEntries(columns.map((c) => [c, sql.raw(`excluded.${pgDestinations[c].name}`)])) });
  }
  await db.execute(sql`insert into link_tracker.copy_progress (table_name, cursor, copied, done) values ('link_destinations', '', ${list.length}, true)
    on conflict (table_name) do update set copied = excluded.copied, done = true`);
  progress(`link_destinations: ${list.length}`);
}

async function copySmallTables(lite: Database, db: PgDb, progress: (line: string) => void): Promise<void> {
  const rows = (query: string) => lite.query<Record<string, unknown>, []>(query).all();
  const upsert = async (table: string, list: Record<string, unknown>[], statement: (data: ReturnType<typeof jsonb>) => ReturnType<typeof sql>) => {
    for (let i = 0; i < Math.max(list.length, 1); i += 2000) {
      const slice = list.slice(i, i + 2000);
      if (slice.length > 0) await db.execute(statement(jsonb(slice)));
    }
    await db.execute(sql`insert into link_tracker.copy_progress (table_name, cursor, copied, done) values (${table}, '', ${list.length}, true)
      on conflict (table_name) do update set copied = excluded.copied, done = true`);
    progress(`${table}: ${list.length}`);
  };

  await upsert(
    "link_tracking",
    rows("select * from link_tracking").map((r) => ({ ...r, is_active: bool(r.is_active) })),
    (data) => sql`insert into link_tracking (tracking_id, job_id, application_id, link_function, link_type, original_url, redirect_url,
        created_at, created_by, is_active, description, updated_at, expires_at, short_code)
      select tracking_id, job_id, application_id, link_function, link_type, original_url, redirect_url, created_at, created_by, is_active,
        description, updated_at, expires_at, short_code
      from jsonb_to_recordset(${data}) as r(tracking_id text, job_id uuid, application_id uuid, link_function text, link_type text,
        original_url text, redirect_url text, created_at timestamptz, created_by text, is_active boolean, description text,
        updated_at timestamptz, expires_at timestamptz, short_code text)
      on conflict (tracking_id) do update set job_id = excluded.job_id, application_id = excluded.application_id,
        link_type = excluded.link_type, original_url = excluded.original_url, is_active = excluded.is_active,
        description = excluded.description, updated_at = excluded.updated_at, expires_at = excluded.expires_at, short_code = excluded.short_code`,
  );
  await upsert(
    "api_keys",
    rows("select * from api_keys"),
    (data) => sql`insert into link_tracker.api_keys (id, name, scope, key_hash, created_at, last_used_at, revoked_at)
      select * from jsonb_to_recordset(${data}) as r(id text, name text, scope text, key_hash text, created_at timestamptz,
        last_used_at timestamptz, revoked_at timestamptz)
      on conflict (id) do update set last_used_at = excluded.last_used_at, revoked_at = excluded.revoked_at`,
  );
  await upsert(
    "applications",
    rows("select * from applications"),
    (data) => sql`insert into link_tracker.applications (application_id, company, role, job_id, sent_at, notes, created_at, updated_at)
      select * from jsonb_to_recordset(${data}) as r(application_id uuid, company text, role text, job_id uuid, sent_at timestamptz, notes text,
        created_at timestamptz, updated_at timestamptz)
      on conflict (application_id) do update set company = excluded.company, role = excluded.role, job_id = excluded.job_id,
        sent_at = excluded.sent_at, notes = excluded.notes, updated_at = excluded.updated_at`,
  );
  await upsert(
    "settings",
    rows("select * from settings"),
    (data) => sql`insert into link_tracker.settings (key, value) select * from jsonb_to_recordset(${data}) as r(key text, value text)
      on conflict (key) do update set value = excluded.value`,
  );
  await upsert(
    "daily_salts",
    rows("select * from daily_salts"),
    (data) => sql`insert into link_tracker.daily_salts (day, salt) select * from jsonb_to_recordset(${data}) as r(day text, salt text)
      on conflict (day) do nothing`,
  );
  await upsert(
    "webhook_endpoints",
    rows("select * from webhook_endpoints").map((r) => ({ ...r, active: bool(r.active), event_types: parse(r.event_types) })),
    (data) => sql`insert into link_tracker.webhook_endpoints (id, url, secret, event_types, description, active, created_at, scanned_seq,
        format, token, chat_id, failures, paused_at, paused_reason)
      select * from jsonb_to_recordset(${data}) as r(id text, url text, secret text, event_types jsonb, description text, active boolean,
        created_at timestamptz, scanned_seq bigint, format text, token text, chat_id text, failures int, paused_at timestamptz, paused_reason text)
      on conflict (id) do update set url = excluded.url, secret = excluded.secret, event_types = excluded.event_types,
        description = excluded.description, active = excluded.active, scanned_seq = excluded.scanned_seq, format = excluded.format,
        token = excluded.token, chat_id = excluded.chat_id, failures = excluded.failures, paused_at = excluded.paused_at, paused_reason = excluded.paused_reason`,
  );
  await upsert(
    "signal_events",
    rows("select * from signal_events").map((r) => ({ ...r, click_id: asUuid(String(r.click_id)), payload: parse(r.payload) })),
    (data) => sql`insert into link_tracker.signal_events (seq, event_id, type, created_at, deliver_after, click_id, tracking_id, subject, payload, cancelled_at)
      select * from jsonb_to_recordset(${data}) as r(seq bigint, event_id text, type text, created_at timestamptz, deliver_after timestamptz,
        click_id uuid, tracking_id text, subject text, payload jsonb, cancelled_at timestamptz)
      on conflict (seq) do update set cancelled_at = excluded.cancelled_at`,
  );
  await upsert(
    "webhook_deliveries",
    rows("select * from webhook_deliveries"),
    (data) => sql`insert into link_tracker.webhook_deliveries (seq, event_seq, endpoint_id, tracking_id, status, attempts, first_attempt_at,
        next_attempt_at, last_attempt_at, last_status, last_error, delivered_at)
      select * from jsonb_to_recordset(${data}) as r(seq bigint, event_seq bigint, endpoint_id text, tracking_id text, status text, attempts int,
        first_attempt_at timestamptz, next_attempt_at timestamptz, last_attempt_at timestamptz, last_status int, last_error text, delivered_at timestamptz)
      on conflict (seq) do update set status = excluded.status, attempts = excluded.attempts, first_attempt_at = excluded.first_attempt_at,
        next_attempt_at = excluded.next_attempt_at, last_attempt_at = excluded.last_attempt_at, last_status = excluded.last_status,
        last_error = excluded.last_error, delivered_at = excluded.delivered_at`,
  );
  // New events and deliveries are numbered after the copied ones.
  await db.execute(sql`select setval(pg_get_serial_sequence('link_tracker.signal_events', 'seq'), greatest((select max(seq) from link_tracker.signal_events), 1))`);
  await db.execute(sql`select setval(pg_get_serial_sequence('link_tracker.webhook_deliveries', 'seq'), greatest((select max(seq) from link_tracker.webhook_deliveries), 1))`);
}

/** A click's agent and referrer as described when it was stored (or now, for a row from before the roll-ups). */
function described(r: Record<string, unknown>) {
  if (typeof r.referrer_domain === "string") return { browser: r.browser ?? null, os: r.os ?? null, device: r.device ?? null, referrer_domain: r.referrer_domain };
  const d = describe(r.user_agent as string | null, r.referrer_url as string | null);
  return { browser: d.browser, os: d.os, device: d.device, referrer_domain: d.referrerDomain };
}

async function copyClicks(lite: Database, db: PgDb, progress: (line: string) => void): Promise<void> {
  const [state] = await all<{ cursor: string; copied: unknown }>(db, sql`select cursor, copied from link_tracker.copy_progress where table_name = 'link_clicks'`);
  let after = state ? Number(state.cursor) : 0;
  let copied = num(state?.copied);
  if (after > 0) progress(`link_clicks: resuming after row ${after} (${copied} copied before)`);
  const total = lite.query<{ n: number }, [number]>("select count(*) as n from link_clicks where rowid > ?").get(after)!.n;
  const slice = lite.query<Record<string, unknown>, [number, number]>("select rowid, * from link_clicks where rowid > ? order by rowid limit ?");
  let done = 0;
  for (;;) {
    const rows = slice.all(after, CLICK_SLICE);
    if (rows.length === 0) break;
    const data = rows.map((r) => ({
      ...described(r),
      click_id: asUuid(String(r.click_id)),
      tracking_id: r.tracking_id,
      clicked_at: r.clicked_at,
      received_at: r.received_at,
      ip_address: typeof r.ip_address === "string" && isIP(r.ip_address) ? r.ip_address : null,
      user_agent: r.user_agent,
      referrer_url: r.referrer_url,
      session_id: r.session_id,
      click_source: r.click_source,
      metadata: parse(r.metadata) ?? {},
      is_bot: bool(r.is_bot),
      visitor_kind: r.visitor_kind,
      visitor_reason: r.visitor_reason,
      origin: r.origin,
      outcome: r.outcome,
      idempotency_key: r.idempotency_key,
      country: r.country,
      city: r.city,
      asn: r.asn,
      network: r.network,
    }));
    after = Number(rows.at(-1)!.rowid);
    await db.transaction(async (tx) => {
      const inserted = rowsOf(
        await tx.execute(sql`insert into link_clicks (click_id, tracking_id, clicked_at, received_at, ip_address, user_agent, referrer_url, session_id,
            click_source, metadata, is_bot, visitor_kind, visitor_reason, origin, outcome, idempotency_key, country, city, asn, network,
            browser, os, device, referrer_domain)
          select click_id, tracking_id, clicked_at, received_at, ip_address, user_agent, referrer_url, session_id, click_source, metadata, is_bot,
            visitor_kind, visitor_reason, origin, outcome, idempotency_key, country, city, asn, network, browser, os, device, referrer_domain
          from jsonb_to_recordset(${jsonb(data)}) as r(click_id uuid, tracking_id text, clicked_at timestamptz, received_at timestamptz,
            ip_address inet, user_agent text, referrer_url text, session_id text, click_source text, metadata jsonb, is_bot boolean,
            visitor_kind text, visitor_reason text, origin text, outcome text, idempotency_key text, country text, city text, asn integer, network text,
            browser text, os text, device text, referrer_domain text)
          on conflict do nothing
          returning 1 as one`),
      ).length;
      copied += inserted;
      await tx.execute(sql`insert into link_tracker.copy_progress (table_name, cursor, copied, done) values ('link_clicks', ${String(after)}, ${copied}, false)
        on conflict (table_name) do update set cursor = excluded.cursor, copied = excluded.copied`);
    });
    done += rows.length;
    progress(`link_clicks: ${done} of ${total}`);
  }
  await db.execute(sql`insert into link_tracker.copy_progress (table_name, cursor, copied, done) values ('link_clicks', ${String(after)}, ${copied}, true)
    on conflict (table_name) do update set done = true`);
}

async function verify(lite: Database, db: PgDb): Promise<CopyReport> {
  const tables: [string, string][] = [
    ["link_tracking", "link_tracking"],
    ["link_clicks", "link_clicks"],
    ["api_keys", "link_tracker.api_keys"],
    ["applications", "link_tracker.applications"],
    ["webhook_endpoints", "link_tracker.webhook_endpoints"],
    ["signal_events", "link_tracker.signal_events"],
    ["webhook_deliveries", "link_tracker.webhook_deliveries"],
    ["settings", "link_tracker.settings"],
    ["dashboard_sessions", "link_tracker.dashboard_sessions"],
    ["link_destinations", "link_tracker.link_destinations"],
  ];
  const report: CopyReport = [];
  for (const [from, to] of tables) {
    const source = lite.query<{ n: number }, []>(`select count(*) as n from ${from}`).get()!.n;
    const [target] = await all<{ n: unknown }>(db, sql.raw(`select count(*) as n from ${to}`));
    report.push({ table: from, source, target: num(target?.n) });
  }
  // The roll-ups the target's triggers made, once every copied click is counted in them: each counts every click once.
  while (num((await all<{ n: unknown }>(db, countPendingSql()))[0]?.n) > 0);
  for (const rollup of ["click_daily", "click_quarters", "click_quarters_all"]) {
    const [summed] = await all<{ n: unknown }>(db, sql.raw(`select coalesce(sum(clicks), 0) as n from link_tracker.${rollup}`));
    report.push({ table: `${rollup} (sum)`, source: report[1].source, target: num(summed?.n) });
  }
  return report;
}
