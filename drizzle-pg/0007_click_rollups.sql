CREATE TABLE "link_tracker"."click_dimensions" (
	"tracking_id" varchar(100) NOT NULL,
	"dimension" varchar(10) NOT NULL,
	"day" integer NOT NULL,
	"value" text NOT NULL,
	"visitor_kind" varchar(10) NOT NULL,
	"outcome" varchar(10) NOT NULL,
	"shard" smallint DEFAULT 0 NOT NULL,
	"clicks" bigint NOT NULL,
	CONSTRAINT "click_dimensions_tracking_id_dimension_day_value_visitor_kind_outcome_shard_pk" PRIMARY KEY("tracking_id","dimension","day","value","visitor_kind","outcome","shard")
);
--> statement-breakpoint
CREATE TABLE "link_tracker"."click_dimensions_daily" (
	"dimension" varchar(10) NOT NULL,
	"day" integer NOT NULL,
	"value" text NOT NULL,
	"visitor_kind" varchar(10) NOT NULL,
	"outcome" varchar(10) NOT NULL,
	"shard" smallint DEFAULT 0 NOT NULL,
	"clicks" bigint NOT NULL,
	CONSTRAINT "click_dimensions_daily_dimension_day_value_visitor_kind_outcome_shard_pk" PRIMARY KEY("dimension","day","value","visitor_kind","outcome","shard")
);
--> statement-breakpoint
CREATE TABLE "link_tracker"."click_dimensions_hourly" (
	"dimension" varchar(10) NOT NULL,
	"hour" integer NOT NULL,
	"value" text NOT NULL,
	"visitor_kind" varchar(10) NOT NULL,
	"outcome" varchar(10) NOT NULL,
	"shard" smallint DEFAULT 0 NOT NULL,
	"clicks" bigint NOT NULL,
	CONSTRAINT "click_dimensions_hourly_dimension_hour_value_visitor_kind_outcome_shard_pk" PRIMARY KEY("dimension","hour","value","visitor_kind","outcome","shard")
);
--> statement-breakpoint
CREATE TABLE "link_tracker"."click_quarters" (
	"tracking_id" varchar(100) NOT NULL,
	"quarter" integer NOT NULL,
	"visitor_kind" varchar(10) NOT NULL,
	"outcome" varchar(10) NOT NULL,
	"shard" smallint DEFAULT 0 NOT NULL,
	"clicks" bigint NOT NULL,
	CONSTRAINT "click_quarters_tracking_id_quarter_visitor_kind_outcome_shard_pk" PRIMARY KEY("tracking_id","quarter","visitor_kind","outcome","shard")
);
--> statement-breakpoint
CREATE TABLE "link_tracker"."click_quarters_all" (
	"quarter" integer NOT NULL,
	"visitor_kind" varchar(10) NOT NULL,
	"outcome" varchar(10) NOT NULL,
	"shard" smallint DEFAULT 0 NOT NULL,
	"clicks" bigint NOT NULL,
	CONSTRAINT "click_quarters_all_quarter_visitor_kind_outcome_shard_pk" PRIMARY KEY("quarter","visitor_kind","outcome","shard")
);
--> statement-breakpoint
CREATE TABLE "link_tracker"."click_sessions" (
	"tracking_id" varchar(100) NOT NULL,
	"day" integer NOT NULL,
	"session_id" text NOT NULL,
	"visitor_kind" varchar(10) NOT NULL,
	"outcome" varchar(10) NOT NULL,
	"shard" smallint DEFAULT 0 NOT NULL,
	"clicks" bigint NOT NULL,
	CONSTRAINT "click_sessions_tracking_id_day_session_id_visitor_kind_outcome_shard_pk" PRIMARY KEY("tracking_id","day","session_id","visitor_kind","outcome","shard")
);
--> statement-breakpoint
ALTER TABLE "link_clicks" ADD COLUMN "counted" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "link_clicks_uncounted_idx" ON "link_clicks" USING btree ("clicked_at") WHERE not counted;
--> statement-breakpoint
-- A click's breakdown values, as the SQLite store keeps them (rollups.ts DIMENSIONS): a
-- referrer's domain is the one worked out when the click was stored, or (a row written
-- by another program) read from its URL.
CREATE FUNCTION "link_tracker"."click_visit"(source text, referrer_domain text, referrer_url text, browser text, os text, device text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(source, '') || chr(31)
    || coalesce(referrer_domain, lower(substring(referrer_url from '^[a-zA-Z][a-zA-Z0-9+.-]*://(?:[^@/]*@)?(?:www\.)?([^/:?#]+)')), '') || chr(31)
    || coalesce(browser, '') || chr(31) || coalesce(os, '') || chr(31) || coalesce(device, '')
$$;
--> statement-breakpoint
CREATE FUNCTION "link_tracker"."click_place"(country text, asn integer, network text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(country, '') || chr(31) || coalesce(asn::text, '') || chr(31) || coalesce(network, '')
$$;
--> statement-breakpoint
-- Adds `delta` (the trigger's argument: 1 or -1) × the counted clicks of changed_rows (the
-- trigger's transition table) to every roll-up but click_daily: one data-modifying CTE
-- per table, each group once and in key order (two transactions counting the same groups
-- wait, never deadlock), in the writing connection's shard. A click is counted when its
-- row becomes counted (countPending's update), uncounted when a counted row changes or
-- goes, and counted again as it is after the change. Static SQL: its plan is kept.
CREATE FUNCTION "link_tracker"."click_rollups"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  delta integer := TG_ARGV[0]::integer;
BEGIN
WITH c AS (
  SELECT tracking_id, visitor_kind, outcome, session_id, delta AS n,
    floor(extract(epoch FROM clicked_at) / 900)::int AS quarter,
    floor(extract(epoch FROM clicked_at) / 3600)::int AS hour,
    floor(extract(epoch FROM clicked_at) / 86400)::int AS day,
    "link_tracker"."click_visit"(click_source, referrer_domain, referrer_url, browser, os, device) AS visit,
    "link_tracker"."click_place"(country::text, asn, network) AS place,
    (pg_backend_pid() % 16)::smallint AS shard
  FROM changed_rows WHERE counted
),
quarters AS (
  INSERT INTO "link_tracker"."click_quarters" AS t (tracking_id, quarter, visitor_kind, outcome, shard, clicks)
  SELECT tracking_id, quarter, visitor_kind, outcome, shard, sum(n) FROM c GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0 ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT (tracking_id, quarter, visitor_kind, outcome, shard) DO UPDATE SET clicks = t.clicks + excluded.clicks
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
)
INSERT INTO "link_tracker"."click_sessions" AS t (tracking_id, day, session_id, visitor_kind, outcome, shard, clicks)
  SELECT tracking_id, day, session_id, visitor_kind, outcome, shard, sum(n) FROM c WHERE session_id IS NOT NULL
  GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(n) <> 0 ORDER BY 1, 2, 3, 4, 5, 6
  ON CONFLICT (tracking_id, day, session_id, visitor_kind, outcome, shard) DO UPDATE SET clicks = t.clicks + excluded.clicks;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "link_clicks_rollups_delete" AFTER DELETE ON "link_clicks"
  REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION "link_tracker"."click_rollups"('-1');
--> statement-breakpoint
CREATE TRIGGER "link_clicks_rollups_update_new" AFTER UPDATE ON "link_clicks"
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION "link_tracker"."click_rollups"('1');
--> statement-breakpoint
CREATE TRIGGER "link_clicks_rollups_update_old" AFTER UPDATE ON "link_clicks"
  REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION "link_tracker"."click_rollups"('-1');
