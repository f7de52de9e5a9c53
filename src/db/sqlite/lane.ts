/**
 * One worker thread and the requests waiting for its answers. The store sends the work
 * that would hold the event loop (heavy reads, ingest writes) to worker threads with
 * connections of their own; a lane starts its worker on the first request and ends it
 * after a minute without one (its memory goes back to the system), unless `keep` says
 * something is still under way (an export between two pages).
 */
import type { Logger } from "../../lib/log";

const IDLE_MS = 60_000;

export type MakeWorker = () => Worker;

/** What a worker answers: a value, or an error with the fields that survive the thread boundary. */
export type LaneAnswer = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: { message: string; code?: string } };

/** A worker's error, rebuilt on this side (its code, e.g. SQLITE_BUSY, kept). */
export class WorkerError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

export class Lane<Request extends { id: number }> {
  private worker: Worker | null = null;
  private pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private seq = 0;
  private idle: ReturnType<typeof setTimeout> | null = null;
  /** Work under way between two requests (an export's open stream): the worker stays. */
  open = 0;

  constructor(
    private readonly name: string,
    private readonly makeWorker: MakeWorker,
    private readonly log: Logger,
    /** Sent first to every worker this lane starts. */
    private readonly init: unknown,
  ) {}

  nextId = () => ++this.seq;

  ask(request: Request): Promise<unknown> {
    const worker = this.start();
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    return new Promise((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject });
      worker.postMessage(request);
    });
  }

  /** Tells the worker without waiting for an answer (nothing to tell when it is not running). */
  tell(request: Request): void {
    if (this.worker) void this.ask(request).catch(() => {});
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = this.makeWorker();
    worker.unref();
    worker.onmessage = (event: MessageEvent<LaneAnswer>) => {
      const answer = event.data;
      const waiting = this.pending.get(answer.id);
      this.pending.delete(answer.id);
      if (waiting) {
        if (answer.ok) waiting.resolve(answer.value);
        else waiting.reject(new WorkerError(answer.error.message, answer.error.code));
      }
      if (this.pending.size === 0 && this.open === 0 && !this.idle) this.idle = setTimeout(() => this.stop(), IDLE_MS);
    };
    worker.onerror = (event) => {
      this.log.error({ err: event.message, worker: this.name }, "worker failed; it is started again on the next request");
      this.failAll(new Error(`${this.name} worker failed`));
      this.worker = null;
    };
    worker.postMessage(this.init);
    this.worker = worker;
    return worker;
  }

  private failAll(error: Error) {
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }

  /** Waits for the answers under way (at most `ms`), then ends the worker. */
  async stop(ms = 0): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.pending.size > 0 && Date.now() < deadline) await Bun.sleep(5);
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    this.worker?.terminate();
    this.worker = null;
    this.failAll(new Error(`${this.name} worker stopped`));
  }
}

/** The worker side: answers each request with `handle`'s value or its error. */
export function serveLane<Request extends { id: number }>(
  self: Worker,
  onInit: (init: never) => void,
  handle: (request: Request) => unknown,
): void {
  let initialised = false;
  self.onmessage = (event: MessageEvent) => {
    if (!initialised) {
      initialised = true;
      onInit(event.data as never);
      return;
    }
    const request = event.data as Request;
    let reply: LaneAnswer;
    try {
      reply = { id: request.id, ok: true, value: handle(request) };
    } catch (error) {
      const e = error as { message?: string; code?: unknown };
      reply = { id: request.id, ok: false, error: { message: e?.message ?? String(error), code: typeof e?.code === "string" ? e.code : undefined } };
    }
    self.postMessage(reply, reply.ok && reply.value instanceof Uint8Array ? [reply.value.buffer as ArrayBuffer] : []);
  };
}
