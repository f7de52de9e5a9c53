CREATE TABLE `application_sessions` (
	`application_id` text NOT NULL,
	`session_id` text NOT NULL,
	`day` integer NOT NULL,
	`visitor_kind` text NOT NULL,
	`outcome` text NOT NULL,
	`clicks` integer NOT NULL,
	PRIMARY KEY(`application_id`, `session_id`, `day`, `visitor_kind`, `outcome`)
) WITHOUT ROWID;
--> statement-breakpoint
DROP INDEX `click_daily_tracking_idx`;--> statement-breakpoint
CREATE INDEX `click_daily_tracking_idx` ON `click_daily` (`tracking_id`,`visitor_kind`,`outcome`,`day`,`clicks`);
--> statement-breakpoint
-- What the roll-ups have counted so far, from the links' sessions (the rest is counted as it comes).
INSERT INTO `application_sessions` (`application_id`, `session_id`, `day`, `visitor_kind`, `outcome`, `clicks`)
SELECT l.`application_id`, s.`session_id`, s.`day`, 'human', 'redirected', sum(s.`clicks`)
FROM `click_sessions` s JOIN `link_tracking` l ON l.`tracking_id` = s.`tracking_id`
WHERE l.`application_id` IS NOT NULL AND s.`visitor_kind` = 'human' AND s.`outcome` = 'redirected'
GROUP BY 1, 2, 3 HAVING sum(s.`clicks`) <> 0;
