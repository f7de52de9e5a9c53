import pino from "pino";
import type { Config } from "../config";

export type Logger = pino.Logger;

/** JSON lines on stdout: `{"level":"info","time":"…Z","msg":"…",…}`. */
export function createLogger(level: Config["logLevel"]): Logger {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: ["key", "apiKey", "headers.authorization", 'headers["x-api-key"]'], censor: "[redacted]" },
    },
    pino.destination({ fd: 1, sync: false }),
  );
}

export const silentLogger = (): Logger => pino({ level: "silent" });
