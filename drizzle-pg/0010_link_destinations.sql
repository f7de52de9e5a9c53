CREATE TABLE "link_tracker"."link_destinations" (
	"tracking_id" varchar(100) PRIMARY KEY NOT NULL,
	"checked_at" timestamp(3) with time zone NOT NULL,
	"ok" boolean NOT NULL,
	"status" integer,
	"error" text,
	"failures" integer DEFAULT 0 NOT NULL,
	"down" boolean DEFAULT false NOT NULL,
	"down_since" timestamp(3) with time zone
);
--> statement-breakpoint
ALTER TABLE "link_tracker"."link_destinations" ADD CONSTRAINT "link_destinations_tracking_id_link_tracking_tracking_id_fk" FOREIGN KEY ("tracking_id") REFERENCES "link_tracking"("tracking_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "link_destinations_down_idx" ON "link_tracker"."link_destinations" USING btree ("down_since") WHERE "link_tracker"."link_destinations"."down";--> statement-breakpoint
CREATE INDEX "link_destinations_failing_idx" ON "link_tracker"."link_destinations" USING btree ("checked_at") WHERE not "link_tracker"."link_destinations"."ok" and not "link_tracker"."link_destinations"."down";