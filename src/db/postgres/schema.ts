/**
 * The PostgreSQL schema. `link_tracking` and `link_clicks` keep the seeds' names, columns
 * and types (UUID, INET, JSONB, timestamps as timestamptz) in the public schema, so the
 * job-application system can read them directly; the columns we add have defaults, so its
 * own inserts still work and are counted. Everything else is link-tracker's own, in
 * schema `link_tracker`. Timestamps are timestamptz and read back as ISO strings (store.ts).
 */
import { sql } from "drizzle-orm";
import type { ClickOrigin, ClickOutcome, Scope, SignalType, VisitorKind } from "../store";
import { bigint, bigserial, boolean, date, index, inet, integer, jsonb, pgSchema, pgTable, primaryKey, smallint, text, timestamp, uniqueIndex, uuid, varchar } from "drizzle-orm/pg-core";

const at = (name: string) => timestamp(name, { withTimezone: true, precision: 3, mode: "string" });

export const linkTracking = pgTable("link_tracking", {
  trackingId: varchar("tracking_id", { length: 100 }).primaryKey(),
  jobId: uuid("job_id"),
  applicationId: uuid("application_id"),
  linkFunction: varchar("link_function", { length: 50 }).notNull(),
  linkType: varchar("link_type", { length: 50 }).notNull(),
  originalUrl: varchar("original_url", { length: 1000 }).notNull(),
  redirectUrl: varchar("redirect_url", { length: 1000 }).notNull(),
  createdAt: at("created_at").notNull().defaultNow(),
  createdBy: varchar("created_by", { length: 100 }).notNull().default("system"),
  isActive: boolean("is_active").notNull().default(true),
  description: text("description"),
  updatedAt: at("updated_at").notNull().defaultNow(),
  expiresAt: at("expires_at"),
  /** An imported short code that answers GET /{code} (the link's tracking id, kept from Shlink, Kutt, Bitly…). */
  shortCode: varchar("short_code", { length: 100 }),
}, (t) => [
  index("link_tracking_job_idx").on(t.jobId),
  index("link_tracking_application_idx").on(t.applicationId),
  index("link_tracking_created_idx").on(t.createdAt.desc(), t.trackingId.desc()),
  // Ids that start with a given text, whatever the collation: an orphan's probable link.
  index("link_tracking_id_pattern").using("btree", t.trackingId.op("text_pattern_ops")),
  // Ids that end with a given text: the other half of "one edit away".
  index("link_tracking_id_reversed").using("btree", sql`reverse(${t.trackingId}) text_pattern_ops`),
]);

export const linkClicks = pgTable("link_clicks", {
  clickId: uuid("click_id").primaryKey().default(sql`gen_random_uuid()`),
  trackingId: varchar("tracking_id", { length: 100 }).notNull(),
  clickedAt: at("clicked_at").notNull().defaultNow(),
  ipAddress: inet("ip_address"),
  userAgent: text("user_agent"),
  referrerUrl: varchar("referrer_url", { length: 1000 }),
  sessionId: varchar("session_id", { length: 100 }),
  clickSource: varchar("click_source", { length: 50 }),
  metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
  receivedAt: at("received_at").notNull().defaultNow(),
  isBot: boolean("is_bot").notNull().default(false),
  visitorKind: varchar("visitor_kind", { length: 10 }).$type<VisitorKind>().notNull().default("human"),
  visitorReason: text("visitor_reason"),
  // A row the job-application system inserts itself is an API click.
  origin: varchar("origin", { length: 10 }).$type<ClickOrigin>().notNull().default("api"),
  outcome: varchar("outcome", { length: 10 }).$type<ClickOutcome>().notNull().default("redirected"),
  idempotencyKey: varchar("idempotency_key", { length: 200 }),
  country: varchar("country", { length: 2 }),
  city: varchar("city", { length: 100 }),
  asn: integer("asn"),
  network: varchar("network", { length: 200 }),
  // The user agent and referrer as the analytics show them, worked out when the click is stored (src/db/describe.ts).
  browser: text("browser"),
  os: text("os"),
  device: text("device"),
  referrerDomain: text("referrer_domain"),
  /**
   * The transaction that wrote the click (its id, pg_current_xact_id): the roll-ups below
   * count a click once every transaction before the count's mark has ended
   * (click_count_mark, drizzle-pg/0008_click_count_mark.sql), many at once, without
   * writing the click again; until then the analytics count it from here. Null for a
   * click stored before the mark, which `counted` says of instead.
   */
  written: bigint("written", { mode: "number" }).default(sql`(pg_current_xact_id()::text)::bigint`),
  /** A click stored before `written` existed: whether the roll-ups count it (the backlog counted first). */
  counted: boolean("counted").notNull().default(false),
}, (t) => [
  index("link_clicks_tracking_clicked_idx").on(t.trackingId, t.clickedAt, t.outcome, t.visitorKind),
  index("link_clicks_time_idx").on(t.clickedAt),
  index("link_clicks_written_idx").on(t.written).where(sql`written is not null`),
  index("link_clicks_backlog_idx").on(t.clickedAt).where(sql`written is null and not counted`),
  uniqueIndex("link_clicks_idempotency_key_unique").on(t.idempotencyKey).where(sql`idempotency_key is not null`),
]);

export const own = pgSchema("link_tracker");

export const applications = own.table("applications", {
  applicationId: uuid("application_id").primaryKey(),
  company: varchar("company", { length: 200 }),
  role: varchar("role", { length: 200 }),
  jobId: uuid("job_id"),
  sentAt: at("sent_at"),
  notes: varchar("notes", { length: 2000 }),
  createdAt: at("created_at").notNull().defaultNow(),
  updatedAt: at("updated_at").notNull().defaultNow(),
});

export const apiKeys = own.table("api_keys", {
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  scope: text("scope").$type<Scope>().notNull(),
  keyHash: text("key_hash").notNull().unique(),
  createdAt: at("created_at").notNull(),
  lastUsedAt: at("last_used_at"),
  revokedAt: at("revoked_at"),
});

/** Signed-in dashboard browsers (the SQLite store's dashboard_sessions, the same columns). */
export const dashboardSessions = own.table("dashboard_sessions", {
  id: text("id").primaryKey(),
  tokenHash: text("token_hash").notNull().unique(),
  keyName: text("key_name").notNull(),
  keyHash: text("key_hash").notNull(),
  scope: text("scope", { enum: ["ingest", "read", "admin"] }).notNull(),
  remember: boolean("remember").notNull(),
  browser: text("browser"),
  createdAt: at("created_at").notNull(),
  expiresAt: at("expires_at").notNull(),
  revokedAt: at("revoked_at"),
}, (t) => [index("dashboard_sessions_key_idx").on(t.keyName)]);

/**
 * Signals, written in the clicks' transaction. A link's or an application's first human
 * click is one row whatever the number of instances: the partial unique index below makes
 * the second instance's insert do nothing (no in-memory memo decides it).
 */
/** Whether each link's destination still answers (modules/links/destination.ts); no row: never checked. */
export const linkDestinations = own.table("link_destinations", {
  trackingId: varchar("tracking_id", { length: 100 }).primaryKey().references(() => linkTracking.trackingId, { onDelete: "cascade" }),
  checkedAt: at("checked_at").notNull(),
  ok: boolean("ok").notNull(),
  status: integer("status"),
  error: text("error"),
  failures: integer("failures").notNull().default(0),
  down: boolean("down").notNull().default(false),
  downSince: at("down_since"),
}, (t) => [index("link_destinations_down_idx").on(t.downSince).where(sql`${t.down}`),
  // Failed once, not down yet: checked again soon, not at the next pass.
  index("link_destinations_failing_idx").on(t.checkedAt).where(sql`not ${t.ok} and not ${t.down}`),
]);

export const signalEvents = own.table("signal_events", {
  seq: bigserial("seq", { mode: "number" }).primaryKey(),
  eventId: text("event_id").notNull().unique(),
  type: text("type").$type<SignalType>().notNull(),
  createdAt: at("created_at").notNull(),
  deliverAfter: at("deliver_after").notNull(),
  clickId: uuid("click_id").notNull(),
  trackingId: varchar("tracking_id", { length: 100 }).notNull(),
  subject: text("subject").notNull(),
  payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
  cancelledAt: at("cancelled_at"),
}, (t) => [
  index("signal_events_click_idx").on(t.clickId),
  index("signal_events_subject_idx").on(t.type, t.subject),
  // What happened since a time (the assistant's question): the first event at or after it.
  index("signal_events_created_idx").on(t.createdAt, t.seq),
  uniqueIndex("signal_events_first_human_unique").on(t.subject).where(sql`type = 'click.first_human' and cancelled_at is null`),
]);

export const webhookEndpoints = own.table("webhook_endpoints", {
  id: text("id").primaryKey(),
  url: text("url").notNull(),
  secret: text("secret").notNull(),
  eventTypes: jsonb("event_types").$type<string[]>().notNull(),
  description: text("description"),
  active: boolean("active").notNull().default(true),
  createdAt: at("created_at").notNull(),
  scannedSeq: bigint("scanned_seq", { mode: "number" }).notNull().default(0),
  format: text("format").notNull().default("standard-webhooks"),
  token: text("token"),
  chatId: text("chat_id"),
  failures: integer("failures").notNull().default(0),
  pausedAt: at("paused_at"),
  pausedReason: text("paused_reason"),
  digestHour: integer("digest_hour"),
  timeZone: text("time_zone"),
  digestOnly: boolean("digest_only").notNull().default(false),
  digestSeq: bigint("digest_seq", { mode: "number" }).notNull().default(0),
  digestDay: text("digest_day"),
});

/**
 * Deliveries are claimed before they are sent: `FOR UPDATE SKIP LOCKED` picks rows no
 * other instance is claiming, and the lease says how long the claim holds (an instance
 * killed mid-send loses its claims when their leases run out).
 */
export const webhookDeliveries = own.table("webhook_deliveries", {
  seq: bigserial("seq", { mode: "number" }).primaryKey(),
  eventSeq: bigint("event_seq", { mode: "number" }).notNull(),
  endpointId: text("endpoint_id").notNull(),
  trackingId: varchar("tracking_id", { length: 100 }).notNull(),
  status: text("status").notNull().default("pending"),
  attempts: integer("attempts").notNull().default(0),
  firstAttemptAt: at("first_attempt_at"),
  nextAttemptAt: at("next_attempt_at").notNull(),
  lastAttemptAt: at("last_attempt_at"),
  lastStatus: integer("last_status"),
  lastError: text("last_error"),
  deliveredAt: at("delivered_at"),
  leasedUntil: at("leased_until"),
  leasedBy: text("leased_by"),
}, (t) => [
  uniqueIndex("webhook_deliveries_event_endpoint_unique").on(t.eventSeq, t.endpointId),
  index("webhook_deliveries_due_idx").on(t.status, t.nextAttemptAt),
  index("webhook_deliveries_endpoint_idx").on(t.endpointId, t.seq),
]);

/**
 * Clicks per day, link, kind and outcome: kept by statement-level triggers on link_clicks,
 * whoever writes it. Each group is spread over shards (the writing connection's backend
 * pid modulo 16): concurrent writers counting the same link and day update different
 * rows instead of waiting for each other's commit. Readers sum the shards; one shard alone
 * means nothing (a click counted in one may be uncounted in another).
 */
export const clickDaily = own.table("click_daily", {
  day: date("day", { mode: "string" }).notNull(),
  trackingId: varchar("tracking_id", { length: 100 }).notNull(),
  visitorKind: varchar("visitor_kind", { length: 10 }).notNull(),
  outcome: varchar("outcome", { length: 10 }).notNull(),
  shard: smallint("shard").notNull().default(0),
  clicks: bigint("clicks", { mode: "number" }).notNull(),
}, (t) => [
  primaryKey({ columns: [t.day, t.trackingId, t.visitorKind, t.outcome, t.shard] }),
  index("click_daily_tracking_idx").on(t.trackingId, t.visitorKind, t.outcome),
]);

/*
 * The roll-ups the analytics read instead of counting link_clicks, kept with click_daily
 * by one statement-level trigger on link_clicks (drizzle-pg/0007_click_rollups.sql),
 * sharded the same way; times are whole units since the epoch (quarter-hours, hours, UTC
 * days). A breakdown's value is one text of parts joined by U+001F: "visit" is source,
 * referrer domain, browser, OS and device, "place" is country, ASN and network (the
 * SQLite store's DIMENSIONS).
 */
const counter = () => ({
  visitorKind: varchar("visitor_kind", { length: 10 }).notNull(),
  outcome: varchar("outcome", { length: 10 }).notNull(),
  shard: smallint("shard").notNull().default(0),
  clicks: bigint("clicks", { mode: "number" }).notNull(),
});
const trackingId = () => varchar("tracking_id", { length: 100 }).notNull();

/** Clicks per link and quarter-hour: a day in any time zone, and a period's edges. */
export const clickQuarters = own.table("click_quarters", { trackingId: trackingId(), quarter: integer("quarter").notNull(), ...counter() }, (t) => [
  primaryKey({ columns: [t.trackingId, t.quarter, t.visitorKind, t.outcome, t.shard] }),
  // A period's edges across every link (the overview's top links and orphans).
  index("click_quarters_time_idx").on(t.quarter),
]);

/** Clicks per link and hour: the hours of a period that are not whole UTC days, between click_daily and click_quarters. */
export const clickHours = own.table("click_hours", { trackingId: trackingId(), hour: integer("hour").notNull(), ...counter() }, (t) => [
  primaryKey({ columns: [t.trackingId, t.hour, t.visitorKind, t.outcome, t.shard] }),
  index("click_hours_time_idx").on(t.hour),
]);

/** Every link's clicks together per quarter-hour: the overview's days. */
export const clickQuartersAll = own.table("click_quarters_all", { quarter: integer("quarter").notNull(), ...counter() }, (t) => [
  primaryKey({ columns: [t.quarter, t.visitorKind, t.outcome, t.shard] }),
]);

/** A link's breakdowns per UTC day. */
export const clickDimensions = own.table(
  "click_dimensions",
  { trackingId: trackingId(), dimension: varchar("dimension", { length: 10 }).notNull(), day: integer("day").notNull(), value: text("value").notNull(), ...counter() },
  (t) => [primaryKey({ columns: [t.trackingId, t.dimension, t.day, t.value, t.visitorKind, t.outcome, t.shard] })],
);

/** Every link's places per UTC day and per hour (the overview's countries and networks). */
export const clickDimensionsDaily = own.table(
  "click_dimensions_daily",
  { dimension: varchar("dimension", { length: 10 }).notNull(), day: integer("day").notNull(), value: text("value").notNull(), ...counter() },
  (t) => [primaryKey({ columns: [t.dimension, t.day, t.value, t.visitorKind, t.outcome, t.shard] })],
);
export const clickDimensionsHourly = own.table(
  "click_dimensions_hourly",
  { dimension: varchar("dimension", { length: 10 }).notNull(), hour: integer("hour").notNull(), value: text("value").notNull(), ...counter() },
  (t) => [primaryKey({ columns: [t.dimension, t.hour, t.value, t.visitorKind, t.outcome, t.shard] })],
);

/** A link's sessions per UTC day: distinct sessions and visitors without a scan of clicks. */
export const clickSessions = own.table(
  "click_sessions",
  { trackingId: trackingId(), day: integer("day").notNull(), sessionId: text("session_id").notNull(), ...counter() },
  (t) => [primaryKey({ columns: [t.trackingId, t.day, t.sessionId, t.visitorKind, t.outcome, t.shard] })],
);

/**
 * Per application, session and UTC day, of human redirected clicks: an application's
 * visitors and visits without reading its links' sessions. Kept by the same count
 * (click_rollups_sql), under the link's application at the time; a link moved to
 * another application takes its counted sessions along (a trigger on link_tracking).
 */
export const applicationSessions = own.table(
  "application_sessions",
  { applicationId: uuid("application_id").notNull(), sessionId: text("session_id").notNull(), day: integer("day").notNull(), ...counter() },
  (t) => [primaryKey({ columns: [t.applicationId, t.sessionId, t.day, t.visitorKind, t.outcome, t.shard] })],
);

/**
 * How far the roll-ups count: every click whose `written` is below `mark` is in them, none
 * at or above it. One row, moved forward by link_tracker.count_clicks().
 */
export const clickCountMark = own.table("click_count_mark", {
  id: smallint("id").primaryKey(),
  mark: bigint("mark", { mode: "number" }).notNull(),
});

export const settings = own.table("settings", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});

export const dailySalts = own.table("daily_salts", {
  day: text("day").primaryKey(),
  salt: text("salt").notNull(),
});

/** Bumped by a trigger on every change to link_tracking: each instance polls it to drop its link cache. */
export const linksVersion = own.table("links_version", {
  id: integer("id").primaryKey(),
  version: bigint("version", { mode: "number" }).notNull(),
});

/** copy-store's progress: what part of each table has been copied, so a second run resumes. */
export const copyProgress = own.table("copy_progress", {
  tableName: text("table_name").primaryKey(),
  cursor: text("cursor").notNull(),
  copied: bigint("copied", { mode: "number" }).notNull(),
  done: boolean("done").notNull().default(false),
});
