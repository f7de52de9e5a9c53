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
import type { Link, NewClick, SignalFacts, SignalRule, SignalType } from "../store";
import { clickRewrites, previousHumanClick, takeTouchedLinks } from "./clicks";
import type { Db } from "./index";
import { allTrackingIdsCached, findLinkCached, linksOf } from "./links";
import { insertSignal, moveSignals, signalExists } from "./signals";

type Memo = { generation: number; byLink: Map<string, string | null>; byApplication: Map<string, string | null> };

export class ClickFacts implements SignalFacts {
  private memo: Memo = { generation: -1, byLink: new Map(), byApplication: new Map() };
  /** What the open write noted, with the values it replaced: undone if the write rolls back. */
  private journal: [Map<string, string | null>, string, string | null | undefined][] = [];

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

  /** The latest human click before `click` (read once), then `click` noted as the latest. */
  private previousAndNote(map: Map<string, string | null>, key: string, click: NewClick, read: () => string | null): string | null {
    const known = map.get(key);
    const latest = known === undefined ? read() : known;
    // A click older than the latest known (a late ingested event) asks the database (the
    // memo holds only the latest); one of the same millisecond comes after it
    // (time-ordered ids), so the latest is its previous.
    const previous = latest !== null && latest > click.clickedAt ? read() : latest;
    this.journal.push([map, key, known]);
    map.set(key, latest === null || click.clickedAt > latest ? click.clickedAt : latest);
    return previous;
  }

  link(trackingId: string): Link | undefined {
    return findLinkCached(this.db, trackingId, Date.now());
  }

  allTrackingIds(): string[] {
    return allTrackingIdsCached(this.db, Date.now());
  }

  previousHumanOfLink(trackingId: string, click: NewClick): string | null {
    const memo = this.current();
    return this.previousAndNote(memo.byLink, trackingId, click, () => previousHumanClick(this.db, [trackingId], click.clickedAt, click.clickId));
  }

  previousHumanOfApplication(applicationId: string, click: NewClick): string | null {
    const memo = this.current();
    return this.previousAndNote(memo.byApplication, applicationId, click, () =>
      previousHumanClick(
        this.db,
        linksOf(this.db, { applicationId }).map((l) => l.trackingId),
        click.clickedAt,
        click.clickId,
      ),
    );
  }

  signalExists(type: SignalType, subject: string): boolean {
    return signalExists(this.db, type, subject);
  }
}

/** Stores what `rule` decides about clicks just stored, in their transaction (`waiting`: redirect clicks', beside them in the inbox's file). */
export function storeSignals(db: Db, rule: SignalRule | undefined, facts: ClickFacts, clicks: NewClick[], waiting = false): void {
  if (!rule || clicks.length === 0) return;
  const decided = rule(facts, clicks);
  // Events keep the order they happened in: redirect clicks' events still waiting go
  // first (rare: only a batch that has events of its own waits for the inbox's lock).
  if (decided.length > 0 && !waiting) moveSignals(db);
  for (const signal of decided) insertSignal(db, signal, waiting);
}
