/**
 * The store conformance suite on PostgreSQL: in-process on PGlite (PostgreSQL compiled to
 * WebAssembly: every machine has it, from npm), and on a real server where
 * scripts/ensure-postgres.sh can provide one (CI always can).
 */
import { afterAll, beforeAll } from "bun:test";
import { openPostgresStore } from "../../../src/db/postgres";
import { signalRule } from "../../../src/modules/webhooks/signals";
import { freshPgliteDb, realPostgres } from "../../postgres-utils";
import { storeConformance } from "./conformance";

const withRule = (signals?: { returnDays: number; holdSeconds: number }) => signals && { rule: signalRule(signals), ...signals };

// PGlite takes seconds to start: once, before the first test's clock runs.
beforeAll(() => freshPgliteDb(), 60_000);

storeConformance("PostgreSQL on PGlite", async ({ signals }) => (await freshPgliteDb()).open({ signals: withRule(signals) }), { outbox: false });

const server = await realPostgres();
if (server.url) {
  storeConformance(
    "PostgreSQL server",
    async ({ signals }) => openPostgresStore(await server.freshDatabase(), { signals: withRule(signals), connection: { max: 4 } }),
    { outbox: false },
  );
  afterAll(() => server.dropAll(), 60_000);
}
