import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

// Timestamps are ISO 8601 UTC strings from Date#toISOString(): fixed width, so they
// sort and compare as text, and the API returns them as stored.

export const linkTracking = sqliteTable("link_tracking", {
  trackingId: text("tracking_id", { length: 100 }).primaryKey(),
  jobId: text("job_id"),
  applicationId: text("application_id"),
  linkFunction: text("link_function", { length: 50 }).notNull(),
  linkType: text("link_type", { length: 50 }).notNull(),
  originalUrl: text("original_url", { length: 1000 }).notNull(),
  redirectUrl: text("redirect_url", { length: 1000 }).notNull(),
  createdAt: text("created_at").notNull(),
  updatedAt: text("updated_at").notNull(),
  createdBy: text("created_by", { length: 100 }).notNull().default("system"),
  isActive: integer("is_active", { mode: "boolean" }).notNull().default(true),
  description: text("description"),
  expiresAt: text("expires_at"),
  /** An imported short code that answers GET /{code} (the link's tracking id, kept from Shlink, Kutt, Bitly…). */
  shortCode: text("short_code", { length: 100 }),
}, (t) => [
  index("link_tracking_job_idx").on(t.jobId),
  index("link_tracking_application_idx").on(t.applicationId),
]);

export const linkClicks = sqliteTable("link_clicks", {
  clickId: text("click_id").primaryKey(),
  trackingId: text("tracking_id", { length: 100 }).notNull(),
  clickedAt: text("clicked_at").notNull(),
  receivedAt: text("received_at").notNull(),
  ipAddress: text("ip_address", { length: 45 }),
  userAgent: text("user_agent"),
  referrerUrl: text("referrer_url", { length: 1000 }),
  sessionId: text("session_id", { length: 100 }),
  clickSource: text("click_source", { length: 50 }),
  metadata: text("metadata", { mode: "json" }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
  isBot: integer("is_bot", { mode: "boolean" }).notNull().default(false),
  visitorKind: text("visitor_kind", { enum: ["human", "assistant", "bot", "preview", "scanner", "owner"] }).notNull().default("human"),
  // Why the click got its kind, e.g. "preview agent LinkedInBot" or "EXCLUDE_IPS".
  visitorReason: text("visitor_reason"),
  origin: text("origin", { enum: ["redirect", "ingest", "api", "import"] }).notNull(),
  // What the visitor got: the destination, or a 404 (unknown id: an orphan visit) or a
  // 410 (inactive or expired link). Only redirected clicks count as clicks.
  outcome: text("outcome", { enum: ["redirected", "not_found", "gone"] }).notNull().default("redirected"),
  // Set for ingested and API clicks: the event_id, or a digest of the event's fields.
  idempotencyKey: text("idempotency_key"),
  // Where from (lib/geo), looked up from the full address before IP_ANONYMIZE cuts it:
  // ISO 3166-1 alpha-2, the city when a city database is configured, the network's AS and owner.
  country: text("country", { length: 2 }),
  city: text("city", { length: 100 }),
  asn: integer("asn"),
  network: text("network", { length: 200 }),
  // The user agent and referrer as the analytics show them, worked out once when the click
  // is stored (rollups.ts), so that no read parses a user agent.
  browser: text("browser"),
  os: text("os"),
  device: text("device"),
  referrerDomain: text("referrer_domain"),
  // clicked_at in whole seconds since the epoch: what the roll-ups' time units are cut from.
  clickedEpoch: integer("clicked_epoch"),
}, (t) => [
  // (tracking_id, clicked_at), extended so that per-link counts by kind never read the table.
  index("link_clicks_tracking_clicked_idx").on(t.trackingId, t.clickedAt, t.outcome, t.visitorKind),
  // Time-ordered, so cheap to extend: recent clicks and retention. (Counts over a period
  // come from the roll-ups.)
  index("link_clicks_time_idx").on(t.clickedAt),
  // Partial: redirect clicks carry no key, and every index entry costs each write.
  uniqueIndex("link_clicks_idempotency_key_unique").on(t.idempotencyKey).where(sql`idempotency_key is not null`),
]);

// What the job seeker calls an application ("Acme, Senior Engineer"): links carry its id,
// this carries its name. One row per labelled application; unlabelled ones have none.
export const applications = sqliteTable("applications", {
  applicationId: text("application_id").primaryKey(),
  company: text("company", { length: 200 }),
  role: text("role", { length: 200 }),
  jobId: text("job_id"),
  sentAt: text("sent_at"),
  notes: text("notes", { length: 2000 }),
  createdAt: text("created_at").notNull(),
  updatedAt: text("updated_at").notNull(),
});

/**
 * Whether each link's destination still answers (modules/links/destination.ts): the last
 * check, and how many in a row failed. A link without a row was never checked.
 */
export const linkDestinations = sqliteTable("link_destinations", {
  trackingId: text("tracking_id", { length: 100 }).primaryKey().references(() => linkTracking.trackingId, { onDelete: "cascade" }),
  checkedAt: text("checked_at").notNull(),
  ok: integer("ok", { mode: "boolean" }).notNull(),
  status: integer("status"),
  error: text("error"),
  failures: integer("failures").notNull().default(0),
  down: integer("down", { mode: "boolean" }).notNull().default(false),
  /** When it went down (null while up): the home page's oldest first. */
  downSince: text("down_since"),
}, (t) => [index("link_destinations_down_idx").on(t.downSince).where(sql`${t.down} = 1`),
  // Failed once, not down yet: checked again soon, not at the next pass.
  index("link_destinations_failing_idx").on(t.checkedAt).where(sql`${t.ok} = 0 and ${t.down} = 0`),
]);

export const apiKeys = sqliteTable("api_keys", {
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  scope: text("scope", { enum: ["ingest", "read", "admin"] }).notNull(),
  keyHash: text("key_hash").notNull().unique(),
  createdAt: text("created_at").notNull(),
  lastUsedAt: text("last_used_at"),
  revokedAt: text("revoked_at"),
});

/**
 * Signed-in dashboard browsers. The cookie holds a random token; only its SHA-256 is kept,
 * with the hash of the key it was opened with (a key revoked or changed ends its sessions).
 */
export const dashboardSessions = sqliteTable("dashboard_sessions", {
  id: text("id").primaryKey(),
  tokenHash: text("token_hash").notNull().unique(),
  keyName: text("key_name").notNull(),
  keyHash: text("key_hash").notNull(),
  scope: text("scope", { enum: ["ingest", "read", "admin"] }).notNull(),
  remember: integer("remember", { mode: "boolean" }).notNull(),
  browser: text("browser"),
  createdAt: text("created_at").notNull(),
  expiresAt: text("expires_at").notNull(),
  revokedAt: text("revoked_at"),
}, (t) => [index("dashboard_sessions_key_idx").on(t.keyName)]);

/**
 * Edge mode: clicks waiting to be shipped to TRACKING_API_URL. A row leaves only when
 * the upstream has acknowledged it (or rejected it: then it moves to the dead letters).
 */
export const edgeOutbox = sqliteTable("edge_outbox", {
  seq: integer("seq").primaryKey({ autoIncrement: true }),
  eventId: text("event_id").notNull().unique(),
  event: text("event", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  createdAt: text("created_at").notNull(),
});

export const edgeDeadLetters = sqliteTable("edge_dead_letters", {
  seq: integer("seq").primaryKey({ autoIncrement: true }),
  eventId: text("event_id").notNull(),
  event: text("event", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  reason: text("reason").notNull(),
  failedAt: text("failed_at").notNull(),
});

/**
 * Signals: what happened that the job-application system wants to hear about, written in
 * the same transaction as the click that caused it. Held until deliver_after (a burst
 * found a few seconds later can still cancel it), then fed to webhooks and the feed.
 */
export const signalEvents = sqliteTable("signal_events", {
  seq: integer("seq").primaryKey({ autoIncrement: true }),
  eventId: text("event_id").notNull().unique(),
  type: text("type", { enum: ["click.first_human", "click.returned", "click.assistant", "link.orphan_hit", "link.destination_down", "link.destination_up"] }).notNull(),
  createdAt: text("created_at").notNull(),
  deliverAfter: text("deliver_after").notNull(),
  clickId: text("click_id").notNull(),
  trackingId: text("tracking_id").notNull(),
  /** What the event is about: "link:ID" or "application:ID" (at most one first_human each). */
  subject: text("subject").notNull(),
  payload: text("payload", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  cancelledAt: text("cancelled_at"),
}, (t) => [
  index("signal_events_click_idx").on(t.clickId),
  index("signal_events_subject_idx").on(t.type, t.subject),
  // What happened since a time (the assistant's question): the first event at or after it.
  index("signal_events_created_idx").on(t.createdAt),
]);

export const webhookEndpoints = sqliteTable("webhook_endpoints", {
  id: text("id").primaryKey(),
  url: text("url").notNull(),
  secret: text("secret").notNull(),
  eventTypes: text("event_types", { mode: "json" }).$type<string[]>().notNull(),
  description: text("description"),
  active: integer("active", { mode: "boolean" }).notNull().default(true),
  createdAt: text("created_at").notNull(),
  /** Events up to this seq have their deliveries; an endpoint gets what happens after it was made. */
  scannedSeq: integer("scanned_seq").notNull().default(0),
  /** What a delivery looks like (modules/webhooks/channels.ts): signed JSON, or a message for a person. */
  format: text("format").notNull().default("standard-webhooks"),
  /** A channel's access token (ntfy) or bot token (Telegram): sent, never shown back. */
  token: text("token"),
  /** Telegram: the chat a bot writes to. */
  chatId: text("chat_id"),
  /** Failed deliveries in a row; enough of them pause the channel. */
  failures: integer("failures").notNull().default(0),
  pausedAt: text("paused_at"),
  pausedReason: text("paused_reason"),
  /** A morning digest: the local hour (0–23) in `time_zone`; null for none. */
  digestHour: integer("digest_hour"),
  timeZone: text("time_zone"),
  /** The digest instead of single events. */
  digestOnly: integer("digest_only", { mode: "boolean" }).notNull().default(false),
  /** Events up to this seq were in a digest; the local day of the last one. */
  digestSeq: integer("digest_seq").notNull().default(0),
  digestDay: text("digest_day"),
});

export const webhookDeliveries = sqliteTable("webhook_deliveries", {
  seq: integer("seq").primaryKey({ autoIncrement: true }),
  eventSeq: integer("event_seq").notNull(),
  endpointId: text("endpoint_id").notNull(),
  trackingId: text("tracking_id").notNull(),
  status: text("status", { enum: ["pending", "delivered", "failed"] }).notNull().default("pending"),
  attempts: integer("attempts").notNull().default(0),
  firstAttemptAt: text("first_attempt_at"),
  nextAttemptAt: text("next_attempt_at").notNull(),
  lastAttemptAt: text("last_attempt_at"),
  lastStatus: integer("last_status"),
  lastError: text("last_error"),
  deliveredAt: text("delivered_at"),
}, (t) => [
  uniqueIndex("webhook_deliveries_event_endpoint_unique").on(t.eventSeq, t.endpointId),
  index("webhook_deliveries_due_idx").on(t.status, t.nextAttemptAt),
  index("webhook_deliveries_endpoint_idx").on(t.endpointId, t.seq),
]);

/**
 * Clicks counted per day, link, visitor kind and outcome, kept exact by every change to
 * link_clicks in its own transaction (daily.ts: clicks added, deleted, reclassified,
 * attributed): the overview reads a period from here instead of counting a million clicks.
 */
export const clickDaily = sqliteTable("click_daily", {
  day: text("day").notNull(),
  trackingId: text("tracking_id").notNull(),
  visitorKind: text("visitor_kind").notNull(),
  outcome: text("outcome").notNull(),
  clicks: integer("clicks").notNull(),
}, (t) => [
  primaryKey({ columns: [t.day, t.trackingId, t.visitorKind, t.outcome] }),
  // Covering: a link's totals and first and last days, an application's days, read without the table.
  index("click_daily_tracking_idx").on(t.trackingId, t.visitorKind, t.outcome, t.day, t.clicks),
]);

/*
 * The roll-ups (rollups.ts): what every analytics answer reads instead of link_clicks,
 * kept exact by every change to link_clicks in its own transaction. Times are whole
 * units since the Unix epoch: a quarter-hour (every time zone's midnight falls on one),
 * an hour or a UTC day. A dimension's value is '' where the click has none.
 */
const rollupCounts = { visitorKind: text("visitor_kind").notNull(), outcome: text("outcome").notNull(), clicks: integer("clicks").notNull() };

/** Per link and quarter-hour: a link's counts and days in any time zone. */
export const clickQuarters = sqliteTable("click_quarters", {
  trackingId: text("tracking_id").notNull(),
  quarter: integer("quarter").notNull(),
  ...rollupCounts,
}, (t) => [
  primaryKey({ columns: [t.trackingId, t.quarter, t.visitorKind, t.outcome] }),
  // A period's edges across every link (the overview's top links and orphans); covering, with the key's columns.
  index("click_quarters_time_idx").on(t.quarter, t.clicks),
]);

/**
 * Per link and hour: the hours of a period that are not whole UTC days (another time
 * zone's midnight, a period from now), between click_daily and click_quarters.
 */
export const clickHours = sqliteTable("click_hours", {
  trackingId: text("tracking_id").notNull(),
  hour: integer("hour").notNull(),
  ...rollupCounts,
}, (t) => [
  primaryKey({ columns: [t.trackingId, t.hour, t.visitorKind, t.outcome] }),
  // A period's hours across every link; covering, with the key's columns.
  index("click_hours_time_idx").on(t.hour, t.clicks),
]);

/** Every link together, per quarter-hour: the overview's counts and days. */
export const clickQuartersAll = sqliteTable("click_quarters_all", {
  quarter: integer("quarter").notNull(),
  ...rollupCounts,
}, (t) => [primaryKey({ columns: [t.quarter, t.visitorKind, t.outcome] })]);

/** Per link, UTC day and breakdown value (source, referrer, agent, place). */
export const clickDimensions = sqliteTable("click_dimensions", {
  trackingId: text("tracking_id").notNull(),
  day: integer("day").notNull(),
  dimension: text("dimension").notNull(),
  value: text("value").notNull(),
  ...rollupCounts,
}, (t) => [primaryKey({ columns: [t.trackingId, t.dimension, t.day, t.value, t.visitorKind, t.outcome] })]);

/** Every link together, per UTC day and breakdown value: the overview's breakdowns. */
export const clickDimensionsDaily = sqliteTable("click_dimensions_daily", {
  day: integer("day").notNull(),
  dimension: text("dimension").notNull(),
  value: text("value").notNull(),
  ...rollupCounts,
}, (t) => [primaryKey({ columns: [t.dimension, t.day, t.value, t.visitorKind, t.outcome] })]);

/** The same per hour: the hours of a period that are not whole UTC days (another time zone's). */
export const clickDimensionsHourly = sqliteTable("click_dimensions_hourly", {
  hour: integer("hour").notNull(),
  dimension: text("dimension").notNull(),
  value: text("value").notNull(),
  ...rollupCounts,
}, (t) => [primaryKey({ columns: [t.dimension, t.hour, t.value, t.visitorKind, t.outcome] })]);

/** Per link, session and UTC day: distinct sessions without reading clicks. */
export const clickSessions = sqliteTable("click_sessions", {
  trackingId: text("tracking_id").notNull(),
  sessionId: text("session_id").notNull(),
  day: integer("day").notNull(),
  ...rollupCounts,
}, (t) => [primaryKey({ columns: [t.trackingId, t.day, t.sessionId, t.visitorKind, t.outcome] })]);

/**
 * Per application, session and UTC day, of human redirected clicks: an application's
 * visitors and visits without reading its links' sessions. Follows a link to another
 * application (rollups.ts moveApplicationSessions).
 */
export const applicationSessions = sqliteTable("application_sessions", {
  applicationId: text("application_id").notNull(),
  sessionId: text("session_id").notNull(),
  day: integer("day").notNull(),
  ...rollupCounts,
}, (t) => [primaryKey({ columns: [t.applicationId, t.sessionId, t.day, t.visitorKind, t.outcome] })]);

/**
 * Per application and session: on how many days (application_sessions rows) it has
 * clicks, kept as those rows go above nothing or back (rollups.ts sessionCounted).
 */
export const applicationVisitors = sqliteTable("application_visitors", {
  applicationId: text("application_id").notNull(),
  sessionId: text("session_id").notNull(),
  visits: integer("visits").notNull(),
}, (t) => [primaryKey({ columns: [t.applicationId, t.sessionId] })]);

/**
 * Per application: its visitors (sessions with a visit), visits (days of a session with
 * clicks) and the clicks of those sessions, kept with application_visitors: what the
 * applications overview reads, one row an application, however many sessions it has.
 */
export const applicationCounts = sqliteTable("application_counts", {
  applicationId: text("application_id").primaryKey(),
  visitors: integer("visitors").notNull(),
  visits: integer("visits").notNull(),
  clicks: integer("clicks").notNull(),
});

/** Values made once and kept: the key that signs the dashboard's owner cookie. */
export const settings = sqliteTable("settings", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});

/** One random salt a day for the cookieless session id; older ones are deleted. */
export const dailySalts = sqliteTable("daily_salts", {
  day: text("day").primaryKey(),
  salt: text("salt").notNull(),
});

export type LinkRow = typeof linkTracking.$inferSelect;
export type ClickRow = typeof linkClicks.$inferSelect;
export type NewClick = typeof linkClicks.$inferInsert;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type DashboardSessionRow = typeof dashboardSessions.$inferSelect;
