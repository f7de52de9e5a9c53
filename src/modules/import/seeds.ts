/**
 * `import seeds postgres://…`: the job-application system's own tables, `link_tracking`
 * and `link_clicks` (the DDL of external-domain-guide.md), in another PostgreSQL
 * database. Read only: every read runs in a READ ONLY transaction on a connection that
 * defaults to read only, so the source is never written. Links come with their ids, job
 * and application ids, functions, types, active flags, descriptions and creators; clicks
 * with their times, addresses, agents, referrers, sessions, sources and metadata, and are
 * classified and located as ingested clicks are (origin `import`).
 */
import pg from "pg";
import { redactUrl } from "../../lib/url";
import { explainTls, tlsPlan } from "../../db/postgres/tls";
import type { ImportSource, SourceRecord } from "./model";

const PAGE = 1000;

/** A TIMESTAMP (taken as UTC, as the seeds write it) or a TIMESTAMPTZ, as ISO 8601 UTC text. */
const UTC = (column: string) => `to_char(${column}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as ${column}`;

/** The columns each table must have: what the import reads. */
const NEEDED: Record<string, string[]> = {
  link_tracking: ["tracking_id", "job_id", "application_id", "link_function", "link_type", "original_url", "created_at", "created_by", "is_active", "description"],
  link_clicks: ["click_id", "tracking_id", "clicked_at", "ip_address", "user_agent", "referrer_url", "session_id", "click_source", "metadata"],
};

export class SeedsError extends Error {}

const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const isoOf = (v: unknown): string | null => (v instanceof Date ? v.toISOString() : text(v));

export function seedsSource(url: string, caCert?: string | null): ImportSource {
  let pool: pg.Pool | null = null;
  const label = redactUrl(url);
  const connect = async (): Promise<pg.Pool> => {
    if (pool) return pool;
    let plan;
    try {
      plan = tlsPlan(url, caCert);
    } catch (error) {
      throw new SeedsError((error as Error).message.replace("DATABASE_URL", "the seeds URL"));
    }
    const open = (ssl: typeof plan.ssl) => {
      const made = new pg.Pool({
        connectionString: plan.connectionString,
        ssl: ssl === false ? undefined : ssl,
        max: 1,
        connectionTimeoutMillis: 10_000,
        statement_timeout: 60_000,
        application_name: "link-tracker import",
        // Nothing this connection runs can write.
        options: "-c default_transaction_read_only=on -c TimeZone=UTC",
      });
      made.on("error", () => {});
      return made;
    };
    let made = open(plan.ssl);
    try {
      await made.query("select 1");
    } catch (error) {
      // sslmode=prefer (the default) on a server without TLS: plain, as the server's own connections do.
      const tls = explainTls(error, plan, new URL(plan.connectionString).hostname);
      await made.end().catch(() => {});
      if (!(tls && plan.fallback === false && /does not offer TLS/.test(tls))) {
        const e = error as Error & { code?: string };
        throw new SeedsError(`cannot read ${label}: ${tls ?? (e.code === "28P01" ? "password authentication failed" : e.message)}`);
      }
      made = open(false);
    }
    try {
      const found = await made.query<{ table_name: string; column_name: string }>(
        `select table_name, column_name from information_schema.columns
         where table_schema = current_schema() and table_name in ('link_tracking', 'link_clicks')`,
      );
      for (const [table, columns] of Object.entries(NEEDED)) {
        const have = new Set(found.rows.filter((r) => r.table_name === table).map((r) => r.column_name));
        if (have.size === 0) throw new SeedsError(`${label} has no table ${table} (in schema ${(await made.query("select current_schema() as s")).rows[0]?.s}): is it the job-application system's database?`);
        const missing = columns.filter((c) => !have.has(c));
        if (missing.length > 0) throw new SeedsError(`${label}: table ${table} has no column ${missing.join(", ")} (the seeds' DDL has them)`);
      }
    } catch (error) {
      await made.end().catch(() => {});
      if (error instanceof SeedsError) throw error;
      const e = error as Error & { code?: string };
      throw new SeedsError(`cannot read ${label}: ${e.code === "28P01" ? "password authentication failed" : e.message}`);
    }
    pool = made;
    return made;
  };
  /** One page in a READ ONLY transaction of its own, after the key `after`. */
  const page = async <T extends pg.QueryResultRow>(query: string, after: string): Promise<T[]> => {
    const client = await (await connect()).connect();
    try {
      await client.query("begin read only");
      const rows = (await client.query<T>(query, [after, PAGE])).rows;
      await client.query("commit");
      return rows;
    } catch (error) {
      await client.query("rollback").catch(() => {});
      throw new SeedsError(`reading ${label}: ${(error as Error).message}`);
    } finally {
      client.release();
    }
  };
  return {
    name: "seeds",
    async *records(): AsyncIterable<SourceRecord> {
      let after = "";
      for (;;) {
        const rows = await page<Record<string, unknown>>(
          `select tracking_id, job_id::text, application_id::text, link_function, link_type, original_url, ${UTC("created_at")}, created_by, is_active, description
           from link_tracking where tracking_id > $1 order by tracking_id collate "C" limit $2`,
          after,
        );
        for (const r of rows) {
          yield {
            kind: "link",
            at: `link_tracking ${String(r.tracking_id)}`,
            link: {
              sourceId: String(r.tracking_id),
              trackingId: String(r.tracking_id),
              url: text(r.original_url) ?? "",
              linkFunction: text(r.link_function),
              linkType: text(r.link_type),
              jobId: text(r.job_id),
              applicationId: text(r.application_id),
              createdAt: isoOf(r.created_at),
              createdBy: text(r.created_by),
              isActive: r.is_active !== false,
              description: text(r.description),
            },
          };
        }
        if (rows.length < PAGE) break;
        after = String(rows.at(-1)!.tracking_id);
      }
      after = "00000000-0000-0000-0000-000000000000";
      let first = true;
      for (;;) {
        const rows = await page<Record<string, unknown>>(
          `select click_id::text, tracking_id, ${UTC("clicked_at")}, host(ip_address) as ip_address, user_agent, referrer_url, session_id, click_source, metadata
           from link_clicks where click_id ${first ? ">=" : ">"} $1::uuid order by click_id limit $2`,
          after,
        );
        first = false;
        for (const r of rows) {
          yield {
            kind: "click",
            at: `link_clicks ${String(r.click_id)}`,
            click: {
              sourceId: String(r.click_id),
              trackingId: String(r.tracking_id),
              clickedAt: isoOf(r.clicked_at) ?? "",
              ipAddress: text(r.ip_address),
              userAgent: text(r.user_agent),
              referrerUrl: text(r.referrer_url),
              sessionId: text(r.session_id),
              clickSource: text(r.click_source),
              metadata: r.metadata && typeof r.metadata === "object" && !Array.isArray(r.metadata) ? (r.metadata as Record<string, unknown>) : null,
            },
          };
        }
        if (rows.length < PAGE) break;
        after = String(rows.at(-1)!.click_id);
      }
    },
    async close() {
      await pool?.end().catch(() => {});
      pool = null;
    },
  };
}
