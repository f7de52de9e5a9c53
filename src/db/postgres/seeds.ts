/**
 * `import seeds postgres://…`: the job-application system's own `link_tracking` and
 * `link_clicks` (external-domain-guide.md's DDL) in another PostgreSQL database, read a
 * page at a time. Read only: each page is a READ ONLY transaction, so the source is never
 * written. TLS as the server's own connections have it (tls.ts).
 */
import { sql } from "drizzle-orm";
import { redactUrl } from "../../lib/url";
import { SeedsError, type SeedsClickRow, type SeedsLinkRow, type SeedsTables } from "../store";
import { connectPostgres, type PgConnection } from "./driver";
import { rowsOf } from "./rows";
import { explainTls, tlsPlan } from "./tls";

/** The columns each table must have: what the import reads. */
const NEEDED: Record<string, string[]> = {
  link_tracking: ["tracking_id", "job_id", "application_id", "link_function", "link_type", "original_url", "created_at", "created_by", "is_active", "description"],
  link_clicks: ["click_id", "tracking_id", "clicked_at", "ip_address", "user_agent", "referrer_url", "session_id", "click_source", "metadata"],
};

/** A TIMESTAMP (taken as UTC, as the seeds write it) or a TIMESTAMPTZ, as ISO 8601 UTC text. */
const utc = (column: string) => sql.raw(`to_char(${column}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);

export function openSeedsTables(url: string, caCert?: string | null): SeedsTables {
  const label = redactUrl(url);
  let connection: PgConnection | null = null;
  const connect = async (): Promise<PgConnection> => {
    if (connection) return connection;
    let plan;
    try {
      plan = tlsPlan(url, caCert);
    } catch (error) {
      throw new SeedsError((error as Error).message.replace("DATABASE_URL", "the seeds URL"));
    }
    const open = (ssl: typeof plan.ssl) => connectPostgres(plan.connectionString, { max: 1, ssl, applicationName: "link-tracker import", statementTimeoutMs: 60_000, listen: false, prepare: false });
    let made = open(plan.ssl);
    try {
      await made.db.execute(sql`select 1`);
    } catch (error) {
      // sslmode=prefer (the default) on a server without TLS: plain, as the server's own connections do.
      const tls = explainTls(error, plan, new URL(plan.connectionString).hostname);
      await made.end(0).catch(() => {});
      if (!(tls && plan.fallback === false && /does not offer TLS/.test(tls))) {
        const e = error as Error & { code?: string };
        throw new SeedsError(`cannot read ${label}: ${tls ?? (e.code === "28P01" ? "password authentication failed" : e.message)}`);
      }
      made = open(false);
    }
    connection = made;
    return made;
  };
  /** One read in a READ ONLY transaction of its own, in UTC. */
  const read = async <T>(query: ReturnType<typeof sql>): Promise<T[]> => {
    const { db } = await connect();
    try {
      return await db.transaction(
        async (tx) => {
          await tx.execute(sql`set local time zone 'UTC'`);
          return rowsOf<T>(await tx.execute(query));
        },
        { accessMode: "read only" },
      );
    } catch (error) {
      if (error instanceof SeedsError) throw error;
      throw new SeedsError(`reading ${label}: ${(error as Error).message}`);
    }
  };
  return {
    async check() {
      const found = await read<{ table_name: string; column_name: string; schema: string }>(
        sql`select table_name, column_name, current_schema() as schema from information_schema.columns
            where table_schema = current_schema() and table_name in ('link_tracking', 'link_clicks')`,
      );
      for (const [table, columns] of Object.entries(NEEDED)) {
        const have = new Set(found.filter((r) => r.table_name === table).map((r) => r.column_name));
        if (have.size === 0) throw new SeedsError(`${label} has no table ${table}: is it the job-application system's database?`);
        const missing = columns.filter((c) => !have.has(c));
        if (missing.length > 0) throw new SeedsError(`${label}: table ${table} has no column ${missing.join(", ")} (the seeds' DDL has them)`);
      }
    },
    links: (after, limit) =>
      read<SeedsLinkRow>(
        sql`select tracking_id, job_id::text, application_id::text, link_function, link_type, original_url, ${utc("created_at")} as created_at,
              created_by, is_active, description
            from link_tracking where tracking_id > ${after} order by tracking_id collate "C" limit ${limit}`,
      ),
    clicks: (after, limit) =>
      read<SeedsClickRow>(
        sql`select click_id::text, tracking_id, ${utc("clicked_at")} as clicked_at, host(ip_address) as ip_address, user_agent, referrer_url,
              session_id, click_source, metadata
            from link_clicks ${after === null ? sql`` : sql`where click_id > ${after}::uuid`} order by click_id limit ${limit}`,
      ),
    async close() {
      await connection?.end(0).catch(() => {});
      connection = null;
    },
  };
}
