/**
 * Worker thread: moves the WAL into the database file in the background. A checkpoint
 * copies pages and syncs the disk; on the server's own connection it would stall every
 * request while it runs (measured: the redirect's p99 grew tenfold). PASSIVE never
 * waits for, or blocks, the server's reads and writes.
 */
import { Database } from "bun:sqlite";

declare const self: Worker;

const EVERY_MS = 200;
/** WAL frames past which the log is restarted, so that it stops growing. */
const RESTART_AT = 2000;

/** Both files: the database and the click inbox's (each has its own WAL). */
self.onmessage = (event: MessageEvent<{ paths: string[] }>) => {
  for (const path of event.data.paths) checkpoint(path);
};

function checkpoint(path: string): void {
  const db = new Database(path);
  // Hardly any waiting: a RESTART that waits for readers blocks every writer meanwhile
  // (a long export would hold recruiters' redirects for the whole timeout). Busy: next turn.
  db.run("PRAGMA busy_timeout = 5");
  const passive = db.prepare<{ log: number; checkpointed: number }, []>("PRAGMA wal_checkpoint(PASSIVE)");
  const restart = db.prepare("PRAGMA wal_checkpoint(RESTART)");
  setInterval(() => {
    try {
      // Under a steady stream of writes a passive checkpoint never catches up with the
      // end of the log, and the log only starts over once one has. So: copy what is
      // there without blocking anyone, then restart the log, which holds writers back
      // only for the few pages written meanwhile.
      const result = passive.get();
      if (result && result.log >= RESTART_AT) restart.run();
    } catch {
      // Busy or the disk is in trouble: the next turn tries again, and the server's
      // own connection checkpoints if the WAL grows past its safety limit.
    }
  }, EVERY_MS);
}
