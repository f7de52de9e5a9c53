/** The store conformance suite on SQLite: in memory (as most tests run), and on a file with the reader and writer threads (as the server runs). */
import { afterAll } from "bun:test";
import { mkdirSync } from "node:fs";
import { openSqliteStore } from "../../../src/db/sqlite/store";
import { signalRule } from "../../../src/modules/webhooks/signals";
import { sqliteWorkers } from "../../../src/workers";
import { tempDir } from "../../utils";
import { storeConformance } from "./conformance";
import { rollupsProperty } from "./rollups-property";

const withRule = (signals?: { returnDays: number; holdSeconds: number }) => signals && { rule: signalRule(signals), ...signals };

storeConformance("SQLite in memory", ({ signals }) => openSqliteStore(":memory:", { signals: withRule(signals) }));

storeConformance("SQLite file, worker threads", ({ signals }) => {
  const dir = tempDir();
  mkdirSync(dir, { recursive: true });
  return openSqliteStore(`${dir}/db.sqlite`, {
    // The writer thread composes the same rule from these settings (src/click-writer.ts).
    signals: withRule(signals),
    workers: { reader: sqliteWorkers.reader, writer: sqliteWorkers.writer },
  });
});

const stores: Awaited<ReturnType<typeof openSqliteStore>>[] = [];
afterAll(() => Promise.all(stores.splice(0).map((s) => s.close())));
rollupsProperty("SQLite in memory", async () => {
  const store = openSqliteStore(":memory:");
  stores.push(store);
  return store;
}, 60);
rollupsProperty("SQLite file, worker threads", async () => {
  const dir = tempDir();
  mkdirSync(dir, { recursive: true });
  const store = openSqliteStore(`${dir}/db.sqlite`, { workers: { reader: sqliteWorkers.reader, writer: sqliteWorkers.writer } });
  stores.push(store);
  return store;
}, 10);
