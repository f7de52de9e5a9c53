import { Elysia } from "elysia";
import { z } from "zod";
import { isJsonContentType } from "../../lib/body";
import { UnsupportedMediaType } from "../../lib/errors";
import { ERROR_MODELS, errorResponseDocs, errorResponses, jsonContent } from "../../lib/openapi";
import { nowIso } from "../../lib/time";
import { authPlugin, type ModuleContext } from "../auth";
import { BatchRequest, BatchResults, IngestValidationFailed } from "./model";
import { ingestBatch } from "./service";

export const ingestModule = ({ store, config, ...auth }: ModuleContext) => {
  return new Elysia({ prefix: "/api/tracking-ingest", tags: ["Tracking ingest"] })
    .use(authPlugin(auth))
    .model({ ...ERROR_MODELS, ValidationFailed: IngestValidationFailed })
    .post(
      "/test",
      () => ({ success: true as const, message: "API connection successful", authenticated: true as const, timestamp: nowIso() }),
      {
        auth: "ingest",
        response: {
          200: z.object({ success: z.literal(true), message: z.string(), authenticated: z.literal(true), timestamp: z.string() }),
          ...errorResponses(400, 401, 403, 413, 415, 429),
        },
        detail: { operationId: "testIngest", summary: "Test connection and authentication" },
      },
    )
    .post(
      "/batch",
      async ({ body, request, set }) => {
        if (!isJsonContentType(request.headers.get("content-type") ?? undefined)) throw new UnsupportedMediaType();
        const outcome = await ingestBatch(store, config, auth, body);
        const timestamp = nowIso();
        if (outcome.kind === "invalid") {
          set.status = 400;
          return {
            success: false,
            error: "Validation Failed",
            message: outcome.message,
            validation_errors: outcome.errors,
            results: {
              total_events: outcome.total,
              successful: 0,
              failed: outcome.total,
              duplicates: 0,
              errors: outcome.errors,
            },
            timestamp,
          };
        }
        const failed = outcome.total - outcome.successful;
        const results = {
          total_events: outcome.total,
          successful: outcome.successful,
          failed,
          duplicates: outcome.duplicates,
          errors: outcome.errors,
        };
        if (failed === 0) {
          return { success: true, message: `Processed ${outcome.total} events`, results, timestamp };
        }
        set.status = 207;
        return {
          success: false,
          message: `Processed ${outcome.total} events`,
          warning: `${failed} events failed to process`,
          results,
          timestamp,
        };
      },
      {
        auth: "ingest",
        detail: {
          operationId: "ingestBatch", summary: "Store a batch of 1 to 1000 click events",
          description:
            "All valid events are written in one transaction. 200: all stored; 207: the valid ones stored, " +
            "the invalid ones listed in results.errors; 400: nothing stored. Re-sent events (same event_id, " +
            "or same fields with clicked_at) are stored once and counted in results.duplicates.",
          requestBody: { required: true, content: jsonContent(BatchRequest) },
          responses: {
            200: { description: "All events stored", content: jsonContent(z.object({ success: z.literal(true), message: z.string(), results: BatchResults, timestamp: z.string() })) },
            207: {
              description: "Some events invalid; the valid ones stored",
              content: jsonContent(z.object({ success: z.literal(false), message: z.string(), warning: z.string(), results: BatchResults, timestamp: z.string() })),
            },
            400: { description: "Validation Failed; nothing stored", content: { "application/json": { schema: { $ref: "#/components/schemas/ValidationFailed" } } } },
            ...errorResponseDocs(401, 403, 413, 415, 429, 503),
          },
        },
      },
    );
};
