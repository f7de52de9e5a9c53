/**
 * What the signal rule asks about new clicks (store.ts's SignalFacts), answered inside
 * the clicks' transaction.
 *
 * The latest human click per link and per application is remembered as clicks are
 * stored, so that a redirect's click costs no query to know whether it is a first or a
 * return. It is read from link_clicks the first time, which must then hold every click
 * committed before: the store moves the inbox over before a write whose memo is stale
 * (`stale()`), never inside the write. The memo forgets all of it when stored clicks
 * change without saying which (clickRewrites), and only the touched links and their
 * applications when they do (a burst's reclassification, another connection's writes).
 *
 * A writer on another connection (the ingest worker) keeps no memo across transactions:
 * `oneTransaction` reads the database each time, the inbox moved first within the
 * same transaction when a read is needed.
 */
import type { Link, NewClick, SignalFacts, SignalRule, SignalType } from "../store";
import { clickRewrites, previousHumanClickOfLink, previousHumanClickOfLinks, takeTouchedLinks } from "./clicks";
import { inboxBacklog, settleClicks } from "./inbox";
import type { Db } from "./index";
import { allTrackingIdsCached, findLinkCached, linksOf } from "./links";
import { insertSignal, signalExists } from "./signals";

type Memo = { generation: number; byLink: Map<string, string | null>; byApplication: Map<string, string | null> };

export class ClickFacts implements SignalFacts {
  private memo: Memo = { generation: -1, byLink: new Map(), byApplication: new Map() };
  /** Links forgotten since the inbox was last moved: reading them needs the inbox moved first. */
  private forgotten = false;

  private constructor(
    private readonly db: Db,
    private readonly settleInside: boolean,
  ) {}

  /** The server's connection: one memo for its lifetime. */
  static lasting(db: Db): ClickFacts {
    return new ClickFacts(db, false);
  }

  /** Another connection's writer: nothing remembered between transactions; the inbox moved inside the transaction when needed. */
  static oneTransaction(db: Db): ClickFacts {
    const facts = new ClickFacts(db, true);
    facts.memo.generation = clickRewrites(db);
    return facts;
  }

  /** Whether the next write must have the inbox moved first (its memo will read link_clicks). */
  stale(): boolean {
    return this.forgotten || this.memo.generation !== clickRewrites(this.db) || this.peekTouched();
  }

  private peekTouched(): boolean {
    const touched = takeTouchedLinks(this.db);
    if (!touched) return false;
    this.forget(touched);
    return true;
  }

  /** Links whose stored clicks changed elsewhere (another connection wrote them). */
  forget(trackingIds: Iterable<string>): void {
    const now = Date.now();
    for (const trackingId of trackingIds) {
      this.memo.byLink.delete(trackingId);
      const applicationId = findLinkCached(this.db, trackingId, now)?.applicationId;
      if (applicationId) this.memo.byApplication.delete(applicationId);
    }
    this.forgotten = true;
  }

  /** The inbox was moved: whatever is read from link_clicks now is complete. */
  settled(): void {
    this.forgotten = false;
  }

  private current(): Memo {
    const memo = this.memo;
    if (memo.generation !== clickRewrites(this.db) || memo.byLink.size > 50_000) {
      takeTouchedLinks(this.db);
      memo.generation = clickRewrites(this.db);
      memo.byLink.clear();
      memo.byApplication.clear();
    } else this.peekTouched();
    return memo;
  }

  private beforeRead(): void {
    if (this.settleInside && inboxBacklog(this.db) > 0) settleClicks(this.db);
  }

  /** The latest human click before `click` (read once), then `click` noted as the latest. */
  private previousAndNote(map: Map<string, string | null>, key: string, click: NewClick, read: () => string | null): string | null {
    let latest = map.get(key);
    if (latest === undefined) {
      this.beforeRead();
      latest = read();
    }
    // A click older than the latest known (a late ingested event) asks the database (the
    // memo holds only the latest); one of the same millisecond comes after it
    // (time-ordered ids), so the latest is its previous.
    const previous = latest !== null && latest > click.clickedAt ? (this.beforeRead(), read()) : latest;
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
    return this.previousAndNote(memo.byLink, trackingId, click, () => previousHumanClickOfLink(this.db, trackingId, click.clickedAt, click.clickId));
  }

  previousHumanOfApplication(applicationId: string, click: NewClick): string | null {
    const memo = this.current();
    return this.previousAndNote(memo.byApplication, applicationId, click, () =>
      previousHumanClickOfLinks(
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

/** Stores what `rule` decides about clicks just stored, in their transaction. */
export function storeSignals(db: Db, rule: SignalRule | undefined, facts: ClickFacts, clicks: NewClick[]): void {
  if (!rule || clicks.length === 0) return;
  for (const signal of rule(facts, clicks)) insertSignal(db, signal);
}
