DROP INDEX `link_clicks_tracking_clicked_idx`;--> statement-breakpoint
ALTER TABLE `link_clicks` ADD `visitor_reason` text;--> statement-breakpoint
CREATE INDEX `link_clicks_time_idx` ON `link_clicks` (`clicked_at`,`outcome`,`visitor_kind`,`tracking_id`);--> statement-breakpoint
CREATE INDEX `link_clicks_tracking_clicked_idx` ON `link_clicks` (`tracking_id`,`clicked_at`,`outcome`,`visitor_kind`);