/**
 * Opens the PostgreSQL store a server or the CLI works on: connects (waiting, with
 * backoff, for a server that is not up yet), applies the migrations, loads the links.
 * Failures that waiting cannot mend (wrong password, no such database, missing
 * privileges) end at once with a message that says what to change.
 */
import { sql } from "drizzle-orm";
import { redactUrl } from "../../lib/url";
import { connectPostgres, pgErrorCode, type PgConnectionOptions, type PgDb } from "./driver";
import { explainTls, tlsPlan, type TlsPlan } from "./tls";
import { migratePostgres } from "./migrations";
import { PostgresStore, type PostgresStoreOptions } from "./store";

export class PostgresOpenError extends Error {}

const FATAL: Record<string, string> = {
  "28P01": "the password was refused",
  "28000": "this role may not connect (pg_hba.conf or role settings)",
  "3D000": "the database does not exist (create it first: createdb NAME)",
  "42501": "the role lacks a privilege it needs (it must be able to create tables in the database: see docs/scaling.md, \"More than one machine\")",
  "42P01": "a table is missing",
  "42P07":
    "a table link-tracker makes already exists (link_tracking or link_clicks made from the seeds' DDL?): give link-tracker a database of its own, or rename those tables first and copy their rows in afterwards",
};

function explain(error: unknown): { fatal: boolean; message: string } {
  const code = pgErrorCode(error);
  const detail = (error as Error)?.message ?? String(error);
  const cause = (error as { cause?: Error })?.cause?.message;
  const text = cause && cause !== detail ? `${detail}: ${cause}` : detail;
  if (code && FATAL[code]) return { fatal: true, message: `${FATAL[code]} (${code}: ${text})` };
  return { fatal: false, message: code ? `${code}: ${text}` : text };
}

export type OpenPostgresOptions = PostgresStoreOptions & {
  connection?: PgConnectionOptions;
  /** DATABASE_CA_CERT: the PEM of the CA the server's certificate is checked against (tls.ts). */
  caCert?: string | null;
  /** How long to wait for an unreachable server before giving up (default 30 s). */
  waitMs?: number;
  migrate?: boolean;
};

/** Migrates and opens a store over a database made elsewhere (the tests' PGlite). */
export async function openPostgresOn(db: PgDb, options: OpenPostgresOptions = {}): Promise<PostgresStore> {
  if (options.migrate !== false) await migratePostgres(db);
  return PostgresStore.open(db, options);
}

export async function openPostgresStore(url: string, options: OpenPostgresOptions = {}): Promise<PostgresStore> {
  const log = options.log;
  let plan: TlsPlan;
  try {
    plan = tlsPlan(url, options.caCert);
  } catch (error) {
    throw new PostgresOpenError(`cannot connect to ${redactUrl(url)}: ${(error as Error).message}`);
  }
  let connection = connectPostgres(plan.connectionString, { ...options.connection, ssl: plan.ssl });
  const host = new URL(plan.connectionString).hostname;
  const deadline = performance.now() + (options.waitMs ?? 30_000);
  for (let attempt = 1, wait = 250; ; attempt++, wait = Math.min(wait * 2, 5000)) {
    try {
      await connection.db.execute(sql`select 1`);
      break;
    } catch (error) {
      const tls = explainTls(error, plan, host);
      // sslmode=prefer (the default): a server that offers no TLS is spoken to in plain.
      if (tls && plan.fallback === false && /does not offer TLS/.test(tls)) {
        await connection.end(0).catch(() => {});
        plan = { ...plan, ssl: false, fallback: null };
        connection = connectPostgres(plan.connectionString, { ...options.connection, ssl: false });
        continue;
      }
      if (tls) {
        await connection.end(0).catch(() => {});
        throw new PostgresOpenError(`cannot connect to ${redactUrl(url)}: ${tls}`);
      }
      const { fatal, message } = explain(error);
      if (fatal || performance.now() + wait > deadline) {
        await connection.end(0).catch(() => {});
        throw new PostgresOpenError(`cannot connect to ${redactUrl(url)}: ${message}`);
      }
      log?.warn({ attempt, retry_in_ms: wait, err: message }, "PostgreSQL is not reachable yet; trying again");
      await Bun.sleep(wait);
    }
  }
  try {
    return await openPostgresOn(connection.db, {
      ...options,
      redirects: connection.redirects,
      end: (s) => connection.end(s),
      prepared: connection.prepared,
      listen: connection.listen ?? undefined,
    });
  } catch (error) {
    await connection.end(0).catch(() => {});
    const { message } = explain(error);
    throw new PostgresOpenError(`cannot prepare the database at ${redactUrl(url)}: ${message}`);
  }
}
