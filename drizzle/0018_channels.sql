ALTER TABLE `webhook_endpoints` ADD `format` text DEFAULT 'standard-webhooks' NOT NULL;--> statement-breakpoint
ALTER TABLE `webhook_endpoints` ADD `token` text;--> statement-breakpoint
ALTER TABLE `webhook_endpoints` ADD `chat_id` text;--> statement-breakpoint
ALTER TABLE `webhook_endpoints` ADD `failures` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `webhook_endpoints` ADD `paused_at` text;--> statement-breakpoint
ALTER TABLE `webhook_endpoints` ADD `paused_reason` text;