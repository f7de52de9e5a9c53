CREATE TABLE `dashboard_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`token_hash` text NOT NULL,
	`key_name` text NOT NULL,
	`key_hash` text NOT NULL,
	`scope` text NOT NULL,
	`remember` integer NOT NULL,
	`browser` text,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL,
	`revoked_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `dashboard_sessions_token_hash_unique` ON `dashboard_sessions` (`token_hash`);--> statement-breakpoint
CREATE INDEX `dashboard_sessions_key_idx` ON `dashboard_sessions` (`key_name`);