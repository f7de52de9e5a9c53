CREATE TABLE "link_tracker"."click_hours" (
	"tracking_id" varchar(100) NOT NULL,
	"hour" integer NOT NULL,
	"visitor_kind" varchar(10) NOT NULL,
	"outcome" varchar(10) NOT NULL,
	"shard" smallint DEFAULT 0 NOT NULL,
	"clicks" bigint NOT NULL,
	CONSTRAINT "click_hours_tracking_id_hour_visitor_kind_outcome_shard_pk" PRIMARY KEY("tracking_id","hour","visitor_kind","outcome","shard")
);
--> statement-breakpoint
-- The count below the mark, filled in from the quarter-hours while no count runs
-- (count_clicks and the click trigger take this lock).
SELECT pg_advisory_xact_lock(1819570799);
--> statement-breakpoint
INSERT INTO "link_tracker"."click_hours" (tracking_id, hour, visitor_kind, outcome, shard, clicks)
SELECT tracking_id, floor(quarter / 4.0)::int, visitor_kind, outcome, 0, sum(clicks)
FROM "link_tracker"."click_quarters" GROUP BY 1, 2, 3, 4 HAVING sum(clicks) <> 0;
--> statement-breakpoint
CREATE INDEX "click_hours_time_idx" ON "link_tracker"."click_hours" USING btree ("hour");--> statement-breakpoint
CREATE INDEX "click_quarters_time_idx" ON "link_tracker"."click_quarters" USING btree ("quarter");--> statement-breakpoint
-- The roll-ups' statement (0013), now counting each link's hours too.
CREATE OR REPLACE FUNCTION "link_tracker"."click_rollups_sql"(source text, counted text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $outer$
  SELECT format($f$
WITH c AS (
  SELECT tracking_id, visitor_kind, outcome, session_id, $1::integer AS n,
    floor(extract(epoch FROM clicked_at) / 900)::int AS quarter,
    floor(extract(epoch FROM clicked_at) / 3600)::int AS hour,
    floor(extract(epoch FROM clicked_at) / 86400)::int AS day,
    "link_tracker"."click_visit"(click_source, referrer_domain, referrer_url, browser, os, device) AS visit,
    "link_tracker"."click_place"(country::text, asn, network) AS place,
    (pg_backend_pid() %% 16)::smallint AS shard
  FROM %s AS r WHERE %s
),
quarters AS (
  INSERT INTO "link_tracker"."click_quarters" AS t (tracking_id, quarter, visitor_kind, outcome, shard, clicks)
  SELECT tracking_id, quarter, visitor_kind, outcome, shard, sum(n) FROM c GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0 ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT (tracking_id, quarter, visitor_kind, outcome, shard) DO UPDATE SET clicks = t.clicks + excluded.clicks
),
hours AS (
  INSERT INTO "link_tracker"."click_hours" AS t (tracking_id, hour, visitor_kind, outcome, shard, clicks)
  SELECT tracking_id, hour, visitor_kind, outcome, shard, sum(n) FROM c GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0 ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT (tracking_id, hour, visitor_kind, outcome, shard) DO UPDATE SET clicks = t.clicks + excluded.clicks
),
quarters_all AS (
  INSERT INTO "link_tracker"."click_quarters_all" AS t (quarter, visitor_kind, outcome, shard, clicks)
  SELECT quarter, visitor_kind, outcome, shard, sum(n) FROM c GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0 ORDER BY 1, 2, 3, 4
  ON CONFLICT (quarter, visitor_kind, outcome, shard) DO UPDATE SET clicks = t.clicks + excluded.clicks
),
dimensions AS (
  INSERT INTO "link_tracker"."click_dimensions" AS t (tracking_id, dimension, day, value, visitor_kind, outcome, shard, clicks)
  SELECT tracking_id, v.dimension, day, v.value, visitor_kind, outcome, shard, sum(n)
  FROM c CROSS JOIN LATERAL (VALUES ('place', c.place), ('visit', c.visit)) AS v(dimension, value)
  GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(n) <> 0 ORDER BY 1, 2, 3, 4, 5, 6, 7
  ON CONFLICT (tracking_id, dimension, day, value, visitor_kind, outcome, shard) DO UPDATE SET clicks = t.clicks + excluded.clicks
),
places_daily AS (
  INSERT INTO "link_tracker"."click_dimensions_daily" AS t (dimension, day, value, visitor_kind, outcome, shard, clicks)
  SELECT 'place', day, place, visitor_kind, outcome, shard, sum(n) FROM c GROUP BY 2, 3, 4, 5, 6 HAVING sum(n) <> 0 ORDER BY 2, 3, 4, 5, 6
  ON CONFLICT (dimension, day, value, visitor_kind, outcome, shard) DO UPDATE SET clicks = t.clicks + excluded.clicks
),
places_hourly AS (
  INSERT INTO "link_tracker"."click_dimensions_hourly" AS t (dimension, hour, value, visitor_kind, outcome, shard, clicks)
  SELECT 'place', hour, place, visitor_kind, outcome, shard, sum(n) FROM c GROUP BY 2, 3, 4, 5, 6 HAVING sum(n) <> 0 ORDER BY 2, 3, 4, 5, 6
  ON CONFLICT (dimension, hour, value, visitor_kind, outcome, shard) DO UPDATE SET clicks = t.clicks + excluded.clicks
),
sessions AS (
  INSERT INTO "link_tracker"."click_sessions" AS t (tracking_id, day, session_id, visitor_kind, outcome, shard, clicks)
  SELECT tracking_id, day, session_id, visitor_kind, outcome, shard, sum(n) FROM c WHERE session_id IS NOT NULL
  GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(n) <> 0 ORDER BY 1, 2, 3, 4, 5, 6
  ON CONFLICT (tracking_id, day, session_id, visitor_kind, outcome, shard) DO UPDATE SET clicks = t.clicks + excluded.clicks
),
application_sessions AS (
  INSERT INTO "link_tracker"."application_sessions" AS t (application_id, session_id, day, visitor_kind, outcome, shard, clicks)
  SELECT l.application_id, c.session_id, c.day, c.visitor_kind, c.outcome, c.shard, sum(c.n)
  FROM c JOIN "link_tracking" AS l ON l.tracking_id = c.tracking_id
  WHERE c.session_id IS NOT NULL AND c.visitor_kind = 'human' AND c.outcome = 'redirected' AND l.application_id IS NOT NULL
  GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(c.n) <> 0 ORDER BY 1, 2, 3, 4, 5, 6
  ON CONFLICT (application_id, session_id, day, visitor_kind, outcome, shard) DO UPDATE SET clicks = t.clicks + excluded.clicks
)
SELECT count(*) FROM c
$f$, source, counted)
$outer$;
