ALTER TABLE "link_clicks" ADD COLUMN "browser" text;--> statement-breakpoint
ALTER TABLE "link_clicks" ADD COLUMN "os" text;--> statement-breakpoint
ALTER TABLE "link_clicks" ADD COLUMN "device" text;--> statement-breakpoint
ALTER TABLE "link_clicks" ADD COLUMN "referrer_domain" text;