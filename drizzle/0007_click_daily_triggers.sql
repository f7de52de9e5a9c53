-- Keeps click_daily exact. New clicks are counted by the code that inserts them, once per
-- batch (src/db/clicks.ts: a trigger per row halved ingest); deletions and changes, rare,
-- by these triggers.
INSERT INTO `click_daily` (`day`, `tracking_id`, `visitor_kind`, `outcome`, `clicks`)
SELECT substr(`clicked_at`, 1, 10), `tracking_id`, `visitor_kind`, `outcome`, count(*) FROM `link_clicks` GROUP BY 1, 2, 3, 4;
--> statement-breakpoint
CREATE TRIGGER `link_clicks_daily_delete` AFTER DELETE ON `link_clicks`
BEGIN
  UPDATE `click_daily` SET `clicks` = `clicks` - 1
  WHERE `day` = substr(OLD.`clicked_at`, 1, 10) AND `tracking_id` = OLD.`tracking_id` AND `visitor_kind` = OLD.`visitor_kind` AND `outcome` = OLD.`outcome`;
END;
--> statement-breakpoint
CREATE TRIGGER `link_clicks_daily_update` AFTER UPDATE OF `clicked_at`, `tracking_id`, `visitor_kind`, `outcome` ON `link_clicks`
BEGIN
  UPDATE `click_daily` SET `clicks` = `clicks` - 1
  WHERE `day` = substr(OLD.`clicked_at`, 1, 10) AND `tracking_id` = OLD.`tracking_id` AND `visitor_kind` = OLD.`visitor_kind` AND `outcome` = OLD.`outcome`;
  INSERT INTO `click_daily` (`day`, `tracking_id`, `visitor_kind`, `outcome`, `clicks`)
  VALUES (substr(NEW.`clicked_at`, 1, 10), NEW.`tracking_id`, NEW.`visitor_kind`, NEW.`outcome`, 1)
  ON CONFLICT (`day`, `tracking_id`, `visitor_kind`, `outcome`) DO UPDATE SET `clicks` = `clicks` + 1;
END;
