/**
 * Process entry: the command line of the single binary (src/cli); `link-tracker` alone
 * serves.
 */
import { createApp } from "./app";
import { runCli } from "./cli";
import { loadConfig, type Config } from "./config";
import { createDb, type Db } from "./db";
import { settleWithin, startInboxMover } from "./db/inbox";
import { createLogger, type Logger } from "./lib/log";
import { createMetrics } from "./lib/metrics";
import { ensureInitialKey } from "./modules/auth/service";
import { observeOutbox, outboxClickWriter } from "./modules/edge";
import { upstreamLinks } from "./modules/edge/links";
import { Shipper } from "./modules/edge/shipper";
import { startRetention } from "./modules/privacy/service";
import { startDelivery } from "./modules/webhooks/service";
import { VERSION } from "./version";

function requireConfig(): Config {
  const loaded = loadConfig();
  if (!loaded.ok) {
    process.stderr.write(`link-tracker: invalid configuration\n${loaded.message}\n`);
    process.exit(2);
  }
  return loaded.config;
}

function openDatabase(config: Config, options: { checkpointer?: boolean } = {}) {
  try {
    return createDb(config.databasePath, options);
  } catch (error) {
    process.stderr.write(`link-tracker: cannot open database ${config.databasePath}: ${(error as Error).message}\n`);
    process.exit(1);
  }
}

const SHUTDOWN_GRACE_MS = 3000;
/** How long SIGTERM spends moving waiting clicks into link_clicks (the rest move at the next start). */
const SETTLE_ON_EXIT_MS = 1000;

function settleBriefly(db: Db, log: Logger) {
  try {
    settleWithin(db, SETTLE_ON_EXIT_MS);
  } catch (error) {
    log.warn({ err: error }, "waiting clicks stay in the inbox until the next start");
  }
}
/** Edge mode: how long SIGTERM waits for the outbox to be shipped. */
const EDGE_FLUSH_MS = 4000;

function serve(): void {
  const config = requireConfig();
  const log = createLogger(config.logLevel);
  const db = openDatabase(config, { checkpointer: true });
  // Referenced from here so that the compiled binary finds the worker's entry.
  const checkpointer = new Worker(new URL("./db/checkpointer.ts", import.meta.url).href);
  checkpointer.postMessage({ path: config.databasePath });
  checkpointer.onerror = (event) => log.error({ err: event.message }, "background checkpoints stopped; the server checkpoints itself");
  const initialKey = ensureInitialKey(db, config);
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
  const shipper = config.edge ? new Shipper(db, { url: config.edge.trackingApiUrl, apiKey: config.webhookApiKey!, log }) : null;
  const metrics = createMetrics();
  const app = createApp({
    db,
    config,
    log,
    metrics,
    ...(config.edge && shipper
      ? { links: upstreamLinks(config.edge, config.webhookApiKey!, log), clickWriter: outboxClickWriter(db, () => shipper.wake()) }
      : {}),
  });
  if (shipper) {
    observeOutbox(metrics, db);
    shipper.start();
  }
  try {
    app.listen({ port: config.port, hostname: config.host });
  } catch (error) {
    process.stderr.write(`link-tracker: cannot listen on ${config.host}:${config.port}: ${(error as Error).message}\n`);
    process.exit(1);
  }
  log.info(
    { version: VERSION, host: config.host, port: app.server?.port, database: config.databasePath, mode: config.edge ? "edge" : "central" },
    "listening",
  );
  log.flush();

  const retention = startRetention(db, config.retentionDays, log);
  // Webhooks are delivered by the central server (an edge has no links to tell about).
  const delivery = config.edge ? null : startDelivery(db, log, { allowPrivate: config.webhookAllowPrivate });
  // When a burst of redirects ends, a full garbage collection hands the memory it took
  // back to the system (a small VPS runs other things too) instead of keeping it warm.
  const mover = config.edge ? null : startInboxMover(db, log, { onQuiet: () => Bun.gc(true) });

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
    mover?.stop();
    settleBriefly(db, log);
    checkpointer.terminate();
    db.$client.close();
    await new Promise<void>((resolve) => log.flush(() => resolve()));
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

process.exitCode = await runCli(process.argv.slice(2), process.env, serve);
