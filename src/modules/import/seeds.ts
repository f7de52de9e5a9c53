/**
 * `import seeds postgres://…`: the job-application system's own tables, `link_tracking`
 * and `link_clicks`, read only (the store's SeedsTables: src/db/postgres/seeds.ts). Links
 * come with their ids, job and application ids, functions, types, active flags,
 * descriptions and creators; clicks with their times, addresses, agents, referrers,
 * sessions, sources and metadata, and are classified and located as ingested clicks are
 * (origin `import`).
 */
import type { SeedsTables } from "../../db/store";
import type { ImportSource, SourceRecord } from "./model";

const PAGE = 1000;

export function seedsSource(tables: SeedsTables): ImportSource {
  let checked = false;
  return {
    name: "seeds",
    async *records(): AsyncIterable<SourceRecord> {
      if (!checked) await tables.check();
      checked = true;
      for (let after = ""; ; ) {
        const rows = await tables.links(after, PAGE);
        for (const r of rows) {
          yield {
            kind: "link",
            at: `link_tracking ${r.tracking_id}`,
            link: {
              sourceId: r.tracking_id,
              trackingId: r.tracking_id,
              url: r.original_url ?? "",
              linkFunction: r.link_function,
              linkType: r.link_type,
              jobId: r.job_id,
              applicationId: r.application_id,
              createdAt: r.created_at,
              createdBy: r.created_by,
              isActive: r.is_active !== false,
              description: r.description,
            },
          };
        }
        if (rows.length < PAGE) break;
        after = rows.at(-1)!.tracking_id;
      }
      for (let after: string | null = null; ; ) {
        const rows = await tables.clicks(after, PAGE);
        for (const r of rows) {
          yield {
            kind: "click",
            at: `link_clicks ${r.click_id}`,
            click: {
              sourceId: r.click_id,
              trackingId: r.tracking_id,
              clickedAt: r.clicked_at ?? "",
              ipAddress: r.ip_address,
              userAgent: r.user_agent,
              referrerUrl: r.referrer_url,
              sessionId: r.session_id,
              clickSource: r.click_source,
              metadata: r.metadata && typeof r.metadata === "object" && !Array.isArray(r.metadata) ? (r.metadata as Record<string, unknown>) : null,
            },
          };
        }
        if (rows.length < PAGE) break;
        after = rows.at(-1)!.click_id;
      }
    },
    close: () => tables.close(),
  };
}
