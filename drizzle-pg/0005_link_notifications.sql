-- Each change to link_tracking is NOTIFYed on link_tracker_links as it commits, with
-- links_version's new value and the ids it changed ("7 id1 id2"; "7 + id1 id2" for links
-- added, "7 +" for more added than a notification holds, "7 *" for more changed): every
-- instance drops those entries of its link cache at once. links_version is still bumped, and polled, for the
-- instances a notification does not reach. A statement that changes no row changes nothing.
CREATE OR REPLACE FUNCTION "link_tracker"."links_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v bigint;
  ids text;
BEGIN
  IF TG_OP = 'DELETE' THEN
    SELECT string_agg(tracking_id, ' ') INTO ids FROM old_rows;
  ELSIF TG_OP <> 'TRUNCATE' THEN
    SELECT string_agg(tracking_id, ' ') INTO ids FROM new_rows;
  END IF;
  IF TG_OP <> 'TRUNCATE' AND ids IS NULL THEN
    RETURN NULL;
  END IF;
  UPDATE "link_tracker"."links_version" SET version = version + 1 WHERE id = 1 RETURNING version INTO v;
  IF ids IS NULL OR length(ids) > 7000 THEN
    ids := CASE WHEN TG_OP = 'INSERT' THEN '+' ELSE '*' END;
  ELSIF TG_OP = 'INSERT' THEN
    ids := '+ ' || ids;
  END IF;
  PERFORM pg_notify('link_tracker_links', v || ' ' || ids);
  RETURN NULL;
END $$;
--> statement-breakpoint
DROP TRIGGER "link_tracking_changed" ON "link_tracking";
--> statement-breakpoint
CREATE TRIGGER "link_tracking_inserted" AFTER INSERT ON "link_tracking"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "link_tracker"."links_changed"();
--> statement-breakpoint
CREATE TRIGGER "link_tracking_updated" AFTER UPDATE ON "link_tracking"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "link_tracker"."links_changed"();
--> statement-breakpoint
CREATE TRIGGER "link_tracking_deleted" AFTER DELETE ON "link_tracking"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "link_tracker"."links_changed"();
--> statement-breakpoint
CREATE TRIGGER "link_tracking_truncated" AFTER TRUNCATE ON "link_tracking"
  FOR EACH STATEMENT EXECUTE FUNCTION "link_tracker"."links_changed"();
--> statement-breakpoint
-- An orphan id's probable link, by index (lib/probable.ts): the ids it is the start of,
-- and those one edit away, which share its first half (the pattern index) or its second
-- (the reversed one); when a half is shared by many, its one-edit neighbours that exist
-- (primary key lookups).
CREATE INDEX "link_tracking_id_pattern" ON "link_tracking" USING btree ("tracking_id" text_pattern_ops);--> statement-breakpoint
CREATE INDEX "link_tracking_id_reversed" ON "link_tracking" USING btree (reverse("tracking_id") text_pattern_ops);
--> statement-breakpoint
CREATE FUNCTION "link_tracker"."one_edit_neighbours"(o text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT array(
    SELECT left(o, i) || c || substr(o, i + 1) FROM generate_series(0, length(o)) i, unnest(string_to_array('-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~', NULL)) c
    UNION ALL
    SELECT left(o, i) || c || substr(o, i + 2) FROM generate_series(0, length(o) - 1) i, unnest(string_to_array('-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~', NULL)) c
    UNION ALL
    SELECT left(o, i) || substr(o, i + 2) FROM generate_series(0, length(o) - 1) i)
$$;
