import { Elysia } from "elysia";
import { z } from "zod";
import type { Config } from "../../config";
import type { Db } from "../../db";
import { authPlugin } from "../auth";
import { csvStream } from "./export";
import { AnalyticsQuery, TrackingIdParam } from "./model";
import { kindsFor, linkAnalytics } from "./service";

const ExportQuery = AnalyticsQuery.and(
  z.object({
    tracking_id: z.string().max(100, "tracking_id exceeds 100 characters").optional(),
    job_id: z.guid("job_id must be a UUID").optional(),
    application_id: z.guid("application_id must be a UUID").optional(),
  }),
);

export const analyticsModule = (db: Db, config: Config) =>
  new Elysia({ prefix: "/api/link-tracking", tags: ["Analytics"] })
    .use(authPlugin(db, config))
    // The seeds' redirect handler resolves links through this route with its ingest key.
    .get("/analytics/:tracking_id", ({ params, query }) => linkAnalytics(db, params.tracking_id, query), {
      auth: "ingest",
      params: TrackingIdParam,
      query: AnalyticsQuery,
      detail: {
        summary: "One link: the seed's link_info and click_statistics, bot counts and breakdowns",
        description: "Counts are of human clicks unless include_bots=true. from/to bound clicked_at (ISO 8601).",
      },
    })
    .get(
      "/clicks.csv",
      ({ query }) =>
        new Response(
          csvStream(db, {
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
        detail: { summary: "Clicks as CSV (RFC 4180, streamed), human only unless include_bots=true" },
      },
    );
