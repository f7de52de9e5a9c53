import { Elysia } from "elysia";
import type { Config } from "../../config";
import type { Db } from "../../db";
import type { ClickInsert } from "../../db/clicks";
import { Forbidden, RateLimited, Unauthorized } from "../../lib/errors";
import type { Metrics } from "../../lib/metrics";
import { RateLimiter } from "../../lib/rate-limit";
import type { WriteHealth } from "../health/service";
import { allows, authenticate, presentedKey, type Scope } from "./service";

export type ClientIpOf = (request: Request) => string | null;

/** The API's limits, shared by every module of one app. */
export function authLimits(config: Config) {
  return { perKey: new RateLimiter(config.rateLimits.api), failuresPerIp: new RateLimiter(config.rateLimits.authFailures) };
}

/** What every API module of one app shares (the auth plugin takes it whole). */
export type ModuleContext = {
  db: Db;
  config: Config;
  limits: ReturnType<typeof authLimits>;
  clientIpOf: ClientIpOf;
  metrics: Metrics;
  health: WriteHealth;
  /** Runs in the transaction of every batch of new clicks (signals). */
  onClicksStored?: (stored: ClickInsert[]) => void;
};

/**
 * Adds the `auth` route option: `{ auth: "read" }` makes a route need a key whose
 * scope allows reading. Routes without it are public. A client IP that keeps sending
 * wrong keys is refused for the rest of the minute (RATE_LIMIT_AUTH_FAILURES), and each
 * key has its requests per minute (RATE_LIMIT_API).
 */
export const authPlugin = ({ db, config, limits, clientIpOf }: ModuleContext) =>
  new Elysia().macro({
    auth: (needed: Scope) => ({
      // transform runs before body validation, so a caller without a key learns nothing
      // of the schema. It reads the Request's own headers: Elysia's parsed `headers` is
      // only filled in when its static analysis sees a hook use it, which minified code
      // can hide.
      transform({ request }) {
        const ip = clientIpOf(request) ?? "unknown";
        if (limits.failuresPerIp.exceeded(ip)) throw new RateLimited(limits.failuresPerIp.retryAfter());
        const principal = authenticate(db, config, presentedKey(request.headers));
        if (!principal) {
          limits.failuresPerIp.hit(ip);
          throw new Unauthorized();
        }
        if (limits.perKey.hit(principal.name)) throw new RateLimited(limits.perKey.retryAfter());
        if (!allows(principal.scope, needed)) throw new Forbidden(needed);
      },
    }),
  });
