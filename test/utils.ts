import { createApp } from "../src/app";
import { testConfig, type Config } from "../src/config";
import { Database } from "bun:sqlite";
import { tmpdir } from "node:os";
import { drizzle } from "drizzle-orm/bun-sqlite";
import { createDb, schema, type Db } from "../src/db";
import { createMetrics } from "../src/lib/metrics";
import { settleClicks } from "../src/db/inbox";

export const KEY = "test-key-0123456789abcdef";

export function setup(overrides: Partial<Config> = {}) {
  const config = testConfig({ webhookApiKey: KEY, ...overrides });
  const db = createDb(":memory:");
  const metrics = createMetrics();
  const app = createApp({ db, config, metrics });
  return { app, db, config, metrics };
}

type ReqInit = RequestInit & { json?: unknown; key?: string | null };

/** A Request for app.handle(): `json` becomes the body, `key` the X-API-Key (default KEY, null for none). */
export function req(path: string, { json, key = KEY, headers, ...init }: ReqInit = {}): Request {
  const h = new Headers(headers);
  if (key !== null && !h.has("x-api-key") && !h.has("authorization")) h.set("x-api-key", key);
  if (json !== undefined) {
    h.set("content-type", "application/json");
    init.body = JSON.stringify(json);
    init.method ??= "POST";
  }
  return new Request(`http://localhost${path}`, { ...init, headers: h });
}

export async function call(app: { handle(r: Request): Promise<Response> }, path: string, init?: ReqInit) {
  const res = await app.handle(req(path, init));
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, headers: res.headers, body };
}

/** Stored clicks, redirect clicks waiting in the inbox moved over first (as every reader in src/db does). */
export const clickCount = (db: Db) => (settleClicks(db), db.$client.query("select count(*) as n from link_clicks").get() as { n: number });

export const tempDir = () => `${tmpdir()}/link-tracker-test-${crypto.randomUUID()}`;

/** An app over a migrated database file opened read-only: every write fails as on a read-only disk. */
export function readOnlySetup(overrides: Partial<Config> = {}) {
  const path = `${tempDir()}/db.sqlite`;
  createDb(path).$client.close();
  const db = drizzle({ client: new Database(path, { readonly: true }), schema }) as unknown as Db;
  const config = testConfig({ webhookApiKey: KEY, ...overrides });
  const metrics = createMetrics();
  return { app: createApp({ db, config, metrics }), db, config, metrics };
}
