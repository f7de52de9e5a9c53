/**
 * Statements built from the drizzle tables of schema.ts, where each table's columns are
 * declared once: a batch of rows as one array per column (unnest), and the rows of a
 * table read back with their types. The store and copy-store use them, so a column added
 * to schema.ts is written and read without a second list of names and types.
 */
import { getTableColumns, sql, type SQL } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import { jsonWithoutNul } from "./rows";

/**
 * The SQL type of an array of a column's values: text for varchar (a cast to varchar(n)
 * would cut a long value short where the column's own type refuses it), timestamptz for
 * timestamps, the integer under a serial; the column's type otherwise.
 */
const SERIALS: Record<string, string> = { smallserial: "smallint", serial: "integer", bigserial: "bigint" };
function arrayType(sqlType: string): string {
  if (sqlType.startsWith("varchar")) return "text";
  if (sqlType.startsWith("timestamp")) return "timestamptz";
  return SERIALS[sqlType] ?? sqlType;
}

/** Rows as one array of values per column, by the drizzle table's property names. */
export type ColumnArrays<T extends PgTable> = { [K in keyof T["$inferInsert"]]?: unknown[] };

/**
 * `insert into TABLE (…) select * from unnest(…)`: any number of rows in one statement
 * with one parameter a column (cheaper for the server than a JSON document of the rows).
 * The conflict clause and what it returns follow, as SQL.
 */
export function unnestInsert<T extends PgTable>(table: T, arrays: ColumnArrays<T>, rest: SQL = sql``): SQL {
  const columns = getTableColumns(table);
  const given = Object.entries(arrays as Record<string, unknown[] | undefined>).filter((e): e is [string, unknown[]] => e[1] !== undefined);
  const names = given.map(([key]) => sql.identifier(columns[key]!.name));
  const values = given.map(([key, list]) => sql`${sql.param(list)}::${sql.raw(arrayType(columns[key]!.getSQLType()))}[]`);
  return sql`insert into ${table} (${sql.join(names, sql`, `)}) select * from unnest(${sql.join(values, sql`, `)}) ${rest}`;
}

/** A value as an element of a column's array: PostgreSQL text cannot hold NUL (dropped from every string written); JSON as its text. */
function element(v: unknown): unknown {
  if (typeof v === "string") return v.includes("\u0000") ? v.replaceAll("\u0000", "") : v;
  if (typeof v === "object" && v !== null) return jsonWithoutNul(v);
  return v ?? null;
}

/**
 * Rows as one array per column, for unnestInsert: the columns are the table's that the
 * first row has (every row has the same keys). Keys that are not the table's are left out.
 */
export function arraysOf<T extends PgTable>(table: T, rows: T["$inferInsert"][]): ColumnArrays<T> {
  if (rows.length === 0) return {};
  const columns = getTableColumns(table);
  const keys = Object.keys(rows[0]!).filter((k) => k in columns) as (keyof T["$inferInsert"])[];
  return Object.fromEntries(keys.map((k) => [k, rows.map((r) => element(r[k]))])) as ColumnArrays<T>;
}

/** Every column of the table, each named as its property: what `returning` gives back as a row of `$inferSelect`'s keys. */
export function columnsAs(table: PgTable): SQL {
  return sql.join(
    Object.entries(getTableColumns(table)).map(([key, c]) => sql`${sql.identifier(c.name)} as ${sql.identifier(key)}`),
    sql`, `,
  );
}

/** A property of a table (a column, as drizzle names it). */
export type Key<T extends PgTable> = keyof T["$inferInsert"] & string;

/** `on conflict (target) do update set` each of `update` to its new value (`do nothing` without any). */
export function onConflict<T extends PgTable>(table: T, target: Key<T>[], update: Key<T>[]): SQL {
  const columns = getTableColumns(table);
  const name = (k: string) => sql.identifier(columns[k]!.name);
  const sets = update.map((k) => sql`${name(k)} = excluded.${name(k)}`);
  return sql`on conflict (${sql.join(target.map(name), sql`, `)}) ${sets.length > 0 ? sql`do update set ${sql.join(sets, sql`, `)}` : sql`do nothing`}`;
}
