/**
 * The SQLite store: today's bun:sqlite code behind the async Store interface.
 *
 * What no caller has to know:
 *   - Redirect clicks (and their events) wait in the inbox, a file of its own (inbox.ts).
 *     Every read of clicks moves it over first, here and only here, in slices that leave
 *     the event loop free; concurrent reads share one move. A move that fails is the
 *     read's error.
 *   - This connection never waits for SQLite's lock by blocking the thread: its busy
 *     timeout is 0 and a busy write is tried again on a later turn of the event loop
 *     (up to BUSY_WAIT_MS), so a redirect never stalls behind another connection's write.
 *   - Reads that can touch a million rows run on reader threads with read-only
 *     connections; ingest batches (while redirects come in) and inbox moves run on a
 *     writer thread with its own connection (when the database is a file and the
 *     composition gives the workers).
 *   - Errors that mean "the database cannot take this now" (busy, read-only, full, I/O)
 *     become StoreUnavailable; the app answers them 503.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Logger } from "../../lib/log";
import { silentLogger } from "../../lib/log";
import { Conflict } from "../../lib/errors";
import {
  StoreUnavailable,
  type ApiKey,
  type ApplicationRepository,
  type ClickRepository,
  type DestinationRepository,
  type Delivery,
  type Endpoint,
  type ExportFilter,
  type KeyRepository,
  type Link,
  type LinkRepository,
  type NewClick,
  type OutboxRepository,
  type SessionRepository,
  type SettingRepository,
  type Signal,
  type SignalRepository,
  type SignalRule,
  type Store,
  type StoredClick,
  type WebhookRepository,
} from "../store";
import { backupTo } from "./backup";
import * as applications from "./applications";
import * as clicks from "./clicks";
import * as destinations from "./destinations";
import { createDb, inboxPath, type Db } from "./index";
import { inboxBacklog, queueClicks, READ_SLICE, GAP_MS, settleClicks, settleWithin, startInboxMover } from "./inbox";
import * as keys from "./keys";
import * as sessions from "./sessions";
import { Lane, type MakeWorker } from "./lane";
import * as links from "./links";
import * as outbox from "./outbox";
import type { ReadRequest } from "./reader";
import { READS, type ReadArgs, type ReadName } from "./reads";
import { saltForDay } from "./salts";
import { putSetting, settingOf, settingOrCreate } from "./settings";
import { ClickFacts, storeSignals } from "./signal-facts";
import { backfillSlice, backfillState, countPending, hasPending, PENDING_SLICE } from "./rollups";
import { Turns } from "./turns";
import * as signals from "./signals";
import { nextTurn } from "../../lib/turns";
import type { WriteAnswer, WriteRequest, WriterInit } from "./writer";

/**
 * Clicks the writer thread moves from the inbox in one transaction, holding the inbox's
 * lock meanwhile: a few milliseconds' worth, since a recruiter's commit waits for one
 * slice at most. (Slices of 1,000 for a read's move: p99 of redirects 55–66 ms while the
 * links list was read in a loop under a flood, 44 ms with 250.)
 */
const WORKER_SLICE = 250;

/** Ingest batches this recent keep the background from counting (their senders wait for none of it). */
const INGEST_RECENT_MS = 250;

/** Between two slices of the backfill. */
const BACKFILL_GAP_MS = 25;

/** How long a write keeps trying while another connection holds the lock (then: unavailable). */
const BUSY_WAIT_MS = 5000;
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|READONLY|FULL|IOERR|CANTOPEN|PROTOCOL|NOTADB|CORRUPT)/;
const isBusy = (error: unknown) => /^SQLITE_(BUSY|LOCKED)/.test(String((error as { code?: unknown })?.code ?? ""));
const asStoreError = (error: unknown) => (UNAVAILABLE.test(String((error as { code?: unknown })?.code ?? "")) ? new StoreUnavailable(error) : error);

/** The store whose tx() the current async call runs in. */
const inTransaction = new AsyncLocalStorage<SqliteStore>();

export type SqliteStoreOptions = {
  /** Migrations applied at open (default true). */
  migrate?: boolean;
  /** Open an existing file read-only (every write is then StoreUnavailable). */
  readonly?: boolean;
  /** Decides the signals of new clicks (webhooks, the feed); none when absent. */
  signals?: { rule: SignalRule; returnDays: number; holdSeconds: number };
  /** Worker threads for heavy reads and ingest writes; without them the work runs on this thread. */
  workers?: { reader?: MakeWorker; writer?: MakeWorker; checkpointer?: MakeWorker };
  /** A server: the inbox is moved in the background and the WAL checkpointed by a worker. */
  background?: { onQuiet?: () => void };
  log?: Logger;
};

export class SqliteStore implements Store {
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

  private readonly facts: ClickFacts;
  private readonly rule: SignalRule | undefined;
  /** Two reader threads: an export waits behind no analytics, and the other way round. */
  private readonly reader: Lane<ReadRequest> | null;
  private readonly exporter: Lane<ReadRequest> | null;
  private readonly writer: Lane<WriteRequest> | null;
  private readonly stops: (() => void)[] = [];
  private moving: Promise<void> | null = null;
  private counting: Promise<void> | null = null;
  /**
   * Every write of this store, its writer thread's included, takes its turn at the lock it
   * needs (turns.ts): the main database's, the inbox file's, or both (a move). None of
   * them then waits for a lock by polling. A redirect's commit needs the inbox's alone and
   * goes before the next slice of a move; a small write goes before the ingest batches
   * waiting, so it waits for one batch at most, never for a queue of them.
   */
  private readonly mainLock = new Turns();
  private readonly inboxLock = new Turns();
  readonly probeWrites = false;
  private txOpen = false;
  /** When the last ingest batch came: while they keep coming, the background leaves their counting for later. */
  private lastInsertAt = Number.NEGATIVE_INFINITY;
  private closed = false;

  constructor(
    /** The connection; only src/db/sqlite and the tests' one helper touch it. */
    readonly db: Db,
    readonly path: string,
    private readonly options: SqliteStoreOptions = {},
  ) {
    const log = options.log ?? silentLogger();
    this.facts = ClickFacts.lasting(db);
    this.rule = options.signals?.rule;
    const onFile = path !== ":memory:" && !options.readonly;
    this.reader = onFile && options.workers?.reader ? new Lane("reader", options.workers.reader, log, { path }) : null;
    this.exporter = onFile && options.workers?.reader ? new Lane("exporter", options.workers.reader, log, { path }) : null;
    const writerInit: WriterInit = {
      path,
      signals: options.signals ? { returnDays: options.signals.returnDays, holdSeconds: options.signals.holdSeconds } : null,
      checkpointer: !!options.background && !!options.workers?.checkpointer,
    };
    this.writer = onFile && options.workers?.writer ? new Lane("writer", options.workers.writer, log, writerInit) : null;
    if (options.background && onFile) this.startBackground(log, options.background.onQuiet);
    // A command, not a server: the roll-ups are filled in before it reads (a server does it
    // in the background). Only when there is a backfill to do (a read): a command beside a
    // busy server (backup, stats) takes no write lock for nothing; busy, it leaves it to the server.
    else if (!options.readonly && options.migrate !== false && backfillState(db)) {
      try {
        while (backfillSlice(db) !== null);
      } catch (error) {
        if (!isBusy(error)) throw asStoreError(error);
      }
    }
    this.links = this.linkRepository();
    this.clicks = this.clickRepository();
    this.signals = this.signalRepository();
    this.webhooks = this.webhookRepository();
    this.keys = this.keyRepository();
    this.sessions = this.sessionRepository();
    this.applications = this.applicationRepository();
    this.settings = this.settingRepository();
    this.outbox = this.outboxRepository();
    this.destinations = this.destinationRepository();
  }

  private startBackground(log: Logger, onQuiet?: () => void) {
    const mover = startInboxMover(this.db, log, {
      onQuiet,
      paused: () => this.moving !== null,
      // A slice of the inbox, then the clicks stored meanwhile are counted: unless ingest
      // batches are pouring in (counted then in the first quiet moment, or by a read).
      move: async (limit) => (await this.moveSlice(limit)) + (performance.now() - this.lastInsertAt < INGEST_RECENT_MS ? 0 : await this.countSlice()),
      slice: this.writer ? WORKER_SLICE : undefined,
    });
    this.stops.push(() => mover.stop());
    this.startBackfill(log);
    const make = this.options.workers?.checkpointer;
    if (make) {
      const checkpointer = make();
      checkpointer.postMessage({ paths: [this.path, inboxPath(this.path)] });
      checkpointer.onerror = (event) => log.error({ err: event.message }, "background checkpoints stopped; the connection checkpoints itself");
      this.stops.push(() => checkpointer.terminate());
    }
  }

  /**
   * Counts the clicks a database had before its roll-ups existed (rollups.ts), a slice at
   * a time, on the writer thread when there is one, while the server answers.
   */
  private startBackfill(log: Logger) {
    const state = backfillState(this.db);
    if (!state) return;
    const total = state.up_to;
    const started = performance.now();
    let counted = 0;
    let logged = 0;
    let stopped = false;
    log.info({ clicks: total }, "counting the stored clicks into the roll-ups; analytics fill in meanwhile");
    const writer = this.writer;
    const slice = () =>
      this.mainLock.run("bulk", () =>
        writer ? (writer.ask({ id: writer.nextId(), type: "backfill" }) as Promise<number | null>) : this.attempt(() => backfillSlice(this.db)),
      );
    const step = async () => {
      if (stopped) return;
      let done: number | null;
      try {
        done = await slice();
      } catch (error) {
        log.warn({ err: error }, "the roll-ups could not be filled in yet; trying again in a second");
        setTimeout(step, 1000);
        return;
      }
      if (done === null) {
        log.info({ clicks: counted, seconds: Math.round((performance.now() - started) / 100) / 10 }, "roll-ups complete");
        return;
      }
      counted += done;
      if (counted - logged >= total / 10) {
        logged = counted;
        log.info({ clicks: counted, of: total }, "filling in the roll-ups");
      }
      // A gap between two slices longer than a waiting write's longest back-off (attempt()):
      // a redirect's commit that met a slice gets in before the next one.
      setTimeout(step, BACKFILL_GAP_MS);
    };
    setTimeout(step, 0);
    this.stops.push(() => {
      stopped = true;
    });
  }

  /** Runs `work` now, again on later turns while the database is busy, then gives up as unavailable. */
  private async attempt<T>(work: () => T): Promise<T> {
    const deadline = performance.now() + BUSY_WAIT_MS;
    for (let wait = 1; ; wait = Math.min(wait * 2, 20)) {
      try {
        return work();
      } catch (error) {
        if (!isBusy(error) || performance.now() >= deadline) throw asStoreError(error);
      }
      await Bun.sleep(wait);
    }
  }

  /** A write on this connection, in its turn (inside a tx(), at once: the tx holds the turn). */
  private write<T>(work: () => T): Promise<T> {
    if (inTransaction.getStore() === this) return this.attempt(work);
    return this.mainLock.run("urgent", () => this.attempt(work));
  }

  /**
   * Moves every click waiting in the inbox into link_clicks, in slices with the event
   * loop free between them. Reads that arrive meanwhile share the move under way: it
   * goes on until a slice finds the inbox (nearly) empty, so it also moves theirs.
   */
  private settled(): Promise<void> {
    this.moving ??= this.moveInbox().finally(() => {
      this.moving = null;
    });
    return this.moving;
  }

  /**
   * The inbox moved, then every click stored since the roll-ups last counted (ingested
   * ones, those just moved) counted: what a read of the roll-ups waits for. Concurrent
   * reads share one count.
   */
  private countedAll(): Promise<void> {
    this.counting ??= (async () => {
      await this.settled();
      while ((await this.attempt(() => hasPending(this.db))) && (await this.countSlice()) >= PENDING_SLICE);
    })().finally(() => {
      this.counting = null;
    });
    return this.counting;
  }

  /** Counts up to PENDING_SLICE clicks not counted yet, on the writer thread when there is one. */
  private countSlice(): Promise<number> {
    const writer = this.writer;
    if (!writer) return this.write(() => countPending(this.db));
    return this.mainLock.run("urgent", () => writer.ask({ id: writer.nextId(), type: "count" }) as Promise<number>).catch((error) => {
      throw asStoreError(error);
    });
  }

  private async moveInbox(): Promise<void> {
    if ((await this.attempt(() => inboxBacklog(this.db))) === 0) return;
    // On the writer thread, no pause between slices: this thread is free meanwhile, and a
    // redirect's commit waits for one slice's lock at most.
    const slice = this.writer ? WORKER_SLICE : READ_SLICE;
    for (let slices = 0; slices < 4000; slices++) {
      const moved = await this.moveSlice(slice);
      if (moved < slice) break;
      if (!this.writer) await Bun.sleep(GAP_MS);
    }
    await this.moveSlice(Number.POSITIVE_INFINITY);
  }

  /** Moves up to `limit` waiting clicks, on the writer thread when there is one. */
  private moveSlice(limit: number): Promise<number> {
    const writer = this.writer;
    if (!writer) return this.write(() => settleClicks(this.db, limit));
    // Both locks, in this order (a redirect's commit takes the inbox's alone: no cycle).
    const move = () => this.inboxLock.run("urgent", () => writer.ask({ id: writer.nextId(), type: "move", limit }) as Promise<number>);
    return this.mainLock.run("urgent", move).catch((error) => {
      throw asStoreError(error);
    });
  }

  /** A read of clicks: every click committed before it is in link_clicks first. */
  private async readClicks<T>(work: () => T): Promise<T> {
    await this.settled();
    return this.attempt(work);
  }

  /**
   * A change to stored clicks: the inbox moved first (in slices), and what came in since
   * moved with the change, in its turn, so that it changes those too.
   */
  private async changeClicks<T>(work: () => T): Promise<T> {
    await this.settled();
    return this.write(() => {
      settleClicks(this.db);
      return work();
    });
  }

  private read<T>(work: () => T): Promise<T> {
    return this.attempt(work);
  }

  private linkRepository(): LinkRepository {
    const db = this.db;
    return {
      find: (id) => this.read(() => links.findLink(db, id)),
      findCached: (id, nowMs) => links.findLinkCached(db, id, nowMs),
      insert: (rows) =>
        this.write(() => {
          try {
            return links.insertLinks(db, rows);
          } catch (error) {
            if (String((error as { code?: unknown }).code).startsWith("SQLITE_CONSTRAINT")) {
              const taken = rows.find((r) => links.findLink(db, r.trackingId));
              throw new Conflict("tracking_id is already taken", { tracking_id: taken?.trackingId ?? null });
            }
            throw error;
          }
        }),
      update: (id, changes) => this.write(() => links.updateLink(db, id, changes)),
      rebase: (from, to, after, limit) => this.write(() => links.rebaseLinks(db, from, to, after, limit)),
      deleteWithClicks: (id) => this.changeClicks(() => links.deleteLinkAndClicks(db, id)),
      list: (filter) => this.read(() => links.listLinks(db, filter)),
      sourceInUse: (source) => this.read(() => links.sourceInUse(db, source)),
      of: (by) => this.read(() => links.linksOf(db, by)),
      ofApplications: (ids) => this.read(() => links.linksOfApplications(db, ids)),
      probableOf: async (orphans) => new Map(await this.readOff("probableOf", orphans)),
      counts: (now) => this.read(() => links.linkCounts(db, now)),
      applicationsWithoutHumanClick: () => this.countedAll().then(() => this.read(() => links.applicationsWithoutHumanClick(db))),
    };
  }

  /** Signals of new clicks, in their transaction, decided with this connection's memo (a redirect's: waiting with its clicks). */
  private afterStored = (stored: NewClick[]) => storeSignals(this.db, this.rule, this.facts, stored);
  private afterQueued = (queued: NewClick[]) => storeSignals(this.db, this.rule, this.facts, queued, true);

  /**
   * A redirect's group commit takes its turn at the inbox file's lock, first: it waits
   * for one slice of a move at most, and never for the main database's writes (an ingest
   * batch on the writer thread); inside an open tx(), for that tx.
   */
  private record(batch: NewClick[]): Promise<void> {
    // Rolled back (to be tried again, or failed): the memo undoes what it noted.
    const work = () =>
      this.facts.within(() => {
        this.facts.prime(batch);
        return queueClicks(this.db, batch, this.afterQueued);
      });
    return this.txOpen ? this.write(work) : this.inboxLock.run("first", () => this.attempt(work));
  }

  /**
   * An ingest batch goes to the writer thread when there is one: there its 10 to 50 ms
   * transaction (the clicks described, their signals decided) holds no redirect, however
   * rare (a recruiter's click that came while a batch was written here waited 75 ms at
   * the median). Without a writer it is written here, in its turn.
   */
  private async insert(batch: NewClick[]): Promise<boolean[]> {
    this.lastInsertAt = performance.now();
    if (this.writer) {
      const writer = this.writer;
      const answer = (await this.mainLock.run("bulk", () => writer.ask({ id: writer.nextId(), type: "insert", clicks: batch })).catch((error) => {
        throw asStoreError(error);
      })) as WriteAnswer;
      if (answer.touched.length > 0) this.facts.forget(answer.touched);
      return answer.isNew;
    }
    return this.mainLock.run("bulk", () =>
      this.attempt(() =>
        this.facts.within(() => {
          this.facts.prime(batch);
          return clicks.insertClicks(this.db, batch, this.afterStored);
        }),
      ),
    );
  }

  private async *exportPages(filter: ExportFilter): AsyncIterable<unknown[][]> {
    await this.settled();
    const lane = this.exporter;
    if (!lane) {
      // On this thread: a page at a time, the event loop's turn between two.
      for (const page of clicks.exportPages(this.db, filter)) {
        yield page;
        await new Promise((resolve) => setImmediate(resolve));
      }
      return;
    }
    const stream = lane.nextId();
    lane.open++;
    let finished = false;
    try {
      for (;;) {
        const page = (await lane.ask({ id: lane.nextId(), type: "export-next", stream, filter })) as unknown[][] | null;
        if (page === null) {
          finished = true;
          return;
        }
        yield page;
      }
    } finally {
      lane.open--;
      if (!finished) lane.tell({ id: lane.nextId(), type: "export-cancel", stream });
    }
  }

  private clickRepository(): ClickRepository {
    const db = this.db;
    // Reads of the roll-ups, on the reader thread when there is one: every committed click moved and counted first.
    const offThread = <N extends ReadName>(name: N, ...args: ReadArgs<N>) => this.countedAll().then(() => this.readOff(name, ...args));
    return {
      record: (batch) => this.record(batch),
      insert: (batch) => this.insert(batch),
      count: () => this.readClicks(() => clicks.countClicks(db)),
      findByKey: (key) => this.read(() => clicks.findClickByKey(db, key) as StoredClick | undefined),
      totals: (filter, since24h, since7d) => offThread("totals", filter, since24h, since7d),
      countsBy: (filter, by) => offThread("countsBy", filter, by),
      breakdowns: (filter, by) => offThread("breakdowns", filter, by),
      span: (filter) => offThread("span", filter),
      perDay: (filter, tz) => offThread("perDay", filter, tz),
      recentOf: (id, limit) => this.readClicks(() => clicks.recentClicksOf(db, id, limit)),
      exportPages: (filter) => this.exportPages(filter),
      unlocated: (after, limit) => this.readClicks(() => clicks.unlocatedClicks(db, after, limit)),
      setPlaces: (places) => this.write(() => clicks.setClickPlaces(db, places)),
      reclassify: (ids, kind, reason, at = new Date().toISOString(), from) => this.write(() => clicks.reclassifyClicks(db, ids, kind, reason, at, from)),
      // On this thread, a slice of 5,000 rows (a millisecond or two): started at every start, it must not start the reader thread for nothing.
      ofKind: (kind, after) => this.readClicks(() => clicks.clicksOfKind(db, kind, after)),
      perLinkKindCounts: (ids) => offThread("perLinkKindCounts", ids),
      humanOf: (ids, limit) => this.readClicks(() => clicks.humanClicksOf(db, ids, limit)),
      topLinksIn: (p, limit) => offThread("topLinksIn", p, limit),
      applicationActivity: (returnDays, ids) => offThread("applicationActivity", returnDays, ids),
      applicationStandings: (returnDays) => offThread("applicationStandings", returnDays),
      recentIn: (p, limit) => this.readClicks(() => clicks.recentClicksIn(db, p, limit)),
      orphansIn: (p, limit) => offThread("orphansIn", p, limit),
      // Thousands of rows in a flood: read on the reader thread, after the inbox's redirect clicks are moved in.
      burstCandidates: (filter, limit) => this.settled().then(() => this.readOff("burstCandidates", filter, limit)),
      attributeOrphan: (orphan, id) => this.changeClicks(() => clicks.attributeOrphan(db, orphan, id)),
      // A slice of the table at a time, the event loop's turn between two.
      deleteFromIp: async (ip) => {
        let total = 0;
        for (let from: number | null = 0; from !== null; ) {
          const slice: { deleted: number; next: number | null } = await this.changeClicks(() => clicks.deleteClicksFromIpSlice(db, ip, from!));
          total += slice.deleted;
          from = slice.next;
          if (from !== null) await nextTurn();
        }
        return total;
      },
      // Retention: the inbox holds the newest clicks, which it leaves where they are.
      deleteBefore: (before, limit) => this.write(() => clicks.deleteClicksBefore(db, before, limit)),
    };
  }

  /** A read of events: those waiting beside redirect clicks in the inbox's file moved first (a few rows). */
  private async readSignals<T>(work: () => T): Promise<T> {
    if (await this.read(() => signals.hasWaitingSignals(this.db))) await this.write(() => signals.moveSignals(this.db));
    return this.read(work);
  }

  private signalRepository(): SignalRepository {
    const db = this.db;
    return {
      cancelOf: (ids, at) => this.write(() => signals.cancelSignalsOf(db, ids, at)),
      due: (after, now, limit) => this.readSignals(() => signals.dueSignals(db, after, now, limit) as Signal[]),
      maxSeq: () => this.readSignals(() => signals.maxSignalSeq(db)),
      firstSeqSince: (at) => this.readSignals(() => signals.firstSignalSeqSince(db, at)),
      bySeq: (seq) => this.readSignals(() => signals.signalBySeq(db, seq) as Signal | undefined),
      ofClick: (clickId) => this.readSignals(() => signals.signalsOfClick(db, clickId) as Signal[]),
    };
  }

  private webhookRepository(): WebhookRepository {
    const db = this.db;
    return {
      insert: (endpoint) => this.write(() => signals.insertEndpoint(db, endpoint) as Endpoint),
      list: () => this.read(() => signals.listEndpoints(db) as Endpoint[]),
      find: (id) => this.read(() => signals.findEndpoint(db, id) as Endpoint | undefined),
      update: (id, changes) => this.write(() => signals.updateEndpoint(db, id, changes) as Endpoint | undefined),
      delete: (id) => this.write(() => signals.deleteEndpoint(db, id)),
      schedule: (endpoint, now) => this.write(() => signals.scheduleDeliveries(db, endpoint, now)),
      dueDeliveries: (now, limit) => this.read(() => signals.dueDeliveries(db, now, limit) as Delivery[]),
      recordAttempt: (seq, changes) => this.write(() => signals.recordAttempt(db, seq, changes)),
      deliveriesOf: (id, limit) => this.read(() => signals.deliveriesOf(db, id, limit) as { delivery: Delivery; eventId: string; type: Signal["type"] }[]),
      findDelivery: (id, seq) => this.read(() => signals.findDelivery(db, id, seq) as Delivery | undefined),
      claimDigest: (id, day) => this.write(() => signals.claimDigest(db, id, day)),
    };
  }

  private keyRepository(): KeyRepository {
    const db = this.db;
    return {
      findActiveByHash: (hash) => this.read(() => keys.findActiveKeyByHash(db, hash) as ApiKey | undefined),
      countActive: () => this.read(() => keys.countActiveKeys(db)),
      insert: (key) => this.write(() => keys.insertKey(db, key)),
      list: () => this.read(() => keys.listKeys(db) as ApiKey[]),
      findByName: (name) => this.read(() => keys.findKeyByName(db, name) as ApiKey | undefined),
      revoke: (name, at) => this.write(() => keys.revokeKey(db, name, at)),
      touch: (id, at) => this.write(() => keys.touchKey(db, id, at)),
    };
  }

  private sessionRepository(): SessionRepository {
    const db = this.db;
    return {
      insert: (session) => this.write(() => sessions.insertSession(db, session)),
      findByTokenHash: (hash) => this.read(() => sessions.findSessionByTokenHash(db, hash)),
      find: (id) => this.read(() => sessions.findSession(db, id)),
      listActive: (now) => this.read(() => sessions.listActiveSessions(db, now)),
      revoke: (which, at) => this.write(() => sessions.revokeSessions(db, which, at)),
      prune: (before) => this.write(() => sessions.pruneSessions(db, before)),
    };
  }

  /** One of READS, on the reader thread when there is one (the server's thread is not held), else here in its turn. */
  private readOff<N extends ReadName>(name: N, ...args: ReadArgs<N>): Promise<ReturnType<(typeof READS)[N]>> {
    type T = ReturnType<(typeof READS)[N]>;
    const reader = this.reader;
    if (!reader) return this.read(() => (READS[name] as (db: Db, ...a: unknown[]) => T)(this.db, ...args));
    return reader.ask({ type: "read", name, args, id: reader.nextId() } as ReadRequest).catch((e) => Promise.reject(asStoreError(e))) as Promise<T>;
  }

  private applicationRepository(): ApplicationRepository {
    const db = this.db;
    return {
      put: (id, changes, at) => this.write(() => applications.putApplication(db, id, changes, at)),
      find: (id) => this.read(() => applications.findApplication(db, id)),
      list: (ids) => this.read(() => applications.listApplications(db, ids)),
      page: (limit, after) => this.readOff("applicationPage", limit, after),
      count: () => this.read(() => applications.countApplications(db)),
      named: (company, role) => this.read(() => applications.namedApplications(db, company, role)),
      search: (text, limit) => this.read(() => applications.searchApplications(db, text, limit)),
      withIdPrefix: (prefix, limit) => this.read(() => applications.applicationIdsWithPrefix(db, prefix, limit)),
    };
  }

  private settingRepository(): SettingRepository {
    const db = this.db;
    return {
      getOrCreate: (key, make) => this.write(() => settingOrCreate(db, key, make)),
      get: (key) => this.read(() => settingOf(db, key)),
      put: (key, value) => this.write(() => putSetting(db, key, value)),
      saltForDay: (day) => this.write(() => saltForDay(db, day)),
    };
  }

  private outboxRepository(): OutboxRepository {
    const db = this.db;
    return {
      enqueue: (events, at) => this.write(() => outbox.enqueue(db, events, at)),
      peek: (limit) => this.read(() => outbox.peek(db, limit)),
      acknowledge: (acked, rejected, at) => this.write(() => outbox.settle(db, acked, rejected, at)),
      status: () => this.read(() => outbox.outboxStatus(db)),
    };
  }

  private destinationRepository(): DestinationRepository {
    const db = this.db;
    return {
      of: (ids) => this.read(() => destinations.destinationsOf(db, ids)),
      record: (id, next) => this.write(() => destinations.recordDestination(db, id, next)),
      down: (now, limit) => this.read(() => destinations.downDestinations(db, now, limit)),
      forget: (id) => this.write(() => destinations.forgetDestination(db, id)),
      failing: (before, limit, now) => this.read(() => destinations.failingDestinations(db, before, limit, now)),
      activeAfter: (after, limit, now) => this.read(() => destinations.activeAfter(db, after, limit, now)),
      // One server on a file: its transaction is the turn.
      inTurn: (work) => this.tx(work),
    };
  }

  /**
   * One transaction around `work`. Other writes through this store wait for it (they
   * would otherwise land inside it); reads go on and see its changes.
   */
  tx<T>(work: (store: Store) => Promise<T>): Promise<T> {
    const sqlite = this.db.$client;
    return this.mainLock.run("urgent", async () => {
      await this.attempt(() => sqlite.run("BEGIN IMMEDIATE"));
      this.txOpen = true;
      try {
        const result = await inTransaction.run(this, () => work(this));
        sqlite.run("COMMIT");
        return result;
      } catch (error) {
        if (sqlite.inTransaction) sqlite.run("ROLLBACK");
        throw asStoreError(error);
      } finally {
        this.txOpen = false;
      }
    });
  }

  async probe(): Promise<void> {
    await this.read(() => this.db.$client.query("select count(*) from link_tracking").get());
    await this.write(() => this.db.$client.run("UPDATE links_version SET version = version WHERE id = 1"));
  }

  size(): number {
    try {
      const row = this.db.$client.query("select page_count * page_size as bytes from pragma_page_count(), pragma_page_size()").get() as { bytes: number };
      return row.bytes;
    } catch {
      return 0;
    }
  }

  /** A consistent copy of the live database (backup.ts). */
  async backupTo(file: string): Promise<{ bytes: number }> {
    // The copy is of the main file: the waiting clicks go into it first.
    await this.settled();
    return backupTo(this.db, file);
  }

  /** Moves the inbox for at most `ms` (the rest move at the next start), ends the workers, closes. */
  async close(ms = 1000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const stop of this.stops) stop();
    await Promise.all([this.writer?.stop(ms), this.reader?.stop(0), this.exporter?.stop(0)]);
    try {
      settleWithin(this.db, ms);
    } catch {
      // Read-only or busy: the waiting clicks move at the next start.
    }
    this.db.$client.close();
  }
}

/** Opens (creating when needed) the database at `path`, or an in-memory one for ":memory:". */
export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): SqliteStore {
  const db = createDb(path, {
    migrate: options.migrate,
    readonly: options.readonly,
    checkpointer: !!options.workers?.checkpointer && !!options.background,
    busyTimeoutMs: 0,
  });
  return new SqliteStore(db, path, options);
}
