/**
 * Group commit for redirect clicks. Clicks that arrive while no write is under way are
 * written together in one transaction as soon as the event loop turns; clicks arriving
 * while a write is under way wait for it and go in the next one, so under load one
 * commit covers many clicks and when idle a click waits for nothing but its own write.
 * Each caller's promise settles once its click is committed, so a 302 is only sent for
 * a click that is on disk.
 *
 * No click waits on a macrotask alone: Bun may run no `setImmediate` callback or timer
 * for as long as requests that each hold the loop keep arriving, so a stream of slow
 * requests elsewhere would hold every 302. When redirects are rare (no write started or
 * ended in the last QUIET_MS) a click is written in a microtask, right after its
 * request's handler; when they are many, the group gathers until the loop turns, but any
 * request that arrives (`nudge`, called for every request, and each new click) writes a
 * group that has waited MAX_GATHER_MS.
 *
 * The promise never rejects: a recruiter's redirect must not fail or hang because
 * tracking did; a failed write is logged and counted instead. It settles after at most
 * MAX_WAIT_MS while another connection holds the database's lock, because the store
 * waits for a lock on later turns of the event loop, where this timer runs. What the
 * timer cannot bound is a write the disk itself holds up: that call runs on this thread.
 */
import type { NewClick as ClickInsert } from "../../db/store";
import type { Logger } from "../../lib/log";
import type { Metrics } from "../../lib/metrics";
import type { WriteHealth } from "../health/service";

const MAX_WAIT_MS = 1000;
/** Without a write for this long, a click does not wait to be gathered with others. */
const QUIET_MS = 5;
/** The longest a group gathers when the loop does not turn. */
const MAX_GATHER_MS = 2;

/** Where clicks are written: the store (its group-commit path), or edge mode's outbox. */
export interface ClickWriter {
  /** Resolves once the clicks are committed; rejects if they could not be. */
  write(clicks: ClickInsert[]): Promise<void>;
}

type Pending = { click: ClickInsert; done: () => void; at: number };

export class ClickRecorder {
  private queue: Pending[] = [];
  private scheduled = false;
  private writing: Promise<void> | null = null;
  /** When the last write started or ended: within QUIET_MS of it, redirects are coming in. */
  private lastFlushAt = -Infinity;
  /** Releases clicks waiting behind a write that does not end (a database gone away) at their deadline. */
  private queueTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly writer: ClickWriter,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly health: WriteHealth,
  ) {}

  record(click: ClickInsert): Promise<void> {
    return new Promise((done) => {
      const now = performance.now();
      this.queue.push({ click, done, at: now });
      if (this.writing) {
        if (!this.queueTimer) this.queueTimer = setTimeout(this.releaseQueued, MAX_WAIT_MS);
      } else if (!this.scheduled) {
        this.scheduled = true;
        if (now - this.lastFlushAt > QUIET_MS) queueMicrotask(this.flush);
        else setImmediate(this.flush);
      } else this.nudge();
    });
  }

  /** A group that has gathered for MAX_GATHER_MS is written now, whether or not the loop has turned. */
  nudge(): void {
    if (this.scheduled && !this.writing && this.queue.length > 0 && performance.now() - this.queue[0]!.at > MAX_GATHER_MS) queueMicrotask(this.flush);
  }

  /** The clicks queued behind a write still under way have waited long enough: their redirects go (they are written after). */
  private releaseQueued = (): void => {
    this.queueTimer = null;
    for (const p of this.queue) p.done();
  };

  private flush = (): void => {
    this.scheduled = false;
    if (this.writing || this.queue.length === 0) return;
    this.lastFlushAt = performance.now();
    const batch = this.queue;
    this.queue = [];
    if (this.queueTimer) clearTimeout(this.queueTimer);
    this.queueTimer = null;
    // Each click waits MAX_WAIT_MS at most from when it came, queued time included.
    const timer = setTimeout(
      () => {
        for (const p of batch) p.done();
      },
      Math.max(0, MAX_WAIT_MS - (performance.now() - batch[0].at)),
    );
    this.writing = this.writer
      .write(batch.map((p) => p.click))
      .then(
        () => {
          this.metrics.clicksRecorded.inc(batch.length);
          this.health.ok();
        },
        (error) => {
          this.metrics.clicksFailed.inc(batch.length);
          this.health.failed();
          this.log.error({ err: error, clicks: batch.length }, "clicks could not be recorded; redirects sent anyway");
        },
      )
      .finally(() => {
        this.lastFlushAt = performance.now();
        clearTimeout(timer);
        for (const p of batch) p.done();
        this.writing = null;
        if (this.queue.length > 0) this.flush();
      });
  };
}
