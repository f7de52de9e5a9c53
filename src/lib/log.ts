import pino from "pino";
import type { Config } from "../config";

export type Logger = pino.Logger;

/** Lines are written in blocks of about this many bytes, or FLUSH_MS after they were logged. */
const BLOCK_BYTES = 4096;
const FLUSH_MS = 500;

/**
 * JSON lines on stdout: `{"level":"info","time":"…Z","msg":"…",…}`. Under load one line
 * per request would cost a write each; lines are written in blocks instead, and at
 * most FLUSH_MS late (call flush() where a line must be out at once).
 */
export function createLogger(level: Config["logLevel"]): Logger {
  const logger = pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: ["key", "apiKey", "headers.authorization", 'headers["x-api-key"]'], censor: "[redacted]" },
    },
    pino.destination({ fd: 1, sync: false, minLength: BLOCK_BYTES }),
  );
  setInterval(() => logger.flush(), FLUSH_MS).unref();
  return logger;
}

export const silentLogger = (): Logger => pino({ level: "silent" });
