/**
 * Turns at one of SQLite's locks, taken on the server's thread before work that needs it
 * is started (here or on the writer thread): work queued here never waits for a lock by
 * polling, and the more urgent goes first. One Turns per lock the store's own writers
 * share: the main database's, and the click inbox file's.
 */
export type Priority = "first" | "urgent" | "bulk";

const ORDER: Priority[] = ["first", "urgent", "bulk"];

export class Turns {
  private readonly queues: Record<Priority, (() => Promise<void>)[]> = { first: [], urgent: [], bulk: [] };
  private running = false;

  /** Runs `work` once every turn queued before it at the same or a higher priority is done. */
  run<T>(priority: Priority, work: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queues[priority].push(() => work().then(resolve, reject));
      void this.pump();
    });
  }

  private next(): (() => Promise<void>) | undefined {
    for (const priority of ORDER) {
      const work = this.queues[priority].shift();
      if (work) return work;
    }
    return undefined;
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let work = this.next(); work; work = this.next()) await work();
    } finally {
      this.running = false;
    }
  }
}
