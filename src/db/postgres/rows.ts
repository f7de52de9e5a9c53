/** What the PostgreSQL store's raw queries return, made into the domain's shapes, and what they take. */
import { sql } from "drizzle-orm";
import { withoutNul } from "../../lib/body";

/** Rows of `execute()`: postgres.js gives an array, PGlite an object with `rows`. */
export function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

/**
 * A timestamptz as the API returns it: ISO 8601 UTC with milliseconds, ending in Z. The
 * connection's time zone is UTC, so the text is "2026-03-02 10:00:00.123+00" (fraction
 * optional); any other form goes through Date.
 */
export function iso(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  const text = String(value);
  const m = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:\.(\d+))?(?:\+00(?::?00)?|Z)$/.exec(text);
  if (m) return `${m[1]}T${m[2]}.${(m[3] ?? "").padEnd(3, "0").slice(0, 3)}Z`;
  return new Date(text.replace(" ", "T").replace(/([+-]\d\d)$/, "$1:00")).toISOString();
}

export const isoOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : iso(value));

/** Counts come back as bigint text from some drivers. */
export const num = (value: unknown): number => (value === null || value === undefined ? 0 : Number(value));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** An id the UUID columns (job_id, application_id, click_id) can hold; anything else matches no row. */
export const isUuid = (value: string): boolean => UUID.test(value);

/** PostgreSQL text cannot hold NUL: it is dropped from every string and key written. */
export function jsonWithoutNul(value: unknown): string {
  const text = JSON.stringify(value);
  return text.includes("\\u0000") ? JSON.stringify(withoutNul(value)) : text;
}

/** A value as one jsonb parameter (rows for jsonb_to_recordset, ids for jsonb_array_elements_text). */
export const jsonb = (value: unknown) => sql`${jsonWithoutNul(value)}::jsonb`;
