import { Elysia } from "elysia";
import { ERROR_MODELS, errorResponseDocs, errorResponses } from "../../lib/openapi";
import { z } from "zod";
import { authPlugin, type ModuleContext } from "../auth";
import { AnalyticsQuery, ApplicationRollup, ApplicationsOverview, Attributed, JobRollup, LinkAnalytics, Overview, TrackingIdParam } from "./model";
import { attribute, overview } from "./overview";
import { applicationRollup, applicationsOverview, jobRollup } from "./rollups";
import { CSV_COLUMNS, csvStream } from "./export";
import { archiveStream } from "../import/archive";
import { ApplicationListQuery } from "../applications/model";
import { kindsFor, linkAnalytics } from "./service";

const ExportQuery = AnalyticsQuery.and(
  z.object({
    tracking_id: z.string().max(100, "tracking_id exceeds 100 characters").optional(),
    job_id: z.guid("job_id must be a UUID").optional(),
    application_id: z.guid("application_id must be a UUID").optional(),
  }),
);

export const analyticsModule = ({ store, config, ...auth }: ModuleContext) =>
  new Elysia({ prefix: "/api/link-tracking", tags: ["Analytics"] })
    .use(authPlugin(auth))
    .model(ERROR_MODELS)
    .get("/analytics", ({ query }) => overview(store, query), {
      auth: "read",
      query: AnalyticsQuery,
      response: { 200: Overview, ...errorResponses(400, 401, 403, 429, 503) },
      detail: {
        operationId: "getOverview", summary: "Overview of a period (default the last 30 days)",
        description: "Totals, top links, human clicks per day, recent clicks with their kind, orphan visits with the link they probably meant, applications without a human click.",
      },
    })
    .get("/analytics/jobs/:job_id", ({ params }) => jobRollup(store, params.job_id), {
      auth: "read",
      params: z.object({ job_id: z.guid("job_id must be a UUID") }),
      response: { 200: JobRollup, ...errorResponses(400, 401, 403, 404, 429, 503) },
      detail: { operationId: "getJobAnalytics", summary: "One job: its applications and links with human clicks, first click and time to it, and visits" },
    })
    .get("/analytics/applications", ({ query }) => applicationsOverview(store, config.signalReturnDays, query), {
      auth: "read",
      query: ApplicationListQuery,
      response: { 200: ApplicationsOverview, ...errorResponses(400, 401, 403, 429, 503) },
      detail: {
        operationId: "listApplicationAnalytics",
        summary: "Every application with its name, its links' human clicks, its visitors and where it stands (not opened, opened, came back), a page at a time",
        description: "Most recent first, 50 a page unless `limit` says (up to 500); `next_cursor` asks for the next page. `counts` are of every application.",
      },
    })
    .get("/analytics/applications/:application_id", ({ params }) => applicationRollup(store, params.application_id), {
      auth: "read",
      params: z.object({ application_id: z.guid("application_id must be a UUID") }),
      response: { 200: ApplicationRollup, ...errorResponses(400, 401, 403, 404, 429, 503) },
      detail: { operationId: "getApplicationAnalytics", summary: "One application: its links with human clicks, first click and time to it, and its timeline of visits" },
    })
    .post("/orphans/:orphan_id/attribute", ({ params, body }) => attribute(store, params.orphan_id, body.tracking_id), {
      auth: "admin",
      parse: "json",
      params: z.object({ orphan_id: z.string().max(100, "orphan_id exceeds 100 characters") }),
      body: z.object({ tracking_id: z.string({ error: "Missing required field: tracking_id" }).min(1).max(100) }),
      response: { 200: Attributed, ...errorResponses(400, 401, 403, 404, 413, 415, 429, 503) },
      detail: { operationId: "attributeOrphan", summary: "Attribute an orphan id's hits to the link they were meant for" },
    })
    // The seeds' redirect handler resolves links through this route with its ingest key.
    .get("/analytics/:tracking_id", ({ params, query }) => linkAnalytics(store, params.tracking_id, query), {
      auth: "ingest",
      params: TrackingIdParam,
      query: AnalyticsQuery,
      response: { 200: LinkAnalytics, ...errorResponses(400, 401, 403, 404, 429, 503) },
      detail: {
        operationId: "getLinkAnalytics", summary: "One link: the seed's link_info and click_statistics, bot counts and breakdowns",
        description: "Counts are of human clicks unless include_bots=true. from/to bound clicked_at (ISO 8601).",
      },
    })
    .get(
      "/export",
      () =>
        new Response(archiveStream(store), {
          headers: { "Content-Type": "application/json; charset=utf-8", "Content-Disposition": `attachment; filename="link-tracker-export-${new Date().toISOString().slice(0, 10)}.json"` },
        }),
      {
        auth: "admin",
        detail: {
          operationId: "exportEverything",
          summary: "Everything but secrets as one JSON file (streamed): links, applications, clicks, webhooks and key names; link-tracker import link-tracker FILE reads it back",
          responses: {
            200: {
              description:
                'One JSON document, a record per line, clicks last: {"format":"link-tracker-export","version":1,"exported_at","server_version","links":[…],"applications":[…],"webhooks":[…],"keys":[…],"settings":{…},"clicks":[…]}. Webhook secrets and tokens, key hashes and dashboard sessions are left out.',
              content: { "application/json": { schema: { type: "object" } } },
            },
            ...errorResponseDocs(401, 403, 429, 503),
          },
        },
      },
    )
    .get(
      "/clicks.csv",
      ({ query }) =>
        new Response(
          csvStream(store, {
            trackingId: query.tracking_id,
            jobId: query.job_id,
            applicationId: query.application_id,
            from: query.from,
            to: query.to,
            kinds: kindsFor(query),
          }),
          { headers: { "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": 'attachment; filename="clicks.csv"' } },
        ),
      {
        auth: "read",
        query: ExportQuery,
        detail: {
          operationId: "exportClicksCsv",
          summary: "Clicks as CSV (RFC 4180, streamed), human only unless include_bots=true",
          responses: {
            200: {
              description: `The clicks, one row each, with a header row: ${CSV_COLUMNS.join(", ")}. Cells that begin with = + - @ are prefixed with ' so a spreadsheet shows them as text.`,
              content: { "text/csv": { schema: { type: "string" } } },
            },
            ...errorResponseDocs(400, 401, 403, 429, 503),
          },
        },
      },
    );
