/**
 * Builds the whole HTTP app for a given store and config. The server entry and the
 * tests use the same function, so tests exercise exactly what runs in production.
 */
import { Elysia } from "elysia";
import type { Config } from "./config";
import { StoreUnavailable, type Store } from "./db/store";
import { checkDeclaredLength, parseBody } from "./lib/body";
import { AppError, NotFound, Unavailable, ValidationFailed } from "./lib/errors";
import { clientIp } from "./lib/ip";
import { silentLogger, type Logger } from "./lib/log";
import { createMetrics, observeDatabaseSize, observeLinkCache, type Metrics } from "./lib/metrics";
import { appErrorBody, errorBody } from "./lib/render-error";
import { analyticsModule } from "./modules/analytics";
import { applicationsModule } from "./modules/applications";
import { authLimits, createGate, needsKeyFirst, type ModuleContext } from "./modules/auth";
import { dashboardModule } from "./modules/dashboard";
import { OwnerCookies } from "./modules/dashboard/owner";
import { docsModule } from "./modules/docs";
import { edgeApi } from "./modules/edge";
import { healthModule } from "./modules/health";
import { WriteHealth } from "./modules/health/service";
import { ingestModule } from "./modules/ingest";
import { mcpModule } from "./modules/mcp";
import { linksModule } from "./modules/links";
import { privacyModule } from "./modules/privacy";
import { redirectModule } from "./modules/redirect";
import { isRedirectRoute } from "./modules/redirect/model";
import { htmlPage, NOT_FOUND_PAGE } from "./modules/redirect/pages";
import { ClickRecorder, type ClickWriter } from "./modules/redirect/recorder";
import { localLinks, type LinkSource } from "./modules/redirect/service";
import { TrackingService } from "./modules/redirect/tracking";
import { webhooksModule } from "./modules/webhooks";

export type AppDeps = {
  store: Store;
  config: Config;
  log?: Logger;
  metrics?: Metrics;
  /** Where redirect clicks go: the store unless given (edge mode gives its outbox). */
  clickWriter?: ClickWriter;
  /** Where redirects find links: the store unless given (edge mode gives LOOKUP_API_URL's). */
  links?: LinkSource;
};

const nulInUrl = () => new ValidationFailed("The URL holds a NUL character (%00), which no id or value here can hold");

const pathOf = (request: Request) => {
  const url = request.url;
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const end = url.indexOf("?", start);
  return end === -1 ? url.slice(start) : url.slice(start, end);
};

export function createApp({ store, config, log = silentLogger(), metrics = createMetrics(), clickWriter, links = localLinks(store) }: AppDeps) {
  const health = new WriteHealth();
  const recorder = new ClickRecorder(clickWriter ?? { write: (clicks) => store.clicks.record(clicks) }, metrics, log, health);
  const owner = new OwnerCookies(store, config);
  const tracking = new TrackingService(store, config, recorder, owner, log);
  // The routes that read a body: a body schema, or a request body in their OpenAPI entry (the
  // seeds' routes check theirs by hand, for their own error bodies). Known once all are added.
  let bodyRoutes: Set<string> | null = null;
  const takesBody = (method: string, route: string) => {
    bodyRoutes ??= new Set(
      app.routes
        .filter((r) => r.hooks?.body || (r.hooks?.detail as { requestBody?: unknown } | undefined)?.requestBody)
        .map((r) => `${r.method} ${r.path}`),
    );
    return bodyRoutes.has(`${method} ${route}`);
  };
  // The socket's address, or the proxy's headers with TRUST_PROXY: one rule for every route.
  const clientIpOf = (request: Request) => clientIp(request.headers, app.server?.requestIP(request)?.address, config.trustProxy, config.clientIpHeader);
  const gate = createGate(store, config, authLimits(config), clientIpOf);
  const auth: ModuleContext = { store, config, clientIpOf, gate, metrics, health, log };
  const started = new WeakMap<Request, number>();
  observeDatabaseSize(metrics, () => store.size());
  if (store.linkCache) observeLinkCache(metrics, () => store.linkCache!());

  const app = new Elysia({
    // No limit of Bun's own: its 413 has no body, and past it Bun still reads (and drops)
    // whatever a client sends. Every body is refused or capped at MAX_BODY_BYTES here, with
    // JSON, and an error answer to a request with a body closes its connection (below).
    // No reusePort (Elysia's default): a second server started on a port in use fails to
    // start, instead of silently taking half the requests.
    serve: { maxRequestBodySize: Number.MAX_SAFE_INTEGER, reusePort: false },
  })
    // Before routing and before any body is read: an oversized declared body is a 413,
    // and a request that needs a key and has no valid one is answered from its headers.
    // (A promise only when there is a key to check: a redirect does not wait a turn for nothing.)
    .onRequest(({ request }) => {
      started.set(request, performance.now());
      recorder.nudge();
      checkDeclaredLength(request);
      const path = pathOf(request);
      if (!needsKeyFirst(request.method, path)) return;
      // No id or value of the API holds a NUL (no database text can): refused, once the key is checked.
      const nul = request.url.includes("%00");
      return gate(request).then(() => {
        if (nul) throw nulInUrl();
        if (path === "/api" || path === "/api/") throw new NotFound(`No route for ${request.method} ${path}`);
      });
    })
    // One histogram observation and one JSON line per request: method, route pattern,
    // status and duration. No query string, no header, no IP. A redirect's 302 is logged
    // at debug: each one is a stored click already, and a line per click is a tenth of
    // what a redirect costs; every other answer of the public side (404, 410, 429, 503)
    // and every API call is logged at info.
    .onAfterResponse({ as: "global" }, ({ request, route, set, responseValue }) => {
      const ms = performance.now() - (started.get(request) ?? performance.now());
      const status = responseValue instanceof Response ? responseValue.status : Number(set.status ?? 200);
      const pattern = route || "(unmatched)";
      metrics.observeRequest(request.method, pattern, status, ms / 1000);
      const level = status === 302 && isRedirectRoute(pattern) ? "debug" : "info";
      if (log.isLevelEnabled(level)) log[level]({ method: request.method, route: pattern, status, ms: Math.round(ms * 100) / 100 }, "request");
    })
    // Every body is JSON: other types are refused unread, JSON is read capped and
    // shape-checked. A route that takes no body (sign-out, a delete, a redeliver) never
    // reads one, whoever sends it: its answer closes the connection instead.
    .onParse({ as: "global" }, ({ request, contentType, route, set }) => {
      if (!contentType && !request.body) return;
      if (!takesBody(request.method, route)) {
        if (request.body !== null) set.headers.connection = "close";
        return {};
      }
      return parseBody(request, contentType);
    })
    .onError({ as: "global" }, ({ code, error, request, set }) => {
      const path = pathOf(request);
      // The rest of a body we did not read is not read at all: without this, Bun keeps
      // reading (and dropping) whatever the client sends, for as long as it sends.
      if (request.body !== null) set.headers.connection = "close";
      // A body parser's own error arrives wrapped as PARSE; its cause says what went wrong.
      // A store that cannot answer now is a 503 with Retry-After, whatever the route.
      const appError =
        error instanceof AppError
          ? error
          : code === "PARSE" && error.cause instanceof AppError
            ? error.cause
            : error instanceof StoreUnavailable
              ? new Unavailable("Database unavailable; retry later")
              : null;
      if (error instanceof StoreUnavailable) log.warn({ err: error.cause, path, method: request.method }, "database unavailable; answered 503");
      if (appError) {
        set.status = appError.status;
        Object.assign(set.headers, appError.headers);
        return appErrorBody(path, appError);
      }
      switch (code) {
        case "PARSE":
          set.status = 400;
          return errorBody(path, 400, "Request body could not be parsed");
        case "VALIDATION": {
          set.status = 400;
          const problems = [...new Set(error.all.map((issue) => issue.message))];
          return errorBody(path, 400, problems[0] ?? "Invalid request", { validation_errors: problems });
        }
        case "NOT_FOUND":
          if (path !== "/api" && !path.startsWith("/api/")) return htmlPage(404, NOT_FOUND_PAGE, request.method);
          set.status = 404;
          return errorBody(path, 404, `No route for ${request.method} ${path}`);
        default:
          // Never the error's own message: it may name files, SQL or secrets.
          log.error({ err: error, path, method: request.method }, "unhandled error");
          set.status = 500;
          return errorBody(path, 500, "Internal server error");
      }
    })
    .use(config.edge ? edgeApi(auth) : centralApi(auth, owner))
    .use(redirectModule({ config, links, tracking, metrics, clientIpOf }));
  return app;
}

/** Everything but the redirect routes, on the central server. */
const centralApi = (auth: ModuleContext, owner: OwnerCookies) =>
  new Elysia()
    .use(docsModule(auth.config))
    .use(healthModule(auth, auth.metrics))
    .use(ingestModule(auth))
    .use(linksModule(auth))
    .use(analyticsModule(auth))
    .use(applicationsModule(auth))
    .use(privacyModule(auth))
    .use(webhooksModule(auth))
    .use(mcpModule(auth))
    .use(dashboardModule({ ...auth, owner }));

export type App = ReturnType<typeof createApp>;
