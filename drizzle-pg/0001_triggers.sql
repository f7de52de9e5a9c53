-- click_daily is kept by statement-level triggers on link_clicks: whoever writes the
-- table (any instance, copy-store, the job-application system itself), its rows are
-- counted in the same transaction, in the writing connection's shard (its backend pid
-- modulo 16: concurrent writers of the same link and day rarely share a row). Groups are
-- upserted in key order, so two transactions counting the same rows wait for each other
-- instead of deadlocking.
CREATE FUNCTION "link_tracker"."click_daily_added"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "link_tracker"."click_daily" AS d (day, tracking_id, visitor_kind, outcome, shard, clicks)
  SELECT (clicked_at AT TIME ZONE 'UTC')::date, tracking_id, visitor_kind, outcome, (pg_backend_pid() % 16)::smallint, count(*)
  FROM new_rows GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
  ON CONFLICT (day, tracking_id, visitor_kind, outcome, shard) DO UPDATE SET clicks = d.clicks + excluded.clicks;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION "link_tracker"."click_daily_removed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "link_tracker"."click_daily" AS d (day, tracking_id, visitor_kind, outcome, shard, clicks)
  SELECT (clicked_at AT TIME ZONE 'UTC')::date, tracking_id, visitor_kind, outcome, (pg_backend_pid() % 16)::smallint, -count(*)
  FROM old_rows GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
  ON CONFLICT (day, tracking_id, visitor_kind, outcome, shard) DO UPDATE SET clicks = d.clicks + excluded.clicks;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION "link_tracker"."click_daily_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "link_tracker"."click_daily" AS d (day, tracking_id, visitor_kind, outcome, shard, clicks)
  SELECT day, tracking_id, visitor_kind, outcome, (pg_backend_pid() % 16)::smallint, sum(n) FROM (
    SELECT (clicked_at AT TIME ZONE 'UTC')::date AS day, tracking_id, visitor_kind, outcome, 1 AS n FROM new_rows
    UNION ALL
    SELECT (clicked_at AT TIME ZONE 'UTC')::date, tracking_id, visitor_kind, outcome, -1 FROM old_rows
  ) AS c GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0 ORDER BY 1, 2, 3, 4
  ON CONFLICT (day, tracking_id, visitor_kind, outcome, shard) DO UPDATE SET clicks = d.clicks + excluded.clicks;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "link_clicks_daily_insert" AFTER INSERT ON "link_clicks"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "link_tracker"."click_daily_added"();
--> statement-breakpoint
CREATE TRIGGER "link_clicks_daily_delete" AFTER DELETE ON "link_clicks"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "link_tracker"."click_daily_removed"();
--> statement-breakpoint
CREATE TRIGGER "link_clicks_daily_update" AFTER UPDATE ON "link_clicks"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "link_tracker"."click_daily_changed"();
--> statement-breakpoint
-- Every change to link_tracking, whoever makes it, bumps links_version: each instance
-- polls it and drops its link cache when it moved.
INSERT INTO "link_tracker"."links_version" (id, version) VALUES (1, 0);
--> statement-breakpoint
CREATE FUNCTION "link_tracker"."links_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "link_tracker"."links_version" SET version = version + 1 WHERE id = 1;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "link_tracking_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "link_tracking"
  FOR EACH STATEMENT EXECUTE FUNCTION "link_tracker"."links_changed"();
