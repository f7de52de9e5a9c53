-- A counter every change to link_tracking bumps, from any process. A server caches links
-- for its redirects and re-reads them when the counter moves (the CLI changes links too).
CREATE TABLE `links_version` (
	`id` integer PRIMARY KEY NOT NULL CHECK (`id` = 1),
	`version` integer NOT NULL
);
--> statement-breakpoint
INSERT INTO `links_version` (`id`, `version`) VALUES (1, 0);
--> statement-breakpoint
CREATE TRIGGER `link_tracking_insert_version` AFTER INSERT ON `link_tracking`
BEGIN UPDATE `links_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `link_tracking_update_version` AFTER UPDATE ON `link_tracking`
BEGIN UPDATE `links_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `link_tracking_delete_version` AFTER DELETE ON `link_tracking`
BEGIN UPDATE `links_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
