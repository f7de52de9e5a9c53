/**
 * Work that runs one piece per turn of the event loop, in order. An ingest batch's
 * write holds the loop for its whole transaction (a thousand rows, 6–25 ms); several
 * senders' batches ready in the same turn would run back to back, and a recruiter's
 * redirect waiting behind them all. Queued here, each write gets a turn of its own, and
 * the redirects that arrived meanwhile are answered between two writes.
 */
export class OnePerTurn {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => T): Promise<T> {
    const result = this.tail.then(() => new Promise<void>((resolve) => setImmediate(resolve))).then(work);
    this.tail = result.catch(() => {});
    return result;
  }
}
