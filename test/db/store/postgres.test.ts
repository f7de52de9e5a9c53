/**
 * The store conformance suite on PostgreSQL: in-process on PGlite (PostgreSQL compiled to
 * WebAssembly: every machine has it, from npm), and on a real server where
 * scripts/ensure-postgres.sh can provide one (CI always can).
 */
import { afterAll, beforeAll } from "bun:test";
import { openPostgresStore } from "../../../src/db/postgres";
import type { Store } from "../../../src/db/store";
import { signalRule } from "../../../src/modules/webhooks/signals";
import { freshPgliteDb, realPostgres } from "../../postgres-utils";
import { storeConformance } from "./conformance";
import { rollupsProperty } from "./rollups-property";

const withRule = (signals?: { returnDays: number; holdSeconds: number }) => signals && { rule: signalRule(signals), ...signals };

// PGlite takes seconds to start: once, before the first test's clock runs.
beforeAll(() => freshPgliteDb(), 60_000);

storeConformance("PostgreSQL on PGlite", async ({ signals }) => (await freshPgliteDb()).open({ signals: withRule(signals) }), { outbox: false });
const opened: Store[] = [];
afterAll(() => Promise.all(opened.splice(0).map((s) => s.close())), 60_000);
rollupsProperty("PostgreSQL on PGlite", async () => {
  const store = await (await freshPgliteDb()).open({});
  opened.push(store);
  return store;
}, 25);

const server = await realPostgres();
if (server.url) {
  storeConformance(
    "PostgreSQL server",
    async ({ signals }) => openPostgresStore(await server.freshDatabase(), { signals: withRule(signals), connection: { max: 4 } }),
    { outbox: false },
  );
  rollupsProperty("PostgreSQL server", async () => {
    const store = await openPostgresStore(await server.freshDatabase(), { connection: { max: 4 } });
    opened.push(store);
    return store;
  }, 8);
  afterAll(() => server.dropAll(), 60_000);
}
