/**
 * What each instance remembers of the latest human click per link and per application,
 * so that a redirect's group commit usually needs no query to know it decides no signal:
 * one INSERT, not a transaction of five statements.
 *
 * An entry is a lower bound: some human click at `latest` is known to exist (read from the
 * database, or written by this instance). Other instances only add later clicks, so the
 * exact previous click p of a new click c lies in [latest, c]. When c - latest is within
 * the return window, the signal rule decides the same from `latest` as from p: not a
 * first (a previous exists) and not a return (the gap is within the window). Outside
 * that, or without an entry, the store reads the database.
 *
 * A reclassification (a burst found) can take a human click away: this instance's own
 * drop their entries at once; another instance's are caught by entries expiring after
 * TTL_MS (longer than nothing, shorter than a recruiter's reaction to a gateway's burst).
 */
import type { NewClick, SignalFacts } from "../store";

const TTL_MS = 5000;
/** Entries this old are read again in the background (a server's store), so that a busy link's seldom expire. */
export const REFRESH_AFTER_MS = 2000;
const MAX_ENTRIES = 50_000;

type Entry = { latest: string; readAt: number };

/** Thrown by the memory's facts when only the database can answer. */
export class NeedsDatabase extends Error {}

export class HumanMemo {
  private readonly byLink = new Map<string, Entry>();
  private readonly byApplication = new Map<string, Entry>();

  constructor(private readonly returnDays: number) {}

  private answer(map: Map<string, Entry>, key: string, click: NewClick, now: number): string {
    const entry = map.get(key);
    if (!entry || now - entry.readAt > TTL_MS) throw new NeedsDatabase();
    const gap = Date.parse(click.clickedAt) - Date.parse(entry.latest);
    if (gap < 0 || gap > this.returnDays * 86_400_000) throw new NeedsDatabase();
    return entry.latest;
  }

  /** Facts answered from memory; anything else throws NeedsDatabase. */
  facts(link: SignalFacts["link"], probableLink: SignalFacts["probableLink"]): SignalFacts {
    const now = Date.now();
    return {
      link,
      probableLink,
      previousHumanOfLink: (trackingId, click) => this.answer(this.byLink, trackingId, click, now),
      previousHumanOfApplication: (applicationId, click) => this.answer(this.byApplication, applicationId, click, now),
      signalExists: () => {
        throw new NeedsDatabase();
      },
    };
  }

  private note(map: Map<string, Entry>, key: string, at: string, readNow: boolean): void {
    const entry = map.get(key);
    if (map.size >= MAX_ENTRIES && !entry) map.clear();
    if (!entry) map.set(key, { latest: at, readAt: Date.now() });
    else map.set(key, { latest: at > entry.latest ? at : entry.latest, readAt: readNow ? Date.now() : entry.readAt });
  }

  /** A human click of the link known to exist (stored by this instance, or read from the database: `read`, which renews the entry). */
  noteLink(trackingId: string, clickedAt: string, read = false): void {
    this.note(this.byLink, trackingId, clickedAt, read);
  }

  noteApplication(applicationId: string, clickedAt: string, read = false): void {
    this.note(this.byApplication, applicationId, clickedAt, read);
  }

  /** Keys whose entries were read more than REFRESH_AFTER_MS ago, at most `limit` of each. */
  stale(limit: number): { links: string[]; applications: string[] } {
    const now = Date.now();
    const old = (map: Map<string, Entry>) => {
      const keys: string[] = [];
      for (const [key, entry] of map) {
        if (now - entry.readAt > REFRESH_AFTER_MS) keys.push(key);
        if (keys.length >= limit) break;
      }
      return keys;
    };
    return { links: old(this.byLink), applications: old(this.byApplication) };
  }

  /**
   * What the database says now (read at `readAt`): the latest human click of each key, or
   * null (none any more: a burst reclassified it, or it was deleted), which drops the entry.
   */
  refreshed(kind: "link" | "application", latest: Map<string, string | null>, readAt: number): void {
    const map = kind === "link" ? this.byLink : this.byApplication;
    for (const [key, at] of latest) {
      const entry = map.get(key);
      if (!entry) continue;
      if (at === null) map.delete(key);
      // A click this instance stored after the read began may be later than what was read.
      else map.set(key, { latest: entry.readAt > readAt && entry.latest > at ? entry.latest : at, readAt });
    }
  }

  /** Clicks were deleted: nothing known stays known. */
  clear(): void {
    this.byLink.clear();
    this.byApplication.clear();
  }

  /** Clicks of these links changed kind: what is known of them and their applications is forgotten. */
  forget(trackingIds: Iterable<string>, applicationOf: (trackingId: string) => string | null | undefined): void {
    for (const id of trackingIds) {
      this.byLink.delete(id);
      const app = applicationOf(id);
      if (app) this.byApplication.delete(app);
    }
  }
}
