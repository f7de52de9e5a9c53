ALTER TABLE `link_clicks` ADD `country` text(2);--> statement-breakpoint
ALTER TABLE `link_clicks` ADD `city` text(100);--> statement-breakpoint
ALTER TABLE `link_clicks` ADD `asn` integer;--> statement-breakpoint
ALTER TABLE `link_clicks` ADD `network` text(200);