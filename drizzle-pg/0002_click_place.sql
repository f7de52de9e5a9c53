ALTER TABLE "link_clicks" ADD COLUMN "country" varchar(2);--> statement-breakpoint
ALTER TABLE "link_clicks" ADD COLUMN "city" varchar(100);--> statement-breakpoint
ALTER TABLE "link_clicks" ADD COLUMN "asn" integer;--> statement-breakpoint
ALTER TABLE "link_clicks" ADD COLUMN "network" varchar(200);