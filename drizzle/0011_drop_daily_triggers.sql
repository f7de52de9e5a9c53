-- click_daily is kept by the code that changes link_clicks, in one place
-- (src/db/sqlite/daily.ts): new, deleted and changed clicks alike. The triggers of 0007
-- counted deletions and changes a second way.
DROP TRIGGER IF EXISTS `link_clicks_daily_delete`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `link_clicks_daily_update`;
