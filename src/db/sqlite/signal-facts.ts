/**
 * What the signal rule asks about new clicks (store.ts's SignalFacts), answered inside
 * the clicks' transaction.
 *
 * The latest human click per link and per application is remembered as clicks are
 * stored, so that a redirect's click costs no query to know whether it is a first or a
 * return. It is read from the database the first time (link_clicks by its index, and the
 * clicks still waiting in the inbox where they are: no write ever moves the inbox first).
 * The memo forgets all of it when stored clicks change without saying which
 * (clickRewrites), and only the touched links and their applications when they do (a
 * burst's reclassification, the writer thread's clicks).
 *
 * The writer thread keeps no memo across transactions (`oneTransaction`): the server's
 * connection writes clicks it would not know of.
 */
import { isHumanVisit, type Link, type NewClick, type SignalFacts, type SignalRule, type SignalType } from "../store";
import { clickRewrites, previousHumanClick, takeTouchedLinks } from "./clicks";
import type { Db } from "./index";
import { findLinkCached, probableLinkCached } from "./links";
import { insertSignal, moveSignals, signalExists } from "./signals";

type Memo = { generation: number; byLink: Map<string, string | null>; byApplication: Map<string, string | null> };

export class ClickFacts implements SignalFacts {
  private memo: Memo = { generation: -1, byLink: new Map(), byApplication: new Map() };
  /** What the open write noted, with the values it replaced: undone if the write rolls back. */
  private journal: [Map<string, string | null>, string, string | null | undefined][] = [];
  /** The latest click the open write noted per link and per application (it notes them in time order). */
  private noted = new Map<Map<string, string | null>, Map<string, string>>();

  private constructor(private readonly db: Db) {}

  /** The server's connection: one memo for its lifetime. */
  static lasting(db: Db): ClickFacts {
    return new ClickFacts(db);
  }

  /** Another connection's writer: nothing remembered beyond one transaction. */
  static oneTransaction(db: Db): ClickFacts {
    const facts = new ClickFacts(db);
    facts.memo.generation = clickRewrites(db);
    return facts;
  }

  /** Runs a write that may note clicks: kept if it commits, undone if it throws (rolled back). */
  within<T>(write: () => T): T {
    this.journal = [];
    this.noted.clear();
    try {
      return write();
    } catch (error) {
      for (const [map, key, before] of this.journal.reverse()) {
        if (before === undefined) map.delete(key);
        else map.set(key, before);
      }
      throw error;
    } finally {
      this.journal = [];
      this.noted.clear();
    }
  }

  /** Links whose stored clicks changed elsewhere (another connection wrote them). */
  forget(trackingIds: Iterable<string>): void {
    const now = Date.now();
    for (const trackingId of trackingIds) {
      this.memo.byLink.delete(trackingId);
      const applicationId = findLinkCached(this.db, trackingId, now)?.applicationId;
      if (applicationId) this.memo.byApplication.delete(applicationId);
    }
  }

  private current(): Memo {
    const memo = this.memo;
    if (memo.generation !== clickRewrites(this.db) || memo.byLink.size > 50_000) {
      takeTouchedLinks(this.db);
      memo.generation = clickRewrites(this.db);
      memo.byLink.clear();
      memo.byApplication.clear();
    } else {
      const touched = takeTouchedLinks(this.db);
      if (touched) this.forget(touched);
    }
    return memo;
  }

  /**
   * The latest human click before `click`, then `click` noted: the memo holds the latest
   * of all (read once, then kept as clicks are stored), which is the previous of any click
   * after it. A click older than that (a late ingested event, an edge catching up) asks
   * the database for the one before it, in one statement.
   */
  private previousAndNote(map: Map<string, string | null>, key: string, click: NewClick, of: { trackingId: string } | { applicationId: string }, withinMs?: number): string | null {
    const latest = map.get(key);
    // Not primed (see prime): asked, and not remembered (the click itself may be stored already).
    if (latest === undefined) return previousHumanClick(this.db, of, click);
    // One of the same millisecond comes after it (time-ordered ids): the latest is its previous.
    let previous = latest;
    if (latest !== null && latest > click.clickedAt) {
      // Older than something stored: the one noted just before it in this write (time order), if near enough, else one statement.
      const near = this.noted.get(map)?.get(key);
      previous = near !== undefined && withinMs !== undefined && Date.parse(click.clickedAt) - Date.parse(near) <= withinMs ? near : previousHumanClick(this.db, of, click);
    }
    this.journal.push([map, key, latest]);
    map.set(key, latest === null || click.clickedAt > latest ? click.clickedAt : latest);
    if (!this.noted.has(map)) this.noted.set(map, new Map());
    this.noted.get(map)!.set(key, click.clickedAt);
    return previous;
  }

  /**
   * Before a batch is written: the latest human click of each link and application its
   * human clicks will ask about, read once where the memo does not hold it. The rule then
   * takes the batch in time order (storeSignals), so that each click's previous is the
   * memo's latest, or, for a click older than something stored, one statement.
   */
  prime(clicks: NewClick[]): void {
    const memo = this.current();
    for (const c of clicks) {
      if (!isHumanVisit(c)) continue;
      const link = this.link(c.trackingId);
      if (!link) continue;
      if (!memo.byLink.has(link.trackingId)) memo.byLink.set(link.trackingId, previousHumanClick(this.db, { trackingId: link.trackingId }));
      const app = link.applicationId;
      if (app && !memo.byApplication.has(app)) memo.byApplication.set(app, previousHumanClick(this.db, { applicationId: app }));
    }
  }

  link(trackingId: string): Link | undefined {
    return findLinkCached(this.db, trackingId, Date.now());
  }

  probableLink(orphanId: string): string | null {
    return probableLinkCached(this.db, orphanId, Date.now());
  }

  previousHumanOfLink(trackingId: string, click: NewClick, withinMs?: number): string | null {
    return this.previousAndNote(this.current().byLink, trackingId, click, { trackingId }, withinMs);
  }

  previousHumanOfApplication(applicationId: string, click: NewClick, withinMs?: number): string | null {
    return this.previousAndNote(this.current().byApplication, applicationId, click, { applicationId }, withinMs);
  }

  signalExists(type: SignalType, subject: string): boolean {
    return signalExists(this.db, type, subject);
  }
}

/** Stores what `rule` decides about clicks just stored, in their transaction (`waiting`: redirect clicks', beside them in the inbox's file). */
export function storeSignals(db: Db, rule: SignalRule | undefined, facts: ClickFacts, clicks: NewClick[], waiting = false): void {
  if (!rule || clicks.length === 0) return;
  // In time order, whatever order the batch came in (an edge's backlog, a client's retried queue).
  const inTime = [...clicks].sort((a, b) => (a.clickedAt < b.clickedAt ? -1 : a.clickedAt > b.clickedAt ? 1 : a.clickId < b.clickId ? -1 : a.clickId > b.clickId ? 1 : 0));
  const decided = rule(facts, inTime);
  // Events keep the order they happened in: redirect clicks' events still waiting go
  // first (rare: only a batch that has events of its own waits for the inbox's lock).
  if (decided.length > 0 && !waiting) moveSignals(db);
  for (const signal of decided) insertSignal(db, signal, waiting);
}
