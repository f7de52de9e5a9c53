CREATE TABLE `click_hours` (
	`tracking_id` text NOT NULL,
	`hour` integer NOT NULL,
	`visitor_kind` text NOT NULL,
	`outcome` text NOT NULL,
	`clicks` integer NOT NULL,
	PRIMARY KEY(`tracking_id`, `hour`, `visitor_kind`, `outcome`)
) WITHOUT ROWID;
--> statement-breakpoint
-- What the roll-ups have counted so far, from the quarter-hours (the rest is counted as it comes).
INSERT INTO `click_hours` (`tracking_id`, `hour`, `visitor_kind`, `outcome`, `clicks`)
SELECT `tracking_id`, `quarter` / 4, `visitor_kind`, `outcome`, sum(`clicks`)
FROM `click_quarters` GROUP BY 1, 2, 3, 4 HAVING sum(`clicks`) <> 0 ORDER BY 1, 2, 3, 4;
--> statement-breakpoint
CREATE INDEX `click_hours_time_idx` ON `click_hours` (`hour`,`clicks`);--> statement-breakpoint
DROP INDEX `click_quarters_time_idx`;--> statement-breakpoint
CREATE INDEX `click_quarters_time_idx` ON `click_quarters` (`quarter`,`clicks`);
