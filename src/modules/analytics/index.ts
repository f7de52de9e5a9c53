import { Elysia } from "elysia";
import type { Config } from "../../config";
import type { Db } from "../../db";
import { authPlugin } from "../auth";
import { AnalyticsQuery, TrackingIdParam } from "./model";
import { linkAnalytics } from "./service";

export const analyticsModule = (db: Db, config: Config) =>
  new Elysia({ prefix: "/api/link-tracking/analytics", tags: ["Analytics"] })
    .use(authPlugin(db, config))
    // The seeds' redirect handler resolves links through this route with its ingest key.
    .get("/:tracking_id", ({ params, query }) => linkAnalytics(db, params.tracking_id, query), {
      auth: "ingest",
      params: TrackingIdParam,
      query: AnalyticsQuery,
      detail: {
        summary: "One link: the seed's link_info and click_statistics, bot counts and breakdowns",
        description: "Counts are of human clicks unless include_bots=true. from/to bound clicked_at (ISO 8601).",
      },
    });
