/**
 * Heavy reads sent to a worker thread (reader.ts), so that they never hold the event
 * loop that answers redirects. One worker, made on the first heavy read and ended after
 * a minute without one (its memory goes back to the system). An in-memory database
 * (tests, embedding) cannot be opened twice, so its reads run here, as before.
 */
import type { Db } from "../../db";
import { AppError } from "../../lib/errors";
import type { Logger } from "../../lib/log";
import type { AnalyticsQuery } from "./model";
import type { ReadAnswer, ReadRequest } from "./reader";
import { linkAnalytics } from "./service";

const IDLE_MS = 60_000;

export type MakeWorker = () => Worker;

export class OffThreadReads {
  private worker: Worker | null = null;
  private pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private seq = 0;
  private idle: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly db: Db,
    private readonly makeWorker: MakeWorker | null,
    private readonly log: Logger,
  ) {}

  private get path(): string | null {
    const path = (this.db.$client as { filename?: string }).filename;
    return path && path !== ":memory:" && this.makeWorker ? path : null;
  }

  /** Same answer as service.ts's linkAnalytics, computed on the worker when the database is a file. */
  linkAnalytics(trackingId: string, query: AnalyticsQuery, now = Date.now()): Promise<ReturnType<typeof linkAnalytics>> {
    const path = this.path;
    if (!path) return Promise.resolve(linkAnalytics(this.db, trackingId, query, now));
    return this.ask({ id: ++this.seq, path, trackingId, query, now }) as Promise<ReturnType<typeof linkAnalytics>>;
  }

  private ask(request: ReadRequest): Promise<unknown> {
    const worker = this.start();
    if (this.idle) clearTimeout(this.idle);
    return new Promise((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject });
      worker.postMessage(request);
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = this.makeWorker!();
    worker.unref();
    worker.onmessage = (event: MessageEvent<ReadAnswer>) => {
      const answer = event.data;
      const waiting = this.pending.get(answer.id);
      this.pending.delete(answer.id);
      if (waiting) {
        if (answer.ok) waiting.resolve(answer.value);
        else if (answer.error.code) waiting.reject(new AppError(answer.error.code, answer.error.message, answer.error.details));
        else waiting.reject(new Error(answer.error.message));
      }
      if (this.pending.size === 0) this.idle = setTimeout(() => this.stop(), IDLE_MS);
    };
    worker.onerror = (event) => {
      this.log.error({ err: event.message }, "analytics worker failed; it is started again on the next read");
      this.failAll(new Error("analytics worker failed"));
      this.worker = null;
    };
    this.worker = worker;
    return worker;
  }

  private failAll(error: Error) {
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }

  /** Ends the worker (a read under way fails); the next read starts another. */
  stop(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    this.worker?.terminate();
    this.worker = null;
    this.failAll(new Error("analytics worker stopped"));
  }
}
