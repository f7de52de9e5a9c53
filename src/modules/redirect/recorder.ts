/**
 * Group commit for redirect clicks. Clicks that arrive in the same event-loop turn are
 * written in one transaction, and each caller's promise settles once that transaction
 * has committed, so a 302 is only sent for a click that is on disk. Under load one
 * commit covers many clicks; when idle a click waits for nothing but its own write.
 *
 * The promise never rejects: a recruiter's redirect must not fail because tracking did.
 * A failed write is logged and counted instead.
 */
import type { Db } from "../../db";
import { insertClicks, type ClickInsert } from "../../db/clicks";
import type { Logger } from "../../lib/log";
import type { Metrics } from "../../lib/metrics";

type Pending = { click: ClickInsert; done: () => void };

export class ClickRecorder {
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly db: Db,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {}

  record(click: ClickInsert): Promise<void> {
    return new Promise((done) => {
      this.queue.push({ click, done });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flush);
      }
    });
  }

  /** Writes everything queued so far. */
  flush = (): void => {
    const batch = this.queue;
    this.queue = [];
    this.scheduled = false;
    if (batch.length === 0) return;
    try {
      insertClicks(
        this.db,
        batch.map((p) => p.click),
      );
      this.metrics.clicksRecorded.inc(batch.length);
    } catch (error) {
      this.metrics.clicksFailed.inc(batch.length);
      this.log.error({ err: error, clicks: batch.length }, "clicks could not be recorded; redirects sent anyway");
    } finally {
      for (const p of batch) p.done();
    }
  };
}
