CREATE TABLE `link_destinations` (
	`tracking_id` text(100) PRIMARY KEY NOT NULL,
	`checked_at` text NOT NULL,
	`ok` integer NOT NULL,
	`status` integer,
	`error` text,
	`failures` integer DEFAULT 0 NOT NULL,
	`down` integer DEFAULT false NOT NULL,
	`down_since` text,
	FOREIGN KEY (`tracking_id`) REFERENCES `link_tracking`(`tracking_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `link_destinations_down_idx` ON `link_destinations` (`down_since`) WHERE "link_destinations"."down" = 1;--> statement-breakpoint
CREATE INDEX `link_destinations_failing_idx` ON `link_destinations` (`checked_at`) WHERE "link_destinations"."ok" = 0 and "link_destinations"."down" = 0;