/**
 * Group commit for redirect clicks. Clicks that arrive while no write is under way are
 * written together in one transaction as soon as the event loop turns; clicks arriving
 * while a write is under way wait for it and go in the next one, so under load one
 * commit covers many clicks and when idle a click waits for nothing but its own write.
 * Each caller's promise settles once its click is committed, so a 302 is only sent for
 * a click that is on disk.
 *
 * The promise never rejects, and settles after at most MAX_WAIT_MS however slow the
 * disk or long a lock: a recruiter's redirect must not fail or hang because tracking
 * did. A failed write is logged and counted instead.
 */
import type { ClickInsert } from "../../db/clicks";
import type { ClickWriter } from "../../db/click-writer";
import type { Logger } from "../../lib/log";
import type { Metrics } from "../../lib/metrics";
import type { WriteHealth } from "../health/service";

const MAX_WAIT_MS = 1000;

type Pending = { click: ClickInsert; done: () => void };

export class ClickRecorder {
  private queue: Pending[] = [];
  private scheduled = false;
  private writing: Promise<void> | null = null;

  constructor(
    private readonly writer: ClickWriter,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly health: WriteHealth,
  ) {}

  record(click: ClickInsert): Promise<void> {
    return new Promise((done) => {
      this.queue.push({ click, done });
      if (!this.scheduled && !this.writing) {
        this.scheduled = true;
        setImmediate(this.flush);
      }
    });
  }

  /** Resolves when every click recorded so far has been written (or has failed). */
  async drain(): Promise<void> {
    while (this.writing || this.queue.length > 0) {
      if (!this.writing) this.flush();
      await this.writing;
    }
  }

  private flush = (): void => {
    this.scheduled = false;
    if (this.writing || this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    const timer = setTimeout(() => {
      for (const p of batch) p.done();
    }, MAX_WAIT_MS);
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
        clearTimeout(timer);
        for (const p of batch) p.done();
        this.writing = null;
        if (this.queue.length > 0) this.flush();
      });
  };
}
