/**
 * Ships the outbox to TRACKING_API_URL in batches of at most 500, with X-API-Key and an
 * event_id per event, so that a batch sent twice is counted once upstream. A row leaves
 * the outbox only once acknowledged (200, or 207 for the accepted ones); events the
 * upstream rejects go to the dead letters with its reason. Network errors, 5xx and 429
 * are retried with exponential backoff and full jitter (Retry-After honoured), capped.
 * Any server that speaks tracking-ingest-guide.md will do, not only ours.
 */
import type { OutboxRow, Store } from "../../db/store";
import { backoffMs, postJson, retryable } from "../../lib/delivery";
import type { Logger } from "../../lib/log";
import { nowIso } from "../../lib/time";

export type ShipperOptions = {
  url: string;
  apiKey: string;
  log: Logger;
  batchSize?: number;
  timeoutMs?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Wait between looks at an empty outbox (new clicks also wake the shipper). */
  idleMs?: number;
};

type Outcome = { kind: "settled"; shipped: number } | { kind: "retry"; reason: string; retryAfterMs?: number } | { kind: "empty" };

const EVENT_ERROR = /^Event (\d+): (.*)$/;

/** The 1-based positions an answer's error lines name, with their reasons. */
function rejectedPositions(body: unknown): Map<number, string> {
  const b = body as { results?: { errors?: unknown }; validation_errors?: unknown };
  const lines = [b?.results?.errors, b?.validation_errors].flatMap((v) => (Array.isArray(v) ? v : []));
  const found = new Map<number, string>();
  for (const line of lines) {
    const m = typeof line === "string" ? EVENT_ERROR.exec(line) : null;
    if (m) found.set(Number(m[1]), m[2]);
  }
  return found;
}

export class Shipper {
  private stopped = false;
  private wakeUp: (() => void) | null = null;
  private failures = 0;
  private loop: Promise<void> | null = null;
  readonly opts: Required<ShipperOptions>;

  constructor(
    private readonly store: Store,
    options: ShipperOptions,
  ) {
    this.opts = { batchSize: 500, timeoutMs: 10_000, baseDelayMs: 500, maxDelayMs: 60_000, idleMs: 1000, ...options };
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** New clicks are in the outbox: ship now rather than at the next look. */
  wake(): void {
    this.wakeUp?.();
  }

  /**
   * Waits `ms`. New clicks end an idle wait at once; they do not end a backoff (during an
   * outage every click would otherwise send a batch to the failing upstream). Stopping
   * ends either.
   */
  private sleep(ms: number, { idle }: { idle: boolean }): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = () => {
        if (idle || this.stopped) done();
      };
    });
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const outcome = await this.shipOnce();
      if (this.stopped) break;
      if (outcome.kind === "settled") continue;
      if (outcome.kind === "empty") {
        await this.sleep(this.opts.idleMs, { idle: true });
        continue;
      }
      this.failures++;
      const delay = outcome.retryAfterMs ?? backoffMs(this.failures, this.opts.baseDelayMs, this.opts.maxDelayMs);
      this.opts.log.warn({ reason: outcome.reason, retry_in_ms: Math.round(delay), failures: this.failures }, "shipping clicks failed; will retry");
      await this.sleep(Math.min(delay, this.opts.maxDelayMs), { idle: false });
    }
  }

  /** One batch: send it and settle what the answer says. */
  async shipOnce(): Promise<Outcome> {
    const rows = await this.store.outbox.peek(this.opts.batchSize);
    if (rows.length === 0) return { kind: "empty" };
    const sent = await postJson(this.opts.url, JSON.stringify({ events: rows.map((r) => r.event) }), { "X-API-Key": this.opts.apiKey }, this.opts.timeoutMs);
    if (!sent.ok) return this.retry(`network: ${sent.error}`);
    if (retryable(sent)) return this.retry(`upstream answered ${sent.status}`, sent.retryAfterMs);
    const { status, body } = sent;
    if (status === 200 || status === 207 || status === 400) {
      const rejected = rejectedPositions(body);
      // A 400 that names no event (the envelope itself) is not the events' fault: retry.
      if (status === 400 && rejected.size === 0) return this.retry(`upstream refused the batch: ${JSON.stringify(body).slice(0, 200)}`);
      if (status === 200 && (body as { success?: unknown })?.success !== true) return this.retry("upstream's 200 did not say success");
      const dead: { row: OutboxRow; reason: string }[] = [];
      const acked: number[] = [];
      rows.forEach((row, i) => {
        const reason = rejected.get(i + 1);
        if (reason !== undefined) dead.push({ row, reason });
        else acked.push(row.seq);
      });
      await this.store.outbox.acknowledge(acked, dead, nowIso());
      if (dead.length > 0) this.opts.log.warn({ rejected: dead.length, first: dead[0].reason }, "upstream rejected events; kept as dead letters");
      this.failures = 0;
      return { kind: "settled", shipped: rows.length };
    }
    // 401, 403, 404, 413…: a setting to fix, not events to drop. Keep them and retry.
    return this.retry(`upstream answered ${status}: ${JSON.stringify(body).slice(0, 200)}`);
  }

  private retry(reason: string, retryAfterMs?: number): Outcome {
    return { kind: "retry", reason, retryAfterMs };
  }

  /** Ships until the outbox is empty or the deadline passes (SIGTERM); resolves with what is left. */
  async flush(deadlineMs: number): Promise<number> {
    const end = Date.now() + deadlineMs;
    this.stopped = true;
    this.wake();
    // The loop may be in the middle of a send: let it finish, within the deadline.
    await Promise.race([this.loop, Bun.sleep(deadlineMs)]);
    while (Date.now() < end) {
      const outcome = await Promise.race([this.shipOnce(), Bun.sleep(Math.max(0, end - Date.now())).then(() => null)]);
      if (!outcome || outcome.kind !== "settled") break;
    }
    return (await this.store.outbox.status()).pending;
  }
}
