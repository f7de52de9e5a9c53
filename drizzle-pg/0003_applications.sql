CREATE TABLE "link_tracker"."applications" (
	"application_id" uuid PRIMARY KEY NOT NULL,
	"company" varchar(200),
	"role" varchar(200),
	"job_id" uuid,
	"sent_at" timestamp(3) with time zone,
	"notes" varchar(2000),
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp(3) with time zone DEFAULT now() NOT NULL
);
