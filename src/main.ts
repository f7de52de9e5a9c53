/**
 * Process entry: the command line of the single binary (src/cli); `link-tracker` alone
 * serves.
 */
import { createApp } from "./app";
import { runCli } from "./cli";
import { reclassifyAssistants } from "./modules/clicks/reclassify";
import { loadConfig, type Config } from "./config";
import { openPostgresStore, PostgresOpenError } from "./db/postgres";
import { copyStore } from "./db/postgres/copy-store";
import { openSeedsTables } from "./db/postgres/seeds";
import { redactUrl } from "./lib/url";
import { openSqliteStore, type SqliteStoreOptions } from "./db/sqlite/store";
import type { Store } from "./db/store";
import { createLogger } from "./lib/log";
import { createMailer } from "./lib/mail";
import { createMetrics } from "./lib/metrics";
import { ensureInitialKey } from "./modules/auth/service";
import { ephemeralDiskWarning } from "./lib/ephemeral";
import { followPublicBaseUrl, startLine } from "./modules/links/origin";
import { observeOutbox, outboxClickWriter } from "./modules/edge";
import { upstreamLinks } from "./modules/edge/links";
import { Shipper } from "./modules/edge/shipper";
import { startRetention } from "./modules/privacy/service";
import { startBurstSweep } from "./modules/redirect/burst-sweep";
import { startDestinationChecks } from "./modules/links/checks";
import { startDelivery } from "./modules/webhooks/service";
import { signalRule } from "./modules/webhooks/signals";
import { sqliteWorkers } from "./workers";
import { VERSION } from "./version";

function requireConfig(): Config {
  const loaded = loadConfig();
  if (!loaded.ok) {
    process.stderr.write(`link-tracker: invalid configuration\n${loaded.message}\n`);
    process.exit(2);
  }
  return loaded.config;
}

/** Where the data is, for messages and the log (a PostgreSQL URL without its password). */
export const databaseLabel = (config: Config): string => (config.postgres ? redactUrl(config.postgres.url) : config.databasePath);

/**
 * The store the configuration names (SQLite by default, PostgreSQL with DATABASE_URL),
 * with what the server gives it: the signal rule (webhooks and the feed), the worker
 * threads, the background work of a server.
 */
async function openStore(config: Config, server?: SqliteStoreOptions["background"], log?: SqliteStoreOptions["log"]): Promise<Store> {
  const returnDays = config.signalReturnDays;
  const holdSeconds = config.signalHoldSeconds;
  // An edge's database is its outbox: no signals there (the central server decides them).
  const signals = config.edge ? undefined : { rule: signalRule({ returnDays, holdSeconds }), returnDays, holdSeconds };
  if (config.postgres) {
    const { url, poolSize, prepare, listen, caCert, connectWaitSeconds } = config.postgres;
    return openPostgresStore(url, {
      signals,
      log,
      background: !!server,
      onQuiet: server?.onQuiet,
      deliveryLeaseMs: config.webhookLeaseSeconds * 1000,
      waitMs: connectWaitSeconds * 1000,
      caCert,
      connection: { max: server ? poolSize : 2, prepare, listen: listen && !!server, onConnectionError: (error) => log?.warn({ error: error.message }, "PostgreSQL closed a connection; the pool replaces it") },
    });
  }
  return openSqliteStore(config.databasePath, { signals, workers: sqliteWorkers, background: server, log });
}

async function openForServer(config: Config, log: SqliteStoreOptions["log"]): Promise<Store> {
  try {
    // When a burst of redirects ends, a full garbage collection hands the memory it took
    // back to the system (a small VPS runs other things too) instead of keeping it warm.
    return await openStore(config, config.edge ? {} : { onQuiet: () => Bun.gc(true) }, log);
  } catch (error) {
    const message = error instanceof PostgresOpenError ? error.message : `cannot open database ${databaseLabel(config)}: ${(error as Error).message}`;
    process.stderr.write(`link-tracker: ${message}\n`);
    process.exit(1);
  }
}

const SHUTDOWN_GRACE_MS = 3000;
/** How long SIGTERM spends moving waiting work into place (the rest at the next start). */
const CLOSE_MS = 1000;
/** Edge mode: how long SIGTERM waits for the outbox to be shipped. */
const EDGE_FLUSH_MS = 4000;

async function serve(): Promise<void> {
  const config = requireConfig();
  const log = createLogger(config.logLevel);
  const store = await openForServer(config, log);

  const initialKey = await ensureInitialKey(store, config);
  if (initialKey) {
    // To stderr, never the request log: a terminal shows it, and a service manager's
    // journal keeps it only as long as the operator lets it.
    process.stderr.write(
      `\nNo API key was configured, so an admin key was created. It is shown only this once;\n` +
        `store it now (a password manager, or WEBHOOK_API_KEY in your .env):\n\n  ${initialKey}\n\n` +
        `Send it as "X-API-Key: <key>" or "Authorization: Bearer <key>", e.g.\n` +
        `  curl -X POST -H "X-API-Key: <key>" ${config.publicBaseUrl}/api/tracking-ingest/test\n` +
        `Only its hash is stored. Under systemd, clear it from the journal afterwards\n` +
        `(journalctl --rotate && journalctl --vacuum-time=1s), or create keys with\n` +
        `"link-tracker keys create" before the first start instead.\n\n`,
    );
  }
  // Edge mode: links from LOOKUP_API_URL, clicks to the outbox and on to TRACKING_API_URL.
  const shipper = config.edge ? new Shipper(store, { url: config.edge.trackingApiUrl, apiKey: config.webhookApiKey!, log }) : null;
  const metrics = createMetrics();
  const app = createApp({
    store,
    config,
    log,
    metrics,
    ...(config.edge && shipper
      ? { links: upstreamLinks(config.edge, config.webhookApiKey!, log), clickWriter: outboxClickWriter(store, () => shipper.wake()) }
      : {}),
  });
  if (shipper) {
    observeOutbox(metrics, store);
    shipper.start();
  }
  try {
    app.listen({ port: config.port, hostname: config.host });
  } catch (error) {
    const inUse = (error as NodeJS.ErrnoException).code === "EADDRINUSE" || /in use/i.test((error as Error).message);
    // (No reusePort, app.ts: a second server on the port is refused, not handed half the requests.)
    const why = inUse ? `port ${config.port} is already in use (another link-tracker, or another program, listens on it)` : (error as Error).message;
    process.stderr.write(`link-tracker: cannot listen on ${config.host}:${config.port}: ${why}\n`);
    process.exit(1);
  }
  log.info(
    { version: VERSION, host: config.host, port: app.server?.port, database: databaseLabel(config), mode: config.edge ? "edge" : "central" },
    "listening",
  );
  // PORT=0 and no PUBLIC_BASE_URL: links get the port the system gave.
  if (config.publicBaseUrlDefaulted && config.port === 0 && app.server?.port) config.publicBaseUrl = `http://localhost:${app.server.port}`;
  if (!config.edge) {
    // Where the dashboard is and which origin links get, for the person who just started it (stderr, like the admin key).
    process.stderr.write(startLine(config, app.server?.port ?? config.port));
    reclassifyAssistants(store, log).catch((error) => log.warn({ error: (error as Error).message }, "stored clicks could not be checked for AI assistants; tried again at the next start"));
    followPublicBaseUrl(store, config, log).catch((error) => log.warn({ error: (error as Error).message }, "the links made on this computer could not be moved to PUBLIC_BASE_URL; tried again at the next start"));
  }
  // SQLite on a disk that goes with its container (a platform app without a volume): said at every start.
  const ephemeral = config.postgres ? null : ephemeralDiskWarning(config.databasePath);
  if (ephemeral) log.warn(ephemeral);
  log.flush();

  // The first start of a new binary copies its location data out beside the database now,
  // not at the first recruiter's click (lib/geo/embedded.ts).
  const sources = config.locator.prepare();
  if (sources.length > 0) log.info({ sources }, "location data");

  const retention = startRetention(store, config.retentionDays, log);
  // Webhooks are delivered by the central server (an edge has no links to tell about).
  const mailer = config.smtp ? createMailer(config.smtp) : null;
  const delivery = config.edge ? null : startDelivery(store, log, { allowPrivate: config.webhookAllowPrivate, publicBaseUrl: config.publicBaseUrl, mailer });
  // Where the links lead, checked by the central server (an edge has no links of its own).
  const checks = config.edge ? null : startDestinationChecks(store, log, { everySeconds: config.destinationCheckSeconds, allowPrivate: config.destinationCheckAllowPrivate });
  // Several instances share a PostgreSQL store: a scanner's clicks may reach each of them.
  const sweep = config.postgres ? startBurstSweep(store, log) : null;

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    // Stop accepting, let in-flight requests finish (a redirect finishes once its click
    // is written), then close the database. Connections still open after a few seconds
    // (idle keep-alives, a client that never reads) are closed so that we exit within 5 s.
    const force = setTimeout(() => void app.stop(true), SHUTDOWN_GRACE_MS);
    await app.stop(false);
    clearTimeout(force);
    if (shipper) {
      const left = await shipper.flush(EDGE_FLUSH_MS);
      log.info({ left_in_outbox: left }, left === 0 ? "outbox flushed" : "outbox not empty; it is shipped at the next start");
    }
    retention.stop();
    delivery?.stop();
    checks?.stop();
    sweep?.stop();
    try {
      await store.close(CLOSE_MS);
    } catch (error) {
      log.warn({ err: error }, "the store did not close cleanly; waiting work is picked up at the next start");
    }
    await new Promise<void>((resolve) => log.flush(() => resolve()));
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

/** copy-store: the configured SQLite database, opened with its migrations, into PostgreSQL. */
async function copyToPostgres(config: Config, url: string, progress: (line: string) => void) {
  const source = openSqliteStore(config.databasePath);
  try {
    return await copyStore(source, url, progress, config.databaseCaCert);
  } finally {
    await source.close();
  }
}

process.exitCode = await runCli(process.argv.slice(2), process.env, serve, (config) => openStore(config), copyToPostgres, openSeedsTables);
