/**
 * The worker threads of the SQLite store. Made from this file, beside main.ts: the
 * compiled binary finds a worker's entry relative to its own (each one is a build
 * entrypoint, scripts/build.ts).
 */
import type { MakeWorker } from "./db/sqlite/lane";

export const sqliteWorkers: { reader: MakeWorker; writer: MakeWorker; checkpointer: MakeWorker } = {
  reader: () => new Worker(new URL("./db/sqlite/reader.ts", import.meta.url).href),
  writer: () => new Worker(new URL("./click-writer.ts", import.meta.url).href),
  checkpointer: () => new Worker(new URL("./db/sqlite/checkpointer.ts", import.meta.url).href),
};
