/**
 * The one way routes and services reach stored data: an async store, one repository per
 * table family. Nothing above this file knows which database it is, how clicks get from
 * a redirect into the tables, or what must happen before a read sees them: a read through
 * the store includes every click committed before it, whatever the implementation does to
 * make that true. Types here are the domain's, written by hand; timestamps are ISO 8601
 * UTC strings ending in `Z`.
 *
 * A few calls are synchronous on purpose: the redirect's hot path (a link from memory,
 * today's salt, the owner cookie's key) must not wait a turn of the event loop for what
 * the store already holds in memory.
 */

export type VisitorKind = "human" | "assistant" | "bot" | "preview" | "scanner" | "owner";
export type ClickOrigin = "redirect" | "ingest" | "api" | "import";
export type ClickOutcome = "redirected" | "not_found" | "gone";
export type Scope = "ingest" | "read" | "admin";
export type SignalType = "click.first_human" | "click.returned" | "click.assistant" | "link.orphan_hit" | "link.destination_down" | "link.destination_up";

export type Link = {
  trackingId: string;
  jobId: string | null;
  applicationId: string | null;
  linkFunction: string;
  linkType: string;
  originalUrl: string;
  redirectUrl: string;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  isActive: boolean;
  description: string | null;
  expiresAt: string | null;
  /** An imported short code (Shlink's, Kutt's, Bitly's back-half): GET /{code} answers it. Equal to trackingId when set. */
  shortCode: string | null;
};

export type LinkChanges = Partial<Omit<Link, "trackingId" | "createdAt" | "createdBy" | "redirectUrl" | "linkFunction" | "shortCode">> & { updatedAt: string };

/** A click as it is written. */
export type NewClick = {
  clickId: string;
  trackingId: string;
  clickedAt: string;
  receivedAt: string;
  origin: ClickOrigin;
  ipAddress?: string | null;
  userAgent?: string | null;
  referrerUrl?: string | null;
  sessionId?: string | null;
  clickSource?: string | null;
  metadata?: Record<string, unknown>;
  /** Who clicked (is_bot follows from it: isBotKind); decided once, when the click is built. */
  visitorKind: VisitorKind;
  visitorReason?: string | null;
  outcome: ClickOutcome;
  /** Ingested and API clicks: the event_id, or a digest of the event's fields. */
  idempotencyKey?: string | null;
  /** Where from (lib/geo): ISO 3166-1 alpha-2, city, the network's AS number and owner. */
  country?: string | null;
  city?: string | null;
  asn?: number | null;
  network?: string | null;
  /** A redirect's: whether the request carried Accept-Language (not stored; an edge ships it with the event). */
  acceptLanguage?: boolean;
};

export type StoredClick = Required<Omit<NewClick, "idempotencyKey" | "acceptLanguage">> & { idempotencyKey: string | null; isBot: boolean };

/** The stored is_bot of a click of this kind: the owner's own clicks are a person's too. */
export const isBotKind = (kind: VisitorKind): boolean => kind !== "human" && kind !== "owner";

/** A recruiter's click as every count means it: redirected, and a person's. */
export const isHumanVisit = (c: Pick<NewClick, "visitorKind" | "outcome">): boolean => c.visitorKind === "human" && c.outcome === "redirected";

/** Where a stored click came from (its city is left out of lists). */
export type ClickPlace = { country: string | null; asn: number | null; network: string | null };

/** A stored click's user agent as the analytics show it, parsed once when it was stored. */
export type ClickAgent = { browser: string | null; os: string | null; device: string | null };

/** What clicks are counted by: "referrer" is the referrer's domain; "network" is "<asn> <organisation>". */
export type CountDimension = "source" | "referrer" | "browser" | "os" | "device" | "kind" | "country" | "network";

export type ClickFilter = {
  /** The links counted; undefined counts every link's clicks (the overview). */
  trackingIds?: string[];
  /** Instants, both included. */
  from?: string;
  to?: string;
  /** Visitor kinds counted; undefined counts every kind. */
  kinds?: VisitorKind[];
};

export type ExportFilter = {
  /** Every click, orphan hits too, each row with FULL_EXPORT_COLUMNS (link-tracker export). */
  everything?: boolean;
  trackingId?: string;
  jobId?: string;
  applicationId?: string;
  from?: string;
  to?: string;
  kinds?: VisitorKind[];
};

/** The columns of an export, in order (values in a page's rows follow it). */
export const EXPORT_COLUMNS = [
  "click_id", "tracking_id", "job_id", "application_id", "link_function", "clicked_at", "click_source",
  "visitor_kind", "ip_address", "user_agent", "referrer_url", "session_id", "metadata", "origin",
  "country", "city", "asn", "network",
] as const;

/** An export of everything (ExportFilter.everything): the columns a click is made again from. */
export const FULL_EXPORT_COLUMNS = [...EXPORT_COLUMNS, "outcome", "visitor_reason", "received_at", "idempotency_key"] as const;

export type Period = { from: string; to: string };

export type LinkFilter = {
  jobId?: string;
  applicationId?: string;
  linkFunction?: string;
  active?: boolean;
  /** Rows strictly after this (created_at, tracking_id) in newest-first order. */
  after?: { createdAt: string; trackingId: string };
  limit: number;
  now: string;
};

export type ClickTotals = { total: number; sessions: number; first: string | null; last: string | null; last24h: number; last7d: number };
export type KindCount = { trackingId: string; kind: VisitorKind; clicks: number; first: string | null; last: string | null };
export type Orphan = { tracking_id: string; hits: number; first_seen: string; last_seen: string };

/** `latest`: the latest `limit` clicks of the window (still in time order) rather than the first. */
export type BurstFilter = { from: string; to?: string; applicationIds?: string[]; ips?: string[]; latest?: boolean };
export type BurstCandidate = { clickId: string; trackingId: string; applicationId: string; ipAddress: string; clickedAt: string; visitorKind: VisitorKind };

export type ApiKey = { id: string; name: string; scope: Scope; keyHash: string; createdAt: string; lastUsedAt: string | null; revokedAt: string | null };

/**
 * A signed-in dashboard browser. Its cookie holds a token of which only the hash is kept;
 * `keyHash` is the key's it was opened with, so that a key revoked or changed ends it.
 */
export type DashboardSession = {
  id: string;
  tokenHash: string;
  keyName: string;
  keyHash: string;
  scope: Scope;
  /** "Remember this browser": the cookies outlive the browser's session. */
  remember: boolean;
  /** "Firefox on Linux": to know a session by in a list, never the raw user agent. */
  browser: string | null;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
};

/** Which sessions a revocation ends. */
export type SessionsToRevoke = { id: string } | { keyName: string } | { all: true };

export type Signal = {
  seq: number;
  eventId: string;
  type: SignalType;
  createdAt: string;
  deliverAfter: string;
  clickId: string;
  trackingId: string;
  subject: string;
  payload: Record<string, unknown>;
  cancelledAt: string | null;
};
export type NewSignal = Omit<Signal, "seq" | "cancelledAt">;

/** What a delivery looks like: signed JSON for a program, or a message for a person in one service's shape. */
export type ChannelFormat = "standard-webhooks" | "ntfy" | "slack" | "discord" | "teams" | "google-chat" | "telegram" | "email";

export type Endpoint = {
  id: string;
  url: string;
  secret: string;
  eventTypes: string[];
  description: string | null;
  /** The owner's switch. */
  active: boolean;
  createdAt: string;
  scannedSeq: number;
  format: ChannelFormat;
  /** An ntfy access token, a Telegram bot token: sent, never shown back. */
  token: string | null;
  /** Telegram: the chat the bot writes to. */
  chatId: string | null;
  /** Failed deliveries in a row. */
  failures: number;
  /** Set when it kept failing: nothing is sent until the owner resumes it (active: true). */
  pausedAt: string | null;
  pausedReason: string | null;
  /** A daily digest at this local hour (0–23) in `timeZone`; null for none. */
  digestHour: number | null;
  timeZone: string | null;
  /** The digest instead of single events. */
  digestOnly: boolean;
  /** Events up to this seq were told in a digest. */
  digestSeq: number;
  /** The local day of the last digest. */
  digestDay: string | null;
};

export type Delivery = {
  seq: number;
  eventSeq: number;
  endpointId: string;
  trackingId: string;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  firstAttemptAt: string | null;
  nextAttemptAt: string;
  lastAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: string | null;
};

export type OutboxEvent = Record<string, unknown> & { event_id: string };
export type OutboxRow = { seq: number; eventId: string; event: OutboxEvent };
export type OutboxStatus = {
  pending: number;
  oldest_pending: string | null;
  dead_letters: number;
  recent_dead_letters: { event_id: string; reason: string; failed_at: string }[];
};

/**
 * What the signals of new clicks are decided from, asked inside the clicks' own
 * transaction (so a signal is stored with its click, or neither is). Synchronous: it is
 * answered from the transaction's connection and memory.
 */
export interface SignalFacts {
  link(trackingId: string): Link | undefined;
  /** The link an orphan id probably meant (lib/probable.ts), or null. */
  probableLink(orphanId: string): string | null;
  /**
   * The latest human click of the link before `click` (by time, then id), or null. With
   * `withinMs`, a store may answer any human click before `click` no more than `withinMs`
   * earlier instead of the latest (all a rule that asks "was there one, that recent?"
   * needs): a late event of a batch then costs no query when an earlier one is near it.
   */
  previousHumanOfLink(trackingId: string, click: NewClick, withinMs?: number): string | null;
  /** The latest human click on any link of the application before `click`, or null; `withinMs` as for a link. */
  previousHumanOfApplication(applicationId: string, click: NewClick, withinMs?: number): string | null;
  signalExists(type: SignalType, subject: string): boolean;
}

/** Decides the signals of clicks just stored; given to the store at composition. */
export type SignalRule = (facts: SignalFacts, clicks: NewClick[]) => NewSignal[];

export interface LinkRepository {
  find(trackingId: string): Promise<Link | undefined>;
  /**
   * The redirect's lookup: from memory when the link (or its absence) is known there,
   * otherwise read through, a promise (other instances' changes are seen at once on
   * PostgreSQL, within CHECK_EVERY_MS of another process's on SQLite).
   */
  findCached(trackingId: string, nowMs: number): Link | undefined | Promise<Link | undefined>;
  /** Inserts all or none; a taken id is a Conflict naming it. */
  insert(links: Link[]): Promise<Link[]>;
  update(trackingId: string, changes: LinkChanges): Promise<Link | undefined>;
  /** The link and all its clicks; the number of clicks deleted, or null for no such link. */
  deleteWithClicks(trackingId: string): Promise<number | null>;
  list(filter: LinkFilter): Promise<Link[]>;
  /** Whether some link's tracked URL uses `/{source}?uuid=`. */
  sourceInUse(source: string): Promise<boolean>;
  of(by: { jobId?: string; applicationId?: string }): Promise<Link[]>;
  /** The links of these applications, in creation order. */
  ofApplications(applicationIds: string[]): Promise<Link[]>;
  /** Per orphan id, the link it probably meant (lib/probable.ts), looked up by index. */
  probableOf(orphanIds: string[]): Promise<Map<string, string | null>>;
  /**
   * Among the `limit` links after tracking id `after` (in id order, from the first when
   * null), those whose redirect_url starts with `from` + "/" get `to` in its place: the
   * tracked URLs follow a new PUBLIC_BASE_URL. `next` is where to go on from (null: done).
   */
  rebase(from: string, to: string, after: string | null, limit: number): Promise<{ moved: number; next: string | null }>;
  counts(now: string): Promise<{ links: number; active: number; applications: number }>;
  applicationsWithoutHumanClick(): Promise<{ application_id: string; links: number; first_link_at: string }[]>;
}

export interface ClickRepository {
  /**
   * Brings the roll-ups up to every click stored so far, where a store counts them a
   * moment after the write (PostgreSQL), unless another instance is counting them at that
   * moment. Answers are exact without it; the tests call it to compare the roll-ups themselves.
   */
  settle?(): Promise<void>;
  /**
   * Redirect clicks, group-committed: resolves once they are durable, rejects if they
   * could not be written. Their signals are stored with them.
   */
  record(clicks: NewClick[]): Promise<void>;
  /**
   * Ingested and API clicks in one transaction, all or none, each stored once by its
   * idempotency key; their signals with them. Per click, whether it was new.
   */
  insert(clicks: NewClick[]): Promise<boolean[]>;
  count(): Promise<number>;
  findByKey(idempotencyKey: string): Promise<StoredClick | undefined>;
  totals(filter: ClickFilter, since24h: string, since7d: string): Promise<ClickTotals>;
  /** By "network": the value is "<asn> <organisation>" (null when the address was not located). */
  countsBy(filter: ClickFilter, by: CountDimension): Promise<{ value: string | null; clicks: number }[]>;
  /** Several breakdowns at once, each as countsBy answers it. */
  breakdowns(filter: ClickFilter, by: CountDimension[]): Promise<Partial<Record<CountDimension, { value: string | null; clicks: number }[]>>>;
  /** The first and last click the filter counts (of some links). */
  span(filter: ClickFilter & { trackingIds: string[] }): Promise<{ first: string | null; last: string | null }>;
  /**
   * Clicks per day of the time zone `tz` (an IANA name) and visitor kind, days without
   * clicks left out, in day order: the filter's range must have both ends.
   */
  perDay(filter: ClickFilter & { from: string; to: string }, tz: string): Promise<{ day: string; kind: VisitorKind; clicks: number }[]>;
  recentOf(trackingId: string, limit: number): Promise<
    ({ clickedAt: string; clickSource: string | null; visitorKind: VisitorKind; visitorReason: string | null; referrerDomain: string | null } & ClickAgent & ClickPlace)[]
  >;
  /** Redirected clicks in pages of EXPORT_COLUMNS rows; the next page is read when the last was taken. */
  exportPages(filter: ExportFilter): AsyncIterable<unknown[][]>;
  /** Stored clicks that have an address and no place (country, network), after click `after` in id order: `link-tracker locate`. */
  unlocated(after: string | null, limit: number): Promise<{ clickId: string; ipAddress: string }[]>;
  /** Gives stored clicks their place; how many changed. */
  setPlaces(places: ({ clickId: string } & ClickPlace & { city: string | null })[]): Promise<number>;
  /**
   * Gives human clicks another kind (a burst found them a scanner's) and withdraws their
   * signals still held at `at` (default: now), in one transaction; how many clicks changed.
   */
  reclassify(clickIds: string[], kind: VisitorKind, reason: string, at?: string, from?: VisitorKind): Promise<number>;
  /**
   * A slice of the stored clicks after `after` (null: from the first), in storage order: the
   * ones of `kind` among them, and where the next slice starts (null after the last). What a
   * change of the classification's rules walks to reclassify what was stored before it.
   */
  ofKind(kind: VisitorKind, after: string | null): Promise<{ clicks: { clickId: string; userAgent: string | null }[]; next: string | null }>;
  perLinkKindCounts(trackingIds: string[]): Promise<KindCount[]>;
  /** The latest `limit` human clicks of some links, in time order. */
  humanOf(
    trackingIds: string[],
    limit: number,
  ): Promise<({ clickId: string; trackingId: string; clickedAt: string; clickSource: string | null; sessionId: string | null } & ClickAgent & ClickPlace)[]>;
  /**
   * Per application, from its links' human clicks: distinct visitors (a click without a
   * session, Do Not Track, is a visitor of its own), visits (one visitor's clicks of one
   * day), and whether a human came back more than `returnDays` days after the one before.
   */
  applicationActivity(returnDays: number, applicationIds: string[]): Promise<{ applicationId: string; visitors: number; visits: number; cameBack: boolean }[]>;
  /** Of every application, how many have a human click, and how many of those came back (as in applicationActivity). */
  applicationStandings(returnDays: number): Promise<{ opened: number; cameBack: number }>;
  /** The links with the most human clicks in the period (both ends included). */
  topLinksIn(p: Period, limit: number): Promise<{ trackingId: string; clicks: number }[]>;
  recentIn(p: Period, limit: number): Promise<
    { clickedAt: string; trackingId: string; clickSource: string | null; visitorKind: VisitorKind; visitorReason: string | null; outcome: ClickOutcome }[]
  >;
  orphansIn(p: Period, limit: number): Promise<Orphan[]>;
  /**
   * Redirected clicks in a time window that carry an address and belong to an
   * application (optionally: one of these applications, from one of these addresses), in
   * time order: what a burst is looked for in across instances and ways in.
   */
  burstCandidates(filter: BurstFilter, limit: number): Promise<BurstCandidate[]>;
  /** Moves an orphan's hits to a link; how many moved. */
  attributeOrphan(orphanId: string, trackingId: string): Promise<number>;
  deleteFromIp(ip: string): Promise<number>;
  /** Deletes up to `limit` clicks older than `before`, oldest first; how many. */
  deleteBefore(before: string, limit: number): Promise<number>;
}

export interface SignalRepository {
  /** Withdraws the not yet due events of these clicks; how many. */
  cancelOf(clickIds: string[], at: string): Promise<number>;
  due(afterSeq: number, now: string, limit: number): Promise<Signal[]>;
  maxSeq(): Promise<number>;
  /** The seq of the first event created at or after `at` (withdrawn or not), or null when none is. */
  firstSeqSince(at: string): Promise<number | null>;
  bySeq(seq: number): Promise<Signal | undefined>;
  /** The events a click made, in order (a link's first click may make its application's too). */
  ofClick(clickId: string): Promise<Signal[]>;
}

export interface WebhookRepository {
  insert(endpoint: Endpoint): Promise<Endpoint>;
  list(): Promise<Endpoint[]>;
  find(id: string): Promise<Endpoint | undefined>;
  update(id: string, changes: Partial<Omit<Endpoint, "id">>): Promise<Endpoint | undefined>;
  delete(id: string): Promise<boolean>;
  /** Creates the deliveries of the due events an endpoint has not seen yet. */
  schedule(endpoint: Endpoint, now: string): Promise<void>;
  /** Due now, oldest first, only the first pending one per (endpoint, link). */
  dueDeliveries(now: string, limit: number): Promise<Delivery[]>;
  recordAttempt(seq: number, changes: Partial<Omit<Delivery, "seq">>): Promise<void>;
  deliveriesOf(endpointId: string, limit: number): Promise<{ delivery: Delivery; eventId: string; type: SignalType }[]>;
  findDelivery(endpointId: string, seq: number): Promise<Delivery | undefined>;
  /** Takes an endpoint's digest of `day`: true for the one caller that moved its digest day up to it (on every instance, once). */
  claimDigest(id: string, day: string): Promise<boolean>;
}

/** An application's name (Applications by name): what the job seeker knows it as. */
export type Application = {
  applicationId: string;
  company: string | null;
  role: string | null;
  jobId: string | null;
  sentAt: string | null;
  notes: string | null;
  createdAt: string;
  updatedAt: string;
};

/** The fields of a label a call sets: undefined leaves one as it is, null clears it. */
export type ApplicationChanges = Partial<Pick<Application, "company" | "role" | "jobId" | "sentAt" | "notes">>;

export interface ApplicationRepository {
  /** Labels an application, or changes its label; the application as stored after. */
  put(applicationId: string, changes: ApplicationChanges, at: string): Promise<Application>;
  find(applicationId: string): Promise<Application | undefined>;
  /** The labelled applications among `ids`, or all of them. */
  list(ids?: string[]): Promise<Application[]>;
  /**
   * A page of every application, named or known by its links only, most recent first:
   * by `since` (sent_at, else its first link's creation, else when it was named), then
   * by id, after the one `after` names.
   */
  page(limit: number, after?: ApplicationCursor): Promise<ApplicationListed[]>;
  /** How many applications there are, named or known by their links only. */
  count(): Promise<number>;
  /** The named applications whose company and role are these, ignoring case and outer spaces (null or "" matches none given), most recent first. */
  named(company: string | null, role: string | null): Promise<Application[]>;
  /** Up to `limit` named applications whose company or role holds `text` (case aside; "Acme SRE" matches both), most recent first. */
  search(text: string, limit: number): Promise<Application[]>;
  /** Up to `limit` application ids starting with `prefix` (ignoring case), named or known by their links only. */
  withIdPrefix(prefix: string, limit: number): Promise<string[]>;
}

/** Where a page of applications starts: after the application with this `since` and id. */
export type ApplicationCursor = { since: string; applicationId: string };

/** One application of a page: what its links say of it, and when it counts from. */
export type ApplicationListed = { applicationId: string; since: string; jobId: string | null; links: number; firstLinkAt: string | null };

export interface KeyRepository {
  findActiveByHash(keyHash: string): Promise<ApiKey | undefined>;
  countActive(): Promise<number>;
  insert(key: Omit<ApiKey, "lastUsedAt" | "revokedAt">): Promise<void>;
  list(): Promise<ApiKey[]>;
  findByName(name: string): Promise<ApiKey | undefined>;
  revoke(name: string, at: string): Promise<boolean>;
  touch(id: string, at: string): Promise<void>;
}

export interface SessionRepository {
  insert(session: Omit<DashboardSession, "revokedAt">): Promise<void>;
  findByTokenHash(tokenHash: string): Promise<DashboardSession | undefined>;
  find(id: string): Promise<DashboardSession | undefined>;
  /** Sessions neither revoked nor expired at `now`, newest first. */
  listActive(now: string): Promise<DashboardSession[]>;
  /** Ends the sessions named, those still active; how many it ended. */
  revoke(which: SessionsToRevoke, at: string): Promise<number>;
  /** Deletes the sessions that ended (expired or revoked) before `before`. */
  prune(before: string): Promise<number>;
}

export interface SettingRepository {
  /** The value of `key`, made by `make` and kept the first time (the first maker wins). */
  getOrCreate(key: string, make: () => string): Promise<string>;
  get(key: string): Promise<string | undefined>;
  put(key: string, value: string): Promise<void>;
  /** Today's salt of session ids: made once a day, the older ones deleted. */
  saltForDay(day: string): Promise<string>;
}

/** The last check of a link's destination (modules/links/destination.ts); a link without one was never checked. */
export type DestinationState = {
  trackingId: string;
  checkedAt: string;
  ok: boolean;
  /** The last answer's status; null when none came. */
  status: number | null;
  error: string | null;
  /** Failed checks in a row. */
  failures: number;
  down: boolean;
  /** When it went down; null while it is up. */
  downSince: string | null;
};

/** A link the background checks are to ask about: its id and where it leads. */
export type DestinationToCheck = { trackingId: string; originalUrl: string };

export interface DestinationRepository {
  of(trackingIds: string[]): Promise<Map<string, DestinationState>>;
  /**
   * Stores a check of a link's destination in one transaction: `next` is given the state
   * before (undefined: never checked) and the link, and says the state after and the event
   * to store with it (its down or up), or null to store nothing. The state stored after,
   * or undefined when there is no such link.
   */
  record(trackingId: string, next: (before: DestinationState | undefined, link: Link) => { state: DestinationState; signal: NewSignal | null } | null): Promise<DestinationState | undefined>;
  /** The active links whose destination is down at `now`, longest down first. */
  down(now: string, limit: number): Promise<{ link: Link; state: DestinationState }[]>;
  /** Forgets a link's checks: its destination changed. */
  forget(trackingId: string): Promise<void>;
  /** Up to `limit` active links at `now` whose last check failed, not down yet, checked before `before`: checked again soon, not at the next pass. */
  failing(before: string, limit: number, now: string): Promise<DestinationToCheck[]>;
  /** Up to `limit` active links at `now` after tracking id `after` (from the first when null), in id order: the background checks' pass. */
  activeAfter(after: string | null, limit: number, now: string): Promise<DestinationToCheck[]>;
  /**
   * Runs `work` in one transaction holding the background checks' turn: on a shared
   * database one instance at a time takes the next links of the pass (null: another held it).
   */
  inTurn<T>(work: (store: Store) => Promise<T>): Promise<T | null>;
}

/** Edge mode: clicks waiting to be shipped upstream. */
export interface OutboxRepository {
  /** An event already queued (same event_id) is not added twice. */
  enqueue(events: OutboxEvent[], at: string): Promise<void>;
  peek(limit: number): Promise<OutboxRow[]>;
  /** The acknowledged leave, the rejected move to the dead letters; one transaction. */
  acknowledge(acknowledged: number[], rejected: { row: OutboxRow; reason: string }[], at: string): Promise<void>;
  status(): Promise<OutboxStatus>;
}

export interface Store {
  readonly links: LinkRepository;
  readonly clicks: ClickRepository;
  readonly signals: SignalRepository;
  readonly webhooks: WebhookRepository;
  readonly keys: KeyRepository;
  readonly sessions: SessionRepository;
  readonly applications: ApplicationRepository;
  readonly settings: SettingRepository;
  readonly outbox: OutboxRepository;
  readonly destinations: DestinationRepository;
  /** Runs `work` as one transaction: every write in it lands, or none does. */
  tx<T>(work: (store: Store) => Promise<T>): Promise<T>;
  /** A real read and a write that changes nothing: throws when either fails. */
  probe(): Promise<void>;
  /**
   * Whether probe()'s write is a real one (a row rewritten), so that its success shows
   * writes get through again after they failed. SQLite's is not: a full disk still lets
   * it rewrite a page it has.
   */
  readonly probeWrites: boolean;

  /** A consistent copy of the live data in a new file, where the store can make one (SQLite). */
  backupTo?(file: string): Promise<{ bytes: number }>;
  /** Bytes the data takes (for /metrics); 0 when unknown. */
  size(): number;
  /**
   * The links kept in memory by a store that shares its database (for /metrics): how many,
   * how many single rows were read because memory could not answer, and how many times a
   * change without its notification emptied it.
   */
  linkCache?(): { entries: number; reads: number; drops: number };
  /** Waiting work done (within `ms`), connections closed. */
  close(ms?: number): Promise<void>;
}

/** A write refused because the database is busy, read-only, full or unreachable: a 503 to the caller. */
export class StoreUnavailable extends Error {
  constructor(readonly cause: unknown) {
    super("database unavailable");
  }
}

/** A row of the seeds' link_tracking (external-domain-guide.md), as `import seeds` reads it; times as ISO 8601 UTC. */
export type SeedsLinkRow = {
  tracking_id: string;
  job_id: string | null;
  application_id: string | null;
  link_function: string | null;
  link_type: string | null;
  original_url: string | null;
  created_at: string | null;
  created_by: string | null;
  is_active: boolean | null;
  description: string | null;
};

/** A row of the seeds' link_clicks; the address as text. */
export type SeedsClickRow = {
  click_id: string;
  tracking_id: string;
  clicked_at: string | null;
  ip_address: string | null;
  user_agent: string | null;
  referrer_url: string | null;
  session_id: string | null;
  click_source: string | null;
  metadata: unknown;
};

/** The job-application system's own tables in another PostgreSQL database, read only, a page at a time in key order. */
export interface SeedsTables {
  /** Checks the tables and columns are there; an error names what is missing. */
  check(): Promise<void>;
  links(after: string, limit: number): Promise<SeedsLinkRow[]>;
  /** Clicks after click id `after` (null: from the first). */
  clicks(after: string | null, limit: number): Promise<SeedsClickRow[]>;
  close(): Promise<void>;
}

/** A refusal of the seeds' database: not reachable, not the seeds' tables. */
export class SeedsError extends Error {}
