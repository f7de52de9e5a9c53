ALTER TABLE `webhook_endpoints` ADD `format` text DEFAULT 'standard-webhooks' NOT NULL;--> statement-breakpoint
ALTER TABLE `webhook_endpoints` ADD `token` text;--> statement-breakpoint
ALTER TABLE `webhook_endpoints` ADD `chat_id` text;--> statement-breakpoint
ALTER TABLE `webhook_endpoints` ADD `failures` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `webhook_endpoints` ADD `paused_at` text;--> statement-breakpoint
ALTER TABLE `webhook_endpoints` ADD `paused_reason` text;--> statement-breakpoint
ALTER TABLE `webhook_endpoints` ADD `digest_hour` integer;--> statement-breakpoint
ALTER TABLE `webhook_endpoints` ADD `time_zone` text;--> statement-breakpoint
ALTER TABLE `webhook_endpoints` ADD `digest_only` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `webhook_endpoints` ADD `digest_seq` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `webhook_endpoints` ADD `digest_day` text;