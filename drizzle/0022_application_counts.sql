CREATE TABLE `application_counts` (
	`application_id` text PRIMARY KEY NOT NULL,
	`visitors` integer NOT NULL,
	`visits` integer NOT NULL,
	`clicks` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `application_visitors` (
	`application_id` text NOT NULL,
	`session_id` text NOT NULL,
	`visits` integer NOT NULL,
	PRIMARY KEY(`application_id`, `session_id`)
) WITHOUT ROWID;
--> statement-breakpoint
-- What application_sessions holds so far (the rest is counted as it comes).
INSERT INTO `application_visitors` (`application_id`, `session_id`, `visits`)
SELECT `application_id`, `session_id`, count(*) FROM `application_sessions`
WHERE `visitor_kind` = 'human' AND `outcome` = 'redirected' AND `clicks` > 0 GROUP BY 1, 2;
--> statement-breakpoint
INSERT INTO `application_counts` (`application_id`, `visitors`, `visits`, `clicks`)
SELECT `application_id`, count(*), sum(`visits`), sum(`clicks`)
FROM (SELECT `application_id`, count(*) AS `visits`, sum(`clicks`) AS `clicks` FROM `application_sessions`
      WHERE `visitor_kind` = 'human' AND `outcome` = 'redirected' AND `clicks` > 0 GROUP BY `application_id`, `session_id`)
GROUP BY 1;
