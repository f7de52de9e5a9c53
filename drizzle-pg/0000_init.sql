CREATE SCHEMA "link_tracker";
--> statement-breakpoint
CREATE TABLE "link_tracker"."api_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"scope" text NOT NULL,
	"key_hash" text NOT NULL,
	"created_at" timestamp(3) with time zone NOT NULL,
	"last_used_at" timestamp(3) with time zone,
	"revoked_at" timestamp(3) with time zone,
	CONSTRAINT "api_keys_name_unique" UNIQUE("name"),
	CONSTRAINT "api_keys_key_hash_unique" UNIQUE("key_hash")
);
--> statement-breakpoint
CREATE TABLE "link_tracker"."click_daily" (
	"day" date NOT NULL,
	"tracking_id" varchar(100) NOT NULL,
	"visitor_kind" varchar(10) NOT NULL,
	"outcome" varchar(10) NOT NULL,
	"shard" smallint DEFAULT 0 NOT NULL,
	"clicks" bigint NOT NULL,
	CONSTRAINT "click_daily_day_tracking_id_visitor_kind_outcome_shard_pk" PRIMARY KEY("day","tracking_id","visitor_kind","outcome","shard")
);
--> statement-breakpoint
CREATE TABLE "link_tracker"."copy_progress" (
	"table_name" text PRIMARY KEY NOT NULL,
	"cursor" text NOT NULL,
	"copied" bigint NOT NULL,
	"done" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE "link_tracker"."daily_salts" (
	"day" text PRIMARY KEY NOT NULL,
	"salt" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "link_clicks" (
	"click_id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tracking_id" varchar(100) NOT NULL,
	"clicked_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	"ip_address" "inet",
	"user_agent" text,
	"referrer_url" varchar(1000),
	"session_id" varchar(100),
	"click_source" varchar(50),
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"received_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	"is_bot" boolean DEFAULT false NOT NULL,
	"visitor_kind" varchar(10) DEFAULT 'human' NOT NULL,
	"visitor_reason" text,
	"origin" varchar(10) DEFAULT 'api' NOT NULL,
	"outcome" varchar(10) DEFAULT 'redirected' NOT NULL,
	"idempotency_key" varchar(200)
);
--> statement-breakpoint
CREATE TABLE "link_tracking" (
	"tracking_id" varchar(100) PRIMARY KEY NOT NULL,
	"job_id" uuid,
	"application_id" uuid,
	"link_function" varchar(50) NOT NULL,
	"link_type" varchar(50) NOT NULL,
	"original_url" varchar(1000) NOT NULL,
	"redirect_url" varchar(1000) NOT NULL,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	"created_by" varchar(100) DEFAULT 'system' NOT NULL,
	"is_active" boolean DEFAULT true NOT NULL,
	"description" text,
	"updated_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp(3) with time zone
);
--> statement-breakpoint
CREATE TABLE "link_tracker"."links_version" (
	"id" integer PRIMARY KEY NOT NULL,
	"version" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "link_tracker"."settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "link_tracker"."signal_events" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"event_id" text NOT NULL,
	"type" text NOT NULL,
	"created_at" timestamp(3) with time zone NOT NULL,
	"deliver_after" timestamp(3) with time zone NOT NULL,
	"click_id" uuid NOT NULL,
	"tracking_id" varchar(100) NOT NULL,
	"subject" text NOT NULL,
	"payload" jsonb NOT NULL,
	"cancelled_at" timestamp(3) with time zone,
	CONSTRAINT "signal_events_event_id_unique" UNIQUE("event_id")
);
--> statement-breakpoint
CREATE TABLE "link_tracker"."webhook_deliveries" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"event_seq" bigint NOT NULL,
	"endpoint_id" text NOT NULL,
	"tracking_id" varchar(100) NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"first_attempt_at" timestamp(3) with time zone,
	"next_attempt_at" timestamp(3) with time zone NOT NULL,
	"last_attempt_at" timestamp(3) with time zone,
	"last_status" integer,
	"last_error" text,
	"delivered_at" timestamp(3) with time zone,
	"leased_until" timestamp(3) with time zone,
	"leased_by" text
);
--> statement-breakpoint
CREATE TABLE "link_tracker"."webhook_endpoints" (
	"id" text PRIMARY KEY NOT NULL,
	"url" text NOT NULL,
	"secret" text NOT NULL,
	"event_types" jsonb NOT NULL,
	"description" text,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp(3) with time zone NOT NULL,
	"scanned_seq" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE INDEX "click_daily_tracking_idx" ON "link_tracker"."click_daily" USING btree ("tracking_id","visitor_kind","outcome");--> statement-breakpoint
CREATE INDEX "link_clicks_tracking_clicked_idx" ON "link_clicks" USING btree ("tracking_id","clicked_at","outcome","visitor_kind");--> statement-breakpoint
CREATE INDEX "link_clicks_time_idx" ON "link_clicks" USING btree ("clicked_at");--> statement-breakpoint
CREATE UNIQUE INDEX "link_clicks_idempotency_key_unique" ON "link_clicks" USING btree ("idempotency_key") WHERE idempotency_key is not null;--> statement-breakpoint
CREATE INDEX "link_tracking_job_idx" ON "link_tracking" USING btree ("job_id");--> statement-breakpoint
CREATE INDEX "link_tracking_application_idx" ON "link_tracking" USING btree ("application_id");--> statement-breakpoint
CREATE INDEX "link_tracking_created_idx" ON "link_tracking" USING btree ("created_at" DESC NULLS LAST,"tracking_id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "signal_events_click_idx" ON "link_tracker"."signal_events" USING btree ("click_id");--> statement-breakpoint
CREATE INDEX "signal_events_subject_idx" ON "link_tracker"."signal_events" USING btree ("type","subject");--> statement-breakpoint
CREATE UNIQUE INDEX "signal_events_first_human_unique" ON "link_tracker"."signal_events" USING btree ("subject") WHERE type = 'click.first_human' and cancelled_at is null;--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_deliveries_event_endpoint_unique" ON "link_tracker"."webhook_deliveries" USING btree ("event_seq","endpoint_id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_due_idx" ON "link_tracker"."webhook_deliveries" USING btree ("status","next_attempt_at");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_endpoint_idx" ON "link_tracker"."webhook_deliveries" USING btree ("endpoint_id","seq");