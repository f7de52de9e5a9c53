CREATE TABLE `applications` (
	`application_id` text PRIMARY KEY NOT NULL,
	`company` text(200),
	`role` text(200),
	`job_id` text,
	`sent_at` text,
	`notes` text(2000),
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
