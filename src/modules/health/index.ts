import { Elysia } from "elysia";
import type { Metrics } from "../../lib/metrics";
import { authPlugin, type ModuleContext } from "../auth";
import { ERROR_MODELS, errorResponseDocs, errorResponses } from "../../lib/openapi";
import { HealthBody, healthAnswer } from "./service";

/**
 * GET /api/tracking-ingest/health (no key: tracking-ingest-guide.md's check, which asks
 * the database) and GET /metrics (Prometheus text, for a `read` key, sent as a Bearer
 * token). The central server and an edge node serve both.
 */
export const healthModule = (auth: ModuleContext, metrics: Metrics) =>
  new Elysia({ tags: ["Operations"] })
    .use(authPlugin(auth))
    .model(ERROR_MODELS)
    .get(
      "/api/tracking-ingest/health",
      async ({ set }) => {
        const answer = await healthAnswer(auth.store, auth.health);
        set.status = answer.status;
        return answer.body;
      },
      {
        response: { 200: HealthBody, 503: HealthBody, ...errorResponses(429) },
        detail: { operationId: "getHealth", summary: "Health check (no authentication); reads and writes the database", security: [] },
      },
    )
    .get(
      "/metrics",
      async () => new Response(await metrics.registry.metrics(), { headers: { "Content-Type": metrics.registry.contentType } }),
      {
        auth: "read",
        detail: {
          operationId: "getMetrics",
          summary: "Prometheus metrics (needs a read key)",
          responses: {
            200: { description: "Prometheus text exposition format", content: { "text/plain": { schema: { type: "string" } } } },
            ...errorResponseDocs(401, 403, 429),
          },
        },
      },
    );
