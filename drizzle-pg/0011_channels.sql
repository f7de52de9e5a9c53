ALTER TABLE "link_tracker"."webhook_endpoints" ADD COLUMN "format" text DEFAULT 'standard-webhooks' NOT NULL;--> statement-breakpoint
ALTER TABLE "link_tracker"."webhook_endpoints" ADD COLUMN "token" text;--> statement-breakpoint
ALTER TABLE "link_tracker"."webhook_endpoints" ADD COLUMN "chat_id" text;--> statement-breakpoint
ALTER TABLE "link_tracker"."webhook_endpoints" ADD COLUMN "failures" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "link_tracker"."webhook_endpoints" ADD COLUMN "paused_at" timestamp(3) with time zone;--> statement-breakpoint
ALTER TABLE "link_tracker"."webhook_endpoints" ADD COLUMN "paused_reason" text;--> statement-breakpoint
ALTER TABLE "link_tracker"."webhook_endpoints" ADD COLUMN "digest_hour" integer;--> statement-breakpoint
ALTER TABLE "link_tracker"."webhook_endpoints" ADD COLUMN "time_zone" text;--> statement-breakpoint
ALTER TABLE "link_tracker"."webhook_endpoints" ADD COLUMN "digest_only" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "link_tracker"."webhook_endpoints" ADD COLUMN "digest_seq" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "link_tracker"."webhook_endpoints" ADD COLUMN "digest_day" text;