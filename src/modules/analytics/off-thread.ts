/**
 * Heavy reads sent to worker threads (reader.ts), so that they never hold the event
 * loop that answers redirects: a link's analytics on one, the CSV export on another (an
 * export waits behind no analytics, and the other way round), the export a chunk at a
 * time (the next chunk is asked for when the client has taken the last). Each worker is
 * made on its first read and ended after a minute without one and with no export open
 * (its memory goes back to the system). An in-memory database (tests, embedding) cannot
 * be opened twice, so its reads run here, the export still a page at a time.
 */
import type { Db } from "../../db";
import type { ExportFilter } from "../../db/clicks";
import { AppError } from "../../lib/errors";
import type { Logger } from "../../lib/log";
import { csvStream } from "./export";
import type { AnalyticsQuery } from "./model";
import type { ReadAnswer, ReadRequest } from "./reader";
import { linkAnalytics } from "./service";

const IDLE_MS = 60_000;

export type MakeWorker = () => Worker;

/** One worker thread and the requests waiting for its answers. */
class Lane {
  private worker: Worker | null = null;
  private pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private seq = 0;
  private idle: ReturnType<typeof setTimeout> | null = null;
  /** Exports under way: the worker holds their place between chunks. */
  open = 0;

  constructor(
    private readonly name: string,
    private readonly makeWorker: MakeWorker,
    private readonly log: Logger,
  ) {}

  nextId = () => ++this.seq;

  ask(request: ReadRequest): Promise<unknown> {
    const worker = this.start();
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    return new Promise((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject });
      worker.postMessage(request);
    });
  }

  /** Tells the worker without waiting for an answer (nothing to tell when it is not running). */
  tell(request: ReadRequest): void {
    if (this.worker) void this.ask(request).catch(() => {});
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = this.makeWorker();
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
      if (this.pending.size === 0 && this.open === 0 && !this.idle) this.idle = setTimeout(() => this.stop(), IDLE_MS);
    };
    worker.onerror = (event) => {
      this.log.error({ err: event.message, worker: this.name }, "read worker failed; it is started again on the next read");
      this.failAll(new Error(`${this.name} worker failed`));
      this.worker = null;
    };
    this.worker = worker;
    return worker;
  }

  private failAll(error: Error) {
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }

  stop(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    this.worker?.terminate();
    this.worker = null;
    this.failAll(new Error(`${this.name} worker stopped`));
  }
}

export class OffThreadReads {
  private readonly analytics: Lane | null;
  private readonly exports: Lane | null;

  constructor(
    private readonly db: Db,
    makeWorker: MakeWorker | null,
    log: Logger,
  ) {
    const path = (db.$client as { filename?: string }).filename;
    const onFile = !!makeWorker && !!path && path !== ":memory:";
    this.analytics = onFile ? new Lane("analytics", makeWorker!, log) : null;
    this.exports = onFile ? new Lane("export", makeWorker!, log) : null;
  }

  private get path(): string {
    return (this.db.$client as { filename: string }).filename;
  }

  /** Same answer as service.ts's linkAnalytics, computed on a worker when the database is a file. */
  linkAnalytics(trackingId: string, query: AnalyticsQuery, now = Date.now()): Promise<ReturnType<typeof linkAnalytics>> {
    const lane = this.analytics;
    if (!lane) return Promise.resolve(linkAnalytics(this.db, trackingId, query, now));
    return lane.ask({ id: lane.nextId(), type: "analytics", path: this.path, trackingId, query, now }) as Promise<ReturnType<typeof linkAnalytics>>;
  }

  /** The clicks as a streamed CSV body (export.ts's rows), formatted on a worker when the database is a file. */
  csv(filter: ExportFilter): ReadableStream<string | Uint8Array> {
    const lane = this.exports;
    if (!lane) return csvStream(this.db, filter);
    const path = this.path;
    const stream = lane.nextId();
    let open = true;
    const close = () => {
      if (open) lane.open--;
      open = false;
    };
    lane.open++;
    return new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          try {
            const chunk = (await lane.ask({ id: lane.nextId(), type: "csv-next", path, stream, filter })) as Uint8Array | null;
            if (chunk === null) {
              close();
              controller.close();
            } else controller.enqueue(chunk);
          } catch (error) {
            close();
            controller.error(error);
          }
        },
        cancel: () => {
          close();
          lane.tell({ id: lane.nextId(), type: "csv-cancel", stream });
        },
      },
      { highWaterMark: 0 },
    );
  }
}
