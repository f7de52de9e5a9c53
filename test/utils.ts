import type { Database } from "bun:sqlite";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { createApp } from "../src/app";
import { testConfig, type Config } from "../src/config";
import { createDb } from "../src/db/sqlite";
import { countPending } from "../src/db/sqlite/rollups";
import { openSqliteStore, SqliteStore, type SqliteStoreOptions } from "../src/db/sqlite/store";
import type { Store } from "../src/db/store";
import type { Logger } from "../src/lib/log";
import { createMetrics } from "../src/lib/metrics";
import { signalRule } from "../src/modules/webhooks/signals";
import { sqliteWorkers } from "../src/workers";

import { checkResponse } from "./openapi-check";

export const KEY = "test-key-0123456789abcdef";

/**
 * The seed of every fast-check property in the suite: fixed, so a run of CI tries the
 * same cases as the last one and a failure reproduces; `FC_SEED=<n>` explores others.
 */
export const FC_SEED = Number(process.env.FC_SEED ?? 20261202);

/**
 * A store as the server opens it (main.ts), on `path` (in memory by default): the
 * config's signal rule, and with `workers` the reader and writer threads a file gets.
 */
export function testStore(config: Config, path = ":memory:", options: SqliteStoreOptions & { workers?: boolean | SqliteStoreOptions["workers"] } = {}): SqliteStore {
  const returnDays = config.signalReturnDays;
  const holdSeconds = config.signalHoldSeconds;
  const { workers, ...rest } = options;
  return openSqliteStore(path, {
    signals: { rule: signalRule({ returnDays, holdSeconds }), returnDays, holdSeconds },
    ...rest,
    workers: workers === true ? { reader: sqliteWorkers.reader, writer: sqliteWorkers.writer } : workers || undefined,
  });
}

/**
 * The app with every JSON answer of `app.handle` held to the OpenAPI document
 * (test/openapi-check.ts), whether a test reads it through `call()` or directly.
 */
export function checkedApp<A extends { handle(r: Request): Promise<Response> }>(app: A): A {
  const handle = app.handle.bind(app);
  app.handle = async (request: Request) => {
    const res = await handle(request);
    const type = res.headers.get("content-type");
    if (type?.includes("application/json")) {
      let body: unknown;
      try {
        body = await res.clone().json();
      } catch {}
      if (typeof body === "object") await checkResponse(request.method, request.url, res.status, type, body);
    }
    return res;
  };
  return app;
}

export function setup(overrides: Partial<Config> = {}) {
  const config = testConfig({ webhookApiKey: KEY, ...overrides });
  const store = testStore(config);
  const metrics = createMetrics();
  const app = checkedApp(createApp({ store, config, metrics }));
  return { app, store, config, metrics };
}

/**
 * The tests' one way to the tables themselves (to look at stored rows, or to set up
 * what no API makes): the SQLite connection, after every waiting click was moved into
 * link_clicks (the store does that before any read of clicks).
 */
export async function sql(store: Store): Promise<Database> {
  await store.clicks.count();
  return sqliteOf(store);
}

/** The connection without moving anything first (for writes a test sets up). */
export const sqliteOf = (store: Store): Database => (store as SqliteStore).db.$client;

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
  const request = req(path, init);
  const res = await app.handle(request);
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {}
  // Every JSON answer is held to the OpenAPI document (test/openapi-check.ts).
  if (typeof body === "object") await checkResponse(request.method, request.url, res.status, res.headers.get("content-type"), body);
  return { status: res.status, headers: res.headers, body };
}

/** Stored clicks (through the store: the ones waiting in the inbox included). */
export const clickCount = async (store: Store) => ({ n: await store.clicks.count() });

/** The folders tempDir named, removed when the test process ends (whatever each test left in them). */
const made: string[] = [];
process.on("exit", () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

export const tempDir = () => {
  const dir = `${tmpdir()}/link-tracker-test-${crypto.randomUUID()}`;
  made.push(dir);
  return dir;
};

/** An app over a migrated database file opened read-only: every write fails as on a read-only disk. */
export function readOnlySetup(overrides: Partial<Config> = {}, log?: Logger) {
  const path = `${tempDir()}/db.sqlite`;
  createDb(path).$client.close();
  const config = testConfig({ webhookApiKey: KEY, ...overrides });
  const store = testStore(config, path, { readonly: true });
  const metrics = createMetrics();
  return { app: checkedApp(createApp({ store, config, metrics, log })), store, config, metrics, path };
}

/** Counts every click not counted yet into the roll-ups now (a read of analytics does it first): for a test that reads them or wrote clicks by SQL. */
export function countClicksNow(store: Store): void {
  const db = (store as SqliteStore).db;
  while (countPending(db) > 0);
}
