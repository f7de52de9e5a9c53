CREATE TABLE "link_tracker"."dashboard_sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"token_hash" text NOT NULL,
	"key_name" text NOT NULL,
	"key_hash" text NOT NULL,
	"scope" text NOT NULL,
	"remember" boolean NOT NULL,
	"browser" text,
	"created_at" timestamp(3) with time zone NOT NULL,
	"expires_at" timestamp(3) with time zone NOT NULL,
	"revoked_at" timestamp(3) with time zone,
	CONSTRAINT "dashboard_sessions_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE INDEX "dashboard_sessions_key_idx" ON "link_tracker"."dashboard_sessions" USING btree ("key_name");