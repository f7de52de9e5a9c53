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
import { count, getTableColumns, getTableName, sql } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import type { Database } from "bun:sqlite";
import { isIP } from "node:net";
import { uuidFrom } from "../../lib/uuid";
import { describe } from "../describe";
import type { SqliteStore } from "../sqlite/store";
import { countPendingSql } from "./clicks";
import { connectPostgres, type PgDb } from "./driver";
import { migratePostgres } from "./migrations";
import { explainTls, tlsPlan } from "./tls";
import { isUuid, num, rowsOf } from "./rows";
import { arraysOf, onConflict, unnestInsert, type Key } from "./columns";
import * as pg from "./schema";
import * as lite from "../sqlite/schema";


const CLICK_SLICE = 5000;

export type CopyReport = { table: string; source: number; target: number }[];

export class CopyRefused extends Error {}


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
  const file: Database = source.db.$client;
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
    const bad = file
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
    await copySmallTables(source, db, progress);
    await copyClicks(source, db, progress);
    return await verify(file, db);
  } finally {
    await connection.end(2);
  }
}

/** Notes a table copied whole (its progress row). */
async function copied(db: PgDb, table: string, n: number, progress: (line: string) => void): Promise<void> {
  await db.execute(sql`insert into link_tracker.copy_progress (table_name, cursor, copied, done) values (${table}, '', ${n}, true)
    on conflict (table_name) do update set copied = excluded.copied, done = true`);
  progress(`${table}: ${n}`);
}

/**
 * One table, its rows read through the SQLite drizzle table and written through the
 * PostgreSQL one (the same property names: columns.ts), in statements of 2,000 rows, as
 * upserts: `update` the columns a second run carries over.
 */
async function copyTable<T extends PgTable>(db: PgDb, table: T, rows: T["$inferInsert"][], target: Key<T>[], update: Key<T>[], progress: (line: string) => void) {
  for (let i = 0; i < rows.length; i += 2000) {
    await db.execute(unnestInsert(table, arraysOf(table, rows.slice(i, i + 2000)), onConflict(table, target, update)));
  }
  await copied(db, getTableName(table), rows.length, progress);
}

/**
 * The tables other than the clicks, whole. Dashboard sessions too, so that signed-in
 * browsers (and their owner cookies, whose key is in settings) stay signed in.
 */
async function copySmallTables(source: SqliteStore, db: PgDb, progress: (line: string) => void): Promise<void> {
  const from = source.db;
  await copyTable(db, pg.linkTracking, from.select().from(lite.linkTracking).all(), ["trackingId"], ["jobId", "applicationId", "linkType", "originalUrl", "isActive", "description", "updatedAt", "expiresAt", "shortCode"], progress);
  await copyTable(db, pg.apiKeys, from.select().from(lite.apiKeys).all(), ["id"], ["lastUsedAt", "revokedAt"], progress);
  await copyTable(db, pg.applications, from.select().from(lite.applications).all(), ["applicationId"], ["company", "role", "jobId", "sentAt", "notes", "updatedAt"], progress);
  await copyTable(db, pg.settings, from.select().from(lite.settings).all(), ["key"], ["value"], progress);
  await copyTable(db, pg.dailySalts, from.select().from(lite.dailySalts).all(), ["day"], [], progress);
  const endpoints = from.select().from(lite.webhookEndpoints).all();
  const changing = Object.keys(getTableColumns(pg.webhookEndpoints)).filter((k) => k !== "id" && k !== "createdAt") as Key<typeof pg.webhookEndpoints>[];
  await copyTable(db, pg.webhookEndpoints, endpoints, ["id"], changing, progress);
  const events = from.select().from(lite.signalEvents).all().map((e) => ({ ...e, clickId: asUuid(e.clickId) }));
  await copyTable(db, pg.signalEvents, events, ["seq"], ["cancelledAt"], progress);
  const deliveries = from.select().from(lite.webhookDeliveries).all();
  await copyTable(db, pg.webhookDeliveries, deliveries, ["seq"], ["status", "attempts", "firstAttemptAt", "nextAttemptAt", "lastAttemptAt", "lastStatus", "lastError", "deliveredAt"], progress);
  // New events and deliveries are numbered after the copied ones.
  await db.execute(sql`select setval(pg_get_serial_sequence('link_tracker.signal_events', 'seq'), greatest((select max(seq) from link_tracker.signal_events), 1))`);
  await db.execute(sql`select setval(pg_get_serial_sequence('link_tracker.webhook_deliveries', 'seq'), greatest((select max(seq) from link_tracker.webhook_deliveries), 1))`);
  await copyTable(db, pg.dashboardSessions, from.select().from(lite.dashboardSessions).all(), ["id"], ["revokedAt"], progress);
  const checks = from.select().from(lite.linkDestinations).all();
  await copyTable(db, pg.linkDestinations, checks, ["trackingId"], ["checkedAt", "ok", "status", "error", "failures", "down", "downSince"], progress);
}

/** A click's agent and referrer as described when it was stored (or now, for a row from before the roll-ups). */
function described(c: typeof lite.linkClicks.$inferSelect) {
  if (typeof c.referrerDomain === "string") return { browser: c.browser, os: c.os, device: c.device, referrerDomain: c.referrerDomain };
  const d = describe(c.userAgent, c.referrerUrl);
  return { browser: d.browser, os: d.os, device: d.device, referrerDomain: d.referrerDomain };
}

async function copyClicks(source: SqliteStore, db: PgDb, progress: (line: string) => void): Promise<void> {
  const [state] = await all<{ cursor: string; copied: unknown }>(db, sql`select cursor, copied from link_tracker.copy_progress where table_name = 'link_clicks'`);
  let after = state ? Number(state.cursor) : 0;
  let copied = num(state?.copied);
  if (after > 0) progress(`link_clicks: resuming after row ${after} (${copied} copied before)`);
  const rowid = sql<number>`rowid`;
  const [{ total }] = source.db.select({ total: count() }).from(lite.linkClicks).where(sql`rowid > ${after}`).all();
  let done = 0;
  for (;;) {
    const rows = source.db.select({ rowid, click: lite.linkClicks }).from(lite.linkClicks).where(sql`rowid > ${after}`).orderBy(rowid).limit(CLICK_SLICE).all();
    if (rows.length === 0) break;
    const data = rows.map(({ click: c }) => ({
      ...c,
      ...described(c),
      clickId: asUuid(c.clickId),
      ipAddress: c.ipAddress !== null && isIP(c.ipAddress) ? c.ipAddress : null,
    }));
    after = rows.at(-1)!.rowid;
    await db.transaction(async (tx) => {
      const inserted = rowsOf(await tx.execute(unnestInsert(pg.linkClicks, arraysOf(pg.linkClicks, data), sql`on conflict do nothing returning 1 as one`))).length;
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

async function verify(file: Database, db: PgDb): Promise<CopyReport> {
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
    const source = file.query<{ n: number }, []>(`select count(*) as n from ${from}`).get()!.n;
    const [target] = await all<{ n: unknown }>(db, sql.raw(`select count(*) as n from ${to}`));
    report.push({ table: from, source, target: num(target?.n) });
  }
  // The roll-ups the target's triggers made, once every copied click is counted in them: each counts every click once.
  while (num((await all<{ n: unknown }>(db, countPendingSql()))[0]?.n) > 0);
  for (const rollup of ["click_daily", "click_hours", "click_quarters", "click_quarters_all"]) {
    const [summed] = await all<{ n: unknown }>(db, sql.raw(`select coalesce(sum(clicks), 0) as n from link_tracker.${rollup}`));
    report.push({ table: `${rollup} (sum)`, source: report[1].source, target: num(summed?.n) });
  }
  return report;
}
