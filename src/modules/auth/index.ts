import { Elysia } from "elysia";
import type { Config } from "../../config";
import type { Logger } from "../../lib/log";
import type { Store } from "../../db/store";
import { Forbidden, RateLimited, Unauthorized } from "../../lib/errors";
import type { Metrics } from "../../lib/metrics";
import { RateLimiter } from "../../lib/rate-limit";
import type { WriteHealth } from "../health/service";
import { clientNetwork } from "../../lib/ip";
import { allows, authenticate, presentedKey, type Principal, type Scope } from "./service";
import { fromOwnOrigin, hasSessionCookie, sessionOf } from "./sessions";

export type ClientIpOf = (request: Request) => string | null;

/**
 * The API's limits, shared by every module of one app. Failed sign-ins and wrong keys
 * share one budget per client network (an IPv4 address, an IPv6 /64), and past its
 * memory bound it refuses new networks rather than let them guess freely.
 */
export function authLimits(config: Config) {
  return { perKey: new RateLimiter(config.rateLimits.api), failures: new RateLimiter(config.rateLimits.authFailures, "refuse") };
}

/** Who sent a request: its key checked (and counted against the limits) once per request. */
export type Gate = (request: Request) => Promise<Principal>;

/** What every API module of one app shares (the auth plugin takes it whole). */
export type ModuleContext = {
  store: Store;
  config: Config;
  clientIpOf: ClientIpOf;
  gate: Gate;
  metrics: Metrics;
  health: WriteHealth;
  log: Logger;
};

/**
 * Requests whose key is checked from their headers as they arrive, before routing and
 * before a byte of their body is read: every /api route but the health check, /mcp, and
 * the dashboard's sign-in. Without a valid key the answer is a 401 (or a 429 once the
 * client's network has used up its failures), and the body is never parsed.
 */
export function needsKeyFirst(method: string, path: string): boolean {
  if (path === "/api" || path.startsWith("/api/")) return !(path === "/api/tracking-ingest/health" && (method === "GET" || method === "HEAD"));
  if (path === "/mcp" || path === "/mcp/") return true;
  return (path === "/dashboard/session" || path === "/dashboard/session/") && method === "POST";
}

/**
 * The gate: authenticates a request from `X-API-Key` or `Authorization: Bearer`, or, with
 * neither, from a dashboard session's cookie sent by the dashboard's own origin
 * (sessions.ts); once (the answer is kept for the rest of the request). Wrong or missing
 * keys count against RATE_LIMIT_AUTH_FAILURES per client network; a session that has
 * ended does not (its token cannot be guessed, and a dashboard left open in tabs would
 * use up its owner's budget). Each key has RATE_LIMIT_API a minute, its sessions' included.
 */
export function createGate(store: Store, config: Config, limits: ReturnType<typeof authLimits>, clientIpOf: ClientIpOf): Gate {
  const principals = new WeakMap<Request, Principal>();
  return async (request) => {
    const known = principals.get(request);
    if (known) return known;
    const network = clientNetwork(clientIpOf(request));
    if (limits.failures.exceeded(network)) throw new RateLimited(limits.failures.retryAfter());
    const { headers } = request;
    const key = presentedKey(headers);
    let principal: Principal | null;
    if (key === undefined && hasSessionCookie(headers)) {
      const session = fromOwnOrigin(request) ? await sessionOf(store, config, headers.get("cookie")) : null;
      if (!session) throw new Unauthorized("session");
      principal = { name: session.keyName, scope: session.scope, session };
    } else {
      principal = await authenticate(store, config, key);
      if (!principal) {
        limits.failures.hit(network);
        // A wrong Bearer token is told about Bearer; everything else gets the seeds' message.
        throw new Unauthorized(key !== undefined && !headers.get("x-api-key")?.trim() ? "bearer" : "key");
      }
    }
    if (limits.perKey.hit(principal.name)) throw new RateLimited(limits.perKey.retryAfter());
    principals.set(request, principal);
    return principal;
  };
}

/** What the OpenAPI document says of a route's key, by the scope it needs. */
const SCOPE_NOTES: Record<Scope, string> = {
  ingest: "Needs an API key with the `ingest` scope (`read` and `admin` keys may call it too).",
  read: "Needs an API key with the `read` scope (`admin` keys may call it too).",
  admin: "Needs an API key with the `admin` scope.",
};

/**
 * Adds the `auth` route option: `{ auth: "read" }` makes a route need a key whose
 * scope allows reading. Routes without it are public. The key itself was checked by
 * the gate as the request arrived (app.ts); here its scope is.
 */
export const authPlugin = ({ gate }: Pick<ModuleContext, "gate">) =>
  new Elysia().macro({
    auth: (needed: Scope) => ({
      // The OpenAPI document says which keys may call the route, before what the route says of itself.
      introspect(option) {
        // Elysia hands the route's whole hook here (its types say only the macro's options).
        const hook = option as { detail?: { description?: string } };
        const own = hook.detail?.description;
        hook.detail = { ...hook.detail, description: own ? `${SCOPE_NOTES[needed]} ${own}` : SCOPE_NOTES[needed] };
      },
      async transform({ request }) {
        if (!allows((await gate(request)).scope, needed)) throw new Forbidden(needed);
      },
    }),
  });
