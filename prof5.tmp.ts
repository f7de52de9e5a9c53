import { createDb } from "./src/db/sqlite";
import * as r from "./src/db/sqlite/rollups";
const path = `/tmp/prof-${process.pid}.db`;
const db = createDb(path, { checkpointer: true });
if (process.env.CACHE) db.$client.run(`PRAGMA cache_size = -${process.env.CACHE}`);
db.$client.run(`with recursive n(i) as (select 0 union all select i + 1 from n where i < ${process.env.N ?? 99999})
 insert into link_clicks (click_id, tracking_id, clicked_at, received_at, ip_address, user_agent, referrer_url, session_id, click_source, metadata, is_bot, visitor_kind, origin, outcome)
 select printf('%08x-0000-7000-8000-%012x', i, i), 'bench' || printf('%04d', i % 1000), strftime('%Y-%m-%dT%H:%M:%fZ', 'now', printf('-%d seconds', (i * 2593) % 2592000)), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
 '198.51.100.' || (i % 250), case i % 4 when 0 then 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0' when 1 then 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1' else 'LinkedInBot/1.0' end,
 case i % 3 when 0 then 'https://mail.google.com/' when 1 then 'https://www.linkedin.com/' else null end, 's_' || (i % 5000), 'linkedin', '{}', 0, 'human', 'redirect', 'redirected' from n`);
r.requestBackfill(db);
const t = performance.now();
let n = 0, c = 0;
for (let x; (x = r.backfillSlice(db, Number(process.env.BUDGET ?? 40))) !== null; ) { n++; c += x; }
console.log("slices", n, "clicks", c, "clicks/s", (c / (performance.now() - t) * 1000).toFixed(0));
