CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`scope` text NOT NULL,
	`key_hash` text NOT NULL,
	`created_at` text NOT NULL,
	`last_used_at` text,
	`revoked_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_name_unique` ON `api_keys` (`name`);--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_key_hash_unique` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE TABLE `daily_salts` (
	`day` text PRIMARY KEY NOT NULL,
	`salt` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `link_clicks` (
	`click_id` text PRIMARY KEY NOT NULL,
	`tracking_id` text(100) NOT NULL,
	`clicked_at` text NOT NULL,
	`received_at` text NOT NULL,
	`ip_address` text(45),
	`user_agent` text,
	`referrer_url` text(1000),
	`session_id` text(100),
	`click_source` text(50),
	`metadata` text DEFAULT '{}' NOT NULL,
	`is_bot` integer DEFAULT false NOT NULL,
	`visitor_kind` text DEFAULT 'human' NOT NULL,
	`origin` text NOT NULL,
	`outcome` text DEFAULT 'redirected' NOT NULL,
	`idempotency_key` text
);
--> statement-breakpoint
CREATE INDEX `link_clicks_tracking_clicked_idx` ON `link_clicks` (`tracking_id`,`clicked_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `link_clicks_idempotency_key_unique` ON `link_clicks` (`idempotency_key`) WHERE idempotency_key is not null;--> statement-breakpoint
CREATE TABLE `link_tracking` (
	`tracking_id` text(100) PRIMARY KEY NOT NULL,
	`job_id` text,
	`application_id` text,
	`link_function` text(50) NOT NULL,
	`link_type` text(50) NOT NULL,
	`original_url` text(1000) NOT NULL,
	`redirect_url` text(1000) NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`created_by` text(100) DEFAULT 'system' NOT NULL,
	`is_active` integer DEFAULT true NOT NULL,
	`description` text,
	`expires_at` text
);
--> statement-breakpoint
CREATE INDEX `link_tracking_job_idx` ON `link_tracking` (`job_id`);--> statement-breakpoint
CREATE INDEX `link_tracking_application_idx` ON `link_tracking` (`application_id`);