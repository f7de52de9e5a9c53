/**
 * Migrations are imported, not read from disk: drizzle's stock migrator reads the
 * `drizzle/` folder at run time, which does not exist beside a compiled binary.
 * Every generated `.sql` file is listed here; test/db/migrations.test.ts fails when
 * this list and the journal drift apart.
 */
import type { MigrationMeta } from "drizzle-orm/migrator";
import journal from "../../../drizzle/meta/_journal.json" with { type: "json" };
import m0000 from "../../../drizzle/0000_init.sql" with { type: "text" };
import m0001 from "../../../drizzle/0001_links_version.sql" with { type: "text" };
import m0002 from "../../../drizzle/0002_classification.sql" with { type: "text" };
import m0003 from "../../../drizzle/0003_edge_outbox.sql" with { type: "text" };
import m0004 from "../../../drizzle/0004_signals.sql" with { type: "text" };
import m0005 from "../../../drizzle/0005_settings.sql" with { type: "text" };
import m0006 from "../../../drizzle/0006_click_daily.sql" with { type: "text" };
import m0007 from "../../../drizzle/0007_click_daily_triggers.sql" with { type: "text" };
import m0008 from "../../../drizzle/0008_narrow_time_index.sql" with { type: "text" };
import m0009 from "../../../drizzle/0009_click_inbox.sql" with { type: "text" };
import m0010 from "../../../drizzle/0010_inbox_file.sql" with { type: "text" };
import m0011 from "../../../drizzle/0011_drop_daily_triggers.sql" with { type: "text" };
import m0012 from "../../../drizzle/0012_click_place.sql" with { type: "text" };
import m0013 from "../../../drizzle/0013_applications.sql" with { type: "text" };
import m0014 from "../../../drizzle/0014_rollups.sql" with { type: "text" };
import m0015 from "../../../drizzle/0015_dashboard_sessions.sql" with { type: "text" };
import m0016 from "../../../drizzle/0016_signal_time_index.sql" with { type: "text" };
import m0017 from "../../../drizzle/0017_link_destinations.sql" with { type: "text" };
import m0018 from "../../../drizzle/0018_channels.sql" with { type: "text" };
import m0019 from "../../../drizzle/0019_application_sessions.sql" with { type: "text" };
import m0020 from "../../../drizzle/0020_short_codes.sql" with { type: "text" };
import m0021 from "../../../drizzle/0021_click_hours.sql" with { type: "text" };
import m0022 from "../../../drizzle/0022_application_counts.sql" with { type: "text" };

export const embeddedSql: Record<string, string> = {
  "0000_init": m0000,
  "0001_links_version": m0001,
  "0002_classification": m0002,
  "0003_edge_outbox": m0003,
  "0004_signals": m0004,
  "0005_settings": m0005,
  "0006_click_daily": m0006,
  "0007_click_daily_triggers": m0007,
  "0008_narrow_time_index": m0008,
  "0009_click_inbox": m0009,
  "0010_inbox_file": m0010,
  "0011_drop_daily_triggers": m0011,
  "0012_click_place": m0012,
  "0013_applications": m0013,
  "0014_rollups": m0014,
  "0015_dashboard_sessions": m0015,
  "0016_signal_time_index": m0016,
  "0017_link_destinations": m0017,
  "0018_channels": m0018,
  "0019_application_sessions": m0019,
  "0020_short_codes": m0020,
  "0021_click_hours": m0021,
  "0022_application_counts": m0022,
};

export { journal };

export function embeddedMigrations(): MigrationMeta[] {
  return journal.entries.map((entry) => {
    const query = embeddedSql[entry.tag];
    if (query === undefined) throw new Error(`Missing embedded migration: ${entry.tag}`);
    return {
      sql: query.split("--> statement-breakpoint"),
      bps: entry.breakpoints,
      folderMillis: entry.when,
      hash: new Bun.CryptoHasher("sha256").update(query).digest("hex"),
    };
  });
}
