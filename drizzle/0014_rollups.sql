-- The roll-ups (src/db/sqlite/rollups.ts). A database with clicks already has them
-- counted again from link_clicks in the background, click_daily included, up to the
-- rowid noted here; until then its analytics are still being filled in.
CREATE TABLE `click_dimensions` (
	`tracking_id` text NOT NULL,
	`day` integer NOT NULL,
	`dimension` text NOT NULL,
	`value` text NOT NULL,
	`visitor_kind` text NOT NULL,
	`outcome` text NOT NULL,
	`clicks` integer NOT NULL,
	PRIMARY KEY(`tracking_id`, `dimension`, `day`, `value`, `visitor_kind`, `outcome`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `click_dimensions_daily` (
	`day` integer NOT NULL,
	`dimension` text NOT NULL,
	`value` text NOT NULL,
	`visitor_kind` text NOT NULL,
	`outcome` text NOT NULL,
	`clicks` integer NOT NULL,
	PRIMARY KEY(`dimension`, `day`, `value`, `visitor_kind`, `outcome`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `click_dimensions_hourly` (
	`hour` integer NOT NULL,
	`dimension` text NOT NULL,
	`value` text NOT NULL,
	`visitor_kind` text NOT NULL,
	`outcome` text NOT NULL,
	`clicks` integer NOT NULL,
	PRIMARY KEY(`dimension`, `hour`, `value`, `visitor_kind`, `outcome`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `click_quarters` (
	`tracking_id` text NOT NULL,
	`quarter` integer NOT NULL,
	`visitor_kind` text NOT NULL,
	`outcome` text NOT NULL,
	`clicks` integer NOT NULL,
	PRIMARY KEY(`tracking_id`, `quarter`, `visitor_kind`, `outcome`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX `click_quarters_time_idx` ON `click_quarters` (`quarter`);--> statement-breakpoint
CREATE TABLE `click_quarters_all` (
	`quarter` integer NOT NULL,
	`visitor_kind` text NOT NULL,
	`outcome` text NOT NULL,
	`clicks` integer NOT NULL,
	PRIMARY KEY(`quarter`, `visitor_kind`, `outcome`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `click_sessions` (
	`tracking_id` text NOT NULL,
	`session_id` text NOT NULL,
	`day` integer NOT NULL,
	`visitor_kind` text NOT NULL,
	`outcome` text NOT NULL,
	`clicks` integer NOT NULL,
	PRIMARY KEY(`tracking_id`, `day`, `session_id`, `visitor_kind`, `outcome`)
) WITHOUT ROWID;
--> statement-breakpoint
ALTER TABLE `link_clicks` ADD `browser` text;--> statement-breakpoint
ALTER TABLE `link_clicks` ADD `os` text;--> statement-breakpoint
ALTER TABLE `link_clicks` ADD `device` text;--> statement-breakpoint
ALTER TABLE `link_clicks` ADD `referrer_domain` text;--> statement-breakpoint
ALTER TABLE `link_clicks` ADD `clicked_epoch` integer;--> statement-breakpoint
DELETE FROM `click_daily`;--> statement-breakpoint
INSERT INTO `settings` (`key`, `value`) SELECT 'rollups:backfill', json_object('up_to', max(rowid)) FROM `link_clicks` HAVING count(*) > 0;--> statement-breakpoint
INSERT INTO `settings` (`key`, `value`) SELECT 'rollups:counted_through', coalesce(max(rowid), 0) FROM `link_clicks`;
