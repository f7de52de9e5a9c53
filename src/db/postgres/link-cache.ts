/**
 * The links a PostgreSQL instance remembers: a read-through cache of MAX_LINKS entries
 * in least-recently-used order, so memory is bounded whatever the number of links.
 *
 * A lookup the cache cannot answer reads that one row; an id with no link is remembered
 * as unknown (at most MAX_UNKNOWN of them, for UNKNOWN_TTL_MS, so a flood of made-up ids
 * neither evicts real links nor hides a link made a moment later for long). Changes
 * reach every instance at once: a trigger on link_tracking bumps links_version and
 * NOTIFYs `link_tracker_links` with the new version and the ids it changed, and each
 * instance drops just those entries. A pooler in transaction mode delivers no
 * notifications: links_version is still polled every POLL_MS, and a version no
 * notification explained empties the cache (its entries are read again as asked).
 *
 * "Probably link X" answers for orphan ids are remembered beside it and forgotten at any
 * change of links.
 */
import type { Link } from "../store";
import type { Logger } from "../../lib/log";

export const LINKS_CHANNEL = "link_tracker_links";
export const MAX_LINKS = 20_000;
const MAX_UNKNOWN = 10_000;
const UNKNOWN_TTL_MS = 5000;
const MAX_PROBABLE = 10_000;

type Unknown = { at: number };

export class LinkCache {
  private readonly links = new Map<string, Link>();
  /**
   * Links dropped for no change of their own (the cache emptied because a change of some
   * link went unannounced, or the listener came back): read again when asked, but served
   * if that read fails, so that links in memory keep serving while the database is down.
   */
  private stale = new Map<string, Link>();
  private readonly unknown = new Map<string, Unknown>();
  private readonly probable = new Map<string, string | null>();
  /** The highest links_version a notification (or a full drop) accounts for. */
  private explained = -1;
  /** A version the poll saw that no notification explained yet, and since when. */
  private pending: { version: number; since: number } | null = null;
  /** Whether notifications arrive (a listener is up); without, every moved version empties the cache. */
  listening = false;
  /** Rows read from the database because the cache could not answer (for /metrics and the tests). */
  reads = 0;
  /** Times the cache was emptied because a change came without its notification. */
  drops = 0;
  /** Ids being read from the database, and whether what the read finds still holds (no change came meanwhile). */
  private readonly inFlight = new Map<string, boolean>();
  /** Moves at every change: a probable link worked out before one is not remembered. */
  private generation = 0;

  constructor(private readonly log: Logger) {}

  /** The link, null for an id known to have none, undefined when only the database can say. */
  peek(trackingId: string, nowMs = Date.now()): Link | null | undefined {
    const link = this.links.get(trackingId);
    if (link) {
      // Most recently used: to the end of the map's order.
      this.links.delete(trackingId);
      this.links.set(trackingId, link);
      return link;
    }
    const unknown = this.unknown.get(trackingId);
    if (unknown && nowMs - unknown.at < UNKNOWN_TTL_MS) return null;
    return undefined;
  }

  /** The current generation (for probable links worked out from the database). */
  begin(): number {
    return this.generation;
  }

  /** A read of `trackingId` from the database begins; its answer is given to `found`. */
  reading(trackingId: string): void {
    this.inFlight.set(trackingId, true);
  }

  /** What the read of `trackingId` found: kept, unless a change of that id came meanwhile. */
  found(trackingId: string, link: Link | undefined): void {
    this.stale.delete(trackingId);
    if (this.inFlight.get(trackingId)) this.put(trackingId, link);
  }

  /** The link as it was before the cache was emptied, for when the database cannot be read. */
  staleOf(trackingId: string): Link | undefined {
    return this.stale.get(trackingId);
  }

  /** The read of `trackingId` is over (found or failed). */
  done(trackingId: string): void {
    this.inFlight.delete(trackingId);
  }

  private put(trackingId: string, link: Link | undefined, nowMs = Date.now()): void {
    if (link) {
      this.unknown.delete(trackingId);
      this.links.delete(trackingId);
      if (this.links.size >= MAX_LINKS) this.links.delete(this.links.keys().next().value!);
      this.links.set(trackingId, link);
      return;
    }
    this.links.delete(trackingId);
    if (this.unknown.size >= MAX_UNKNOWN) this.unknown.clear();
    this.unknown.set(trackingId, { at: nowMs });
  }

  /** Links this instance just wrote: what it wrote is what the database holds. */
  wrote(links: Link[]): void {
    this.dropIds(links.map((l) => l.trackingId));
    for (const link of links) this.put(link.trackingId, link);
  }

  dropIds(ids: string[]): void {
    this.changed(ids);
    for (const id of ids) {
      this.links.delete(id);
      this.stale.delete(id);
      this.unknown.delete(id);
    }
  }

  /** Reads in flight of these ids (null: all) no longer hold; probable links neither. */
  private changed(ids: string[] | null): void {
    this.generation++;
    this.probable.clear();
    if (ids === null) for (const id of this.inFlight.keys()) this.inFlight.set(id, false);
    else for (const id of ids) if (this.inFlight.has(id)) this.inFlight.set(id, false);
  }

  /** Forgets that these ids (null: any id) had no link. */
  dropUnknown(ids: string[] | null): void {
    this.changed(ids);
    if (ids === null) this.unknown.clear();
    else for (const id of ids) this.unknown.delete(id);
  }

  /** Forgets everything; what was known stays as stale (staleOf) for while the database is away. */
  dropAll(): void {
    this.changed(null);
    for (const [id, link] of this.links) {
      if (this.stale.size >= MAX_LINKS) this.stale.delete(this.stale.keys().next().value!);
      this.stale.set(id, link);
    }
    this.links.clear();
    this.unknown.clear();
  }

  size(): number {
    return this.links.size;
  }

  probableOf(orphanId: string): string | null | undefined {
    return this.probable.get(orphanId);
  }

  rememberProbable(orphanId: string, linkId: string | null): void {
    if (this.probable.size >= MAX_PROBABLE) this.probable.clear();
    this.probable.set(orphanId, linkId);
  }

  /**
   * A notification: "VERSION ID ID …" for links changed or deleted; "VERSION + ID ID …" for
   * links added (only what was thought unknown can be wrong), "VERSION +" for more added
   * than a notification holds; "VERSION *" for more changed than it holds.
   */
  notified(payload: string): void {
    const [head, ...ids] = payload.split(" ");
    const version = Number(head);
    if (ids[0] === "*") this.dropAll();
    else if (ids[0] === "+") this.dropUnknown(ids.length > 1 ? ids.slice(1) : null);
    else this.dropIds(ids);
    if (Number.isFinite(version) && version > this.explained) this.explained = version;
    if (this.pending && this.pending.version <= this.explained) this.pending = null;
  }

  /** The listener (re)connected: what changed while it was away is unknown. */
  resumed(version: number): void {
    this.dropAll();
    this.explained = version;
    this.pending = null;
  }

  /**
   * The poll's reading of links_version. Without a listener a move empties the cache; with
   * one, a move still unexplained one poll later does (the notification was lost).
   */
  polled(version: number, nowMs = Date.now(), graceMs = 0): void {
    if (version <= this.explained) {
      this.pending = null;
      return;
    }
    if (this.explained < 0 || !this.listening || (this.pending && nowMs - this.pending.since >= graceMs)) {
      if (this.explained >= 0 && this.listening) {
        this.drops++;
        if (this.drops === 1) this.log.warn("a change of links came without its notification (a pooler in transaction mode?): the link cache is emptied at each change");
      }
      this.dropAll();
      this.explained = version;
      this.pending = null;
      return;
    }
    this.pending ??= { version, since: nowMs };
  }
}
