import { Elysia } from "elysia";
import type { Metrics } from "../../lib/metrics";
import { authPlugin, type ModuleContext } from "../auth";

/** GET /metrics: Prometheus text, for a `read` key (Prometheus sends it as a Bearer token). */
export const healthModule = (auth: ModuleContext, metrics: Metrics) =>
  new Elysia({ tags: ["Operations"] }).use(authPlugin(auth)).get(
    "/metrics",
    async () => new Response(await metrics.registry.metrics(), { headers: { "Content-Type": metrics.registry.contentType } }),
    { auth: "read", detail: { summary: "Prometheus metrics (needs a read key)" } },
  );
