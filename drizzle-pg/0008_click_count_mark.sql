CREATE TABLE "link_tracker"."click_count_mark" (
	"id" smallint PRIMARY KEY NOT NULL,
	"mark" bigint NOT NULL
);
--> statement-breakpoint
INSERT INTO "link_tracker"."click_count_mark" (id, mark) VALUES (1, 0);
--> statement-breakpoint
DROP INDEX "link_clicks_uncounted_idx";--> statement-breakpoint
-- The column is added empty, then given its default: the clicks stored before it keep a
-- null (no rewrite of the table), each new one the id of the transaction writing it.
ALTER TABLE "link_clicks" ADD COLUMN "written" bigint;--> statement-breakpoint
ALTER TABLE "link_clicks" ALTER COLUMN "written" SET DEFAULT (pg_current_xact_id()::text)::bigint;--> statement-breakpoint
CREATE INDEX "link_clicks_written_idx" ON "link_clicks" USING btree ("written") WHERE written is not null;--> statement-breakpoint
CREATE INDEX "link_clicks_backlog_idx" ON "link_clicks" USING btree ("clicked_at") WHERE written is null and not counted;
--> statement-breakpoint
-- The roll-ups' statement, once for both of its callers: it adds $1 (1 or -1) × each
-- click of `source` that `counted` holds for (with $2 and $3 its bounds) to every roll-up
-- but click_daily, one data-modifying CTE per table, each group once and in key order
-- (two transactions counting the same groups wait, never deadlock), in the writing
-- connection's shard; its row is the number of clicks it added.
CREATE FUNCTION "link_tracker"."click_rollups_sql"(source text, counted text) RETURNS text
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
)
SELECT count(*) FROM c
$f$, source, counted)
$outer$;
--> statement-breakpoint
-- The trigger on changes of link_clicks: a click counted already (below the mark, or of
-- the backlog and marked so) is taken out as it was and put back as it is. It waits while
-- an instance counts (count_clicks holds the lock), so that the mark it reads is the one
-- that count left.
CREATE OR REPLACE FUNCTION "link_tracker"."click_rollups"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  m bigint;
BEGIN
  PERFORM pg_advisory_xact_lock_shared(1819570799);
  SELECT mark INTO m FROM "link_tracker"."click_count_mark" WHERE id = 1;
  EXECUTE "link_tracker"."click_rollups_sql"('changed_rows', 'CASE WHEN r.written IS NULL THEN r.counted ELSE r.written < $2 END')
    USING TG_ARGV[0]::integer, m;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- Counts into the roll-ups up to about `slice` clicks not counted yet: first the backlog
-- (clicks stored before the mark existed, marked counted, which fires the trigger), then
-- the clicks of every transaction that has ended since the last count, whole transactions
-- in the order they were written (read, never written again), moving the mark past them.
-- One instance at a time: 0 when another holds the lock. The number counted.
CREATE FUNCTION "link_tracker"."count_clicks"(slice integer) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  m bigint;
  hi bigint;
  cap bigint;
  n bigint;
BEGIN
  IF NOT pg_try_advisory_xact_lock(1819570799) THEN RETURN 0; END IF;
  UPDATE link_clicks SET counted = true WHERE click_id IN (
    SELECT click_id FROM link_clicks WHERE written IS NULL AND NOT counted ORDER BY clicked_at LIMIT slice FOR UPDATE SKIP LOCKED);
  GET DIAGNOSTICS n = ROW_COUNT;
  IF n > 0 THEN RETURN n; END IF;
  SELECT mark INTO m FROM "link_tracker"."click_count_mark" WHERE id = 1 FOR UPDATE;
  -- Every transaction below the oldest one still running has ended: its clicks are all visible now, or never will be.
  hi := greatest(m, pg_snapshot_xmin(pg_current_snapshot())::text::bigint);
  SELECT written INTO cap FROM link_clicks WHERE written >= m AND written < hi ORDER BY written OFFSET slice LIMIT 1;
  IF cap IS NOT NULL THEN hi := greatest(cap, m + 1); END IF;
  IF hi = m THEN RETURN 0; END IF;
  EXECUTE "link_tracker"."click_rollups_sql"('link_clicks', 'r.written >= $2 AND r.written < $3') INTO n USING 1, m, hi;
  UPDATE "link_tracker"."click_count_mark" SET mark = hi WHERE id = 1;
  RETURN n;
END $$;
