CREATE TABLE `click_daily` (
	`day` text NOT NULL,
	`tracking_id` text NOT NULL,
	`visitor_kind` text NOT NULL,
	`outcome` text NOT NULL,
	`clicks` integer NOT NULL,
	PRIMARY KEY(`day`, `tracking_id`, `visitor_kind`, `outcome`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX `click_daily_tracking_idx` ON `click_daily` (`tracking_id`,`visitor_kind`,`outcome`);