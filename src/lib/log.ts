import pino from "pino";
import type { Config } from "../config";

export type Logger = pino.Logger;

/** Lines are written in blocks of about this many bytes, or FLUSH_MS after they were logged. */
const BLOCK_BYTES = 4096;
const FLUSH_MS = 500;

/** Where drizzle puts a failed query's values (addresses, user agents, referrers): never logged. */
const PARAMS = /\nparams: [\s\S]*?(?=\n\s+at |$)/;

/**
 * An error as a log line holds it: its type, message, code and stack, and its causes',
 * without what a failed query was given (drizzle's `params`) or the rows a database
 * quotes back (PostgreSQL's `detail`, "Failing row contains (…)"): docs/privacy.md promises
 * logs hold no addresses.
 */
export function errorForLog(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error)) return error;
  const out: Record<string, unknown> = { type: error.name, message: error.message.replace(PARAMS, "") };
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" || typeof code === "number") out.code = code;
  if (error.stack) out.stack = error.stack.replace(PARAMS, "");
  if (error.cause !== undefined && depth < 4) out.cause = errorForLog(error.cause, depth + 1);
  return out;
}

/**
 * JSON lines on stdout: `{"level":"info","time":"…Z","msg":"…",…}`. Under load one line
 * per request would cost a write each; lines are written in blocks instead, and at
 * most FLUSH_MS late (call flush() where a line must be out at once).
 */
export function createLogger(level: Config["logLevel"], destination: pino.DestinationStream = pino.destination({ fd: 1, sync: false, minLength: BLOCK_BYTES })): Logger {
  const logger = pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: errorForLog, error: errorForLog },
      redact: { paths: ["key", "apiKey", "headers.authorization", 'headers["x-api-key"]'], censor: "[redacted]" },
    },
    destination,
  );
  setInterval(() => logger.flush(), FLUSH_MS).unref();
  return logger;
}

export const silentLogger = (): Logger => pino({ level: "silent" });

/**
 * For work that runs every second or two (webhook delivery, the burst sweep): a failure
 * is logged when it begins, then once a minute while it lasts, and its end once, instead
 * of a line with a stack trace at every turn while the database is away.
 */
export function failureLog(log: Logger, what: string, everyMs = 60_000) {
  let since: number | null = null;
  let lastLogged = 0;
  let missed = 0;
  return {
    failed(error: unknown, level: "warn" | "error" = "error"): void {
      const now = Date.now();
      if (since === null) since = now;
      if (now - lastLogged < everyMs) {
        missed++;
        return;
      }
      log[level]({ err: error, failing_for_s: Math.round((now - since) / 1000), failures_not_logged: missed }, `${what} failed; trying again`);
      lastLogged = now;
      missed = 0;
    },
    ok(): void {
      if (since === null) return;
      log.info({ failed_for_s: Math.round((Date.now() - since) / 1000) }, `${what} works again`);
      since = null;
      lastLogged = 0;
      missed = 0;
    },
  };
}
