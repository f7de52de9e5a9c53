ALTER TABLE "link_tracker"."webhook_endpoints" ADD COLUMN "format" text DEFAULT 'standard-webhooks' NOT NULL;--> statement-breakpoint
ALTER TABLE "link_tracker"."webhook_endpoints" ADD COLUMN "token" text;--> statement-breakpoint
ALTER TABLE "link_tracker"."webhook_endpoints" ADD COLUMN "chat_id" text;--> statement-breakpoint
ALTER TABLE "link_tracker"."webhook_endpoints" ADD COLUMN "failures" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "link_tracker"."webhook_endpoints" ADD COLUMN "paused_at" timestamp(3) with time zone;--> statement-breakpoint
ALTER TABLE "link_tracker"."webhook_endpoints" ADD COLUMN "paused_reason" text;