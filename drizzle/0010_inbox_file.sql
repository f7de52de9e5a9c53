-- Redirect clicks now wait in a database file of their own (src/db/sqlite/inbox.ts), so
-- that a redirect's commit never waits for the lock of this one. Clicks still waiting in
-- the old in-database inbox are counted and moved into link_clicks first.
INSERT INTO `click_daily` (`day`, `tracking_id`, `visitor_kind`, `outcome`, `clicks`)
SELECT substr(`clicked_at`, 1, 10), `tracking_id`, `visitor_kind`, `outcome`, count(*) FROM `click_inbox` WHERE true GROUP BY 1, 2, 3, 4
ON CONFLICT (`day`, `tracking_id`, `visitor_kind`, `outcome`) DO UPDATE SET `clicks` = `clicks` + excluded.`clicks`;
--> statement-breakpoint
INSERT INTO `link_clicks` (`click_id`, `tracking_id`, `clicked_at`, `received_at`, `ip_address`, `user_agent`, `referrer_url`, `session_id`, `click_source`, `metadata`, `is_bot`, `visitor_kind`, `visitor_reason`, `origin`, `outcome`)
SELECT `click_id`, `tracking_id`, `clicked_at`, `received_at`, `ip_address`, `user_agent`, `referrer_url`, `session_id`, `click_source`, `metadata`, `is_bot`, `visitor_kind`, `visitor_reason`, `origin`, `outcome` FROM `click_inbox` ORDER BY `tracking_id`, `clicked_at`;
--> statement-breakpoint
DROP TABLE `click_inbox`;
