DROP INDEX `link_clicks_time_idx`;--> statement-breakpoint
CREATE INDEX `link_clicks_time_idx` ON `link_clicks` (`clicked_at`);