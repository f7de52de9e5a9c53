import { Elysia } from "elysia";
import type { Metrics } from "../../lib/metrics";
import { authPlugin, type ModuleContext } from "../auth";
import { healthAnswer } from "./service";

/**
 * GET /api/tracking-ingest/health (no key: tracking-ingest-guide.md's check, which asks
 * the database) and GET /metrics (Prometheus text, for a `read` key, sent as a Bearer
 * token). The central server and an edge node serve both.
 */
export const healthModule = (auth: ModuleContext, metrics: Metrics) =>
  new Elysia({ tags: ["Operations"] })
    .use(authPlugin(auth))
    .get(
      "/api/tracking-ingest/health",
      async ({ set }) => {
        const answer = await healthAnswer(auth.store, auth.health);
        set.status = answer.status;
        return answer.body;
      },
      { detail: { operationId: "getHealth", summary: "Health check (no authentication); reads and writes the database", security: [] } },
    )
    .get(
      "/metrics",
      async () => new Response(await metrics.registry.metrics(), { headers: { "Content-Type": metrics.registry.contentType } }),
      { auth: "read", detail: { operationId: "getMetrics", summary: "Prometheus metrics (needs a read key)" } },
    );
