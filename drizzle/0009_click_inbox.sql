CREATE TABLE `click_inbox` (
	`seq` integer PRIMARY KEY NOT NULL,
	`click_id` text NOT NULL,
	`tracking_id` text NOT NULL,
	`clicked_at` text NOT NULL,
	`received_at` text NOT NULL,
	`ip_address` text,
	`user_agent` text,
	`referrer_url` text,
	`session_id` text,
	`click_source` text,
	`metadata` text NOT NULL,
	`is_bot` integer NOT NULL,
	`visitor_kind` text NOT NULL,
	`visitor_reason` text,
	`origin` text NOT NULL,
	`outcome` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `click_inbox_click_idx` ON `click_inbox` (`click_id`);