/** The store conformance suite on SQLite: in memory (as most tests run), and on a file with the reader and writer threads (as the server runs). */
import { mkdirSync } from "node:fs";
import { openSqliteStore } from "../../../src/db/sqlite/store";
import { signalRule } from "../../../src/modules/webhooks/signals";
import { sqliteWorkers } from "../../../src/workers";
import { tempDir } from "../../utils";
import { storeConformance } from "./conformance";

const withRule = (signals?: { returnDays: number; holdSeconds: number }) => signals && { rule: signalRule(signals), ...signals };

storeConformance("SQLite in memory", ({ signals }) => openSqliteStore(":memory:", { signals: withRule(signals) }));

storeConformance("SQLite file, worker threads", ({ signals }) => {
  const dir = tempDir();
  mkdirSync(dir, { recursive: true });
  return openSqliteStore(`${dir}/db.sqlite`, {
    // The writer thread composes the same rule from these settings (src/click-writer.ts).
    signals: withRule(signals),
    workers: { reader: sqliteWorkers.reader, writer: sqliteWorkers.writer },
    ingestOnWriter: "always",
  });
});
