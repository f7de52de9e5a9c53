CREATE TABLE `edge_dead_letters` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`event_id` text NOT NULL,
	`event` text NOT NULL,
	`reason` text NOT NULL,
	`failed_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `edge_outbox` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`event_id` text NOT NULL,
	`event` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `edge_outbox_event_id_unique` ON `edge_outbox` (`event_id`);