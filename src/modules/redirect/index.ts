/**
 * The public side: what a recruiter's click hits. The controller parses the hit,
 * resolves the link, has the tracking service record the visit (never for HEAD), then
 * answers. Nothing here needs a key.
 */
import { Elysia } from "elysia";
import type { Config } from "../../config";
import { clientNetwork } from "../../lib/ip";
import type { Metrics } from "../../lib/metrics";
import { RateLimiter } from "../../lib/rate-limit";
import { nowIso } from "../../lib/time";
import { TRACKING_ID_PATTERN } from "../../lib/schemas";
import { isUsableSource } from "./model";
import { GONE_PAGE, htmlPage, NOT_FOUND_PAGE, ROBOTS_TXT, tooManyRequests, UNAVAILABLE_PAGE } from "./pages";
import type { LinkSource, Resolution } from "./service";
import type { TrackingService } from "./tracking";

/** A redirect's headers, made once per destination: a Response copies them (measured: twice as fast as from an object). */
const redirectHeaders = new Map<string, Headers>();

const redirect = (location: string) => {
  let headers = redirectHeaders.get(location);
  if (!headers) {
    if (redirectHeaders.size >= 10_000) redirectHeaders.clear();
    headers = new Headers({ Location: location, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer" });
    redirectHeaders.set(location, headers);
  }
  return new Response(null, { status: 302, headers });
};

export type RedirectDeps = {
  config: Config;
  links: LinkSource;
  tracking: TrackingService;
  metrics: Metrics;
  clientIpOf: (request: Request) => string | null;
};

export const redirectModule = ({ config, links, tracking, metrics, clientIpOf }: RedirectDeps) => {
  const perIp = new RateLimiter(config.rateLimits.redirect);

  const refused = (status: 404 | 410, method: string) =>
    config.notFoundRedirect ? redirect(config.notFoundRedirect) : htmlPage(status, status === 404 ? NOT_FOUND_PAGE : GONE_PAGE, method);

  type Parsed = { request: Request; query: URLSearchParams; trackingId: string | null; source: string | null };

  async function handle({ request, query, trackingId, source }: Parsed): Promise<Response> {
    const ip = clientIpOf(request);
    if (perIp.limit > 0 && perIp.hit(clientNetwork(ip))) {
      metrics.redirects.limited.inc();
      return tooManyRequests(perIp.retryAfter());
    }
    const now = nowIso();
    const valid = trackingId !== null && trackingId.length <= 100 && TRACKING_ID_PATTERN.test(trackingId);
    // The store's links answer from memory: awaited only when a lookup really is a promise (edge mode).
    const resolved = valid ? links.resolve(trackingId, now) : ({ kind: "unknown" } as const);
    const resolution: Resolution = resolved instanceof Promise ? await resolved : resolved;
    // A hit without a uuid is kept only where a link could have been cut short.
    const worthKeeping = async () => trackingId !== null || (source !== null && (await links.sourceInUse(source)));
    if (request.method !== "HEAD" && (resolution.kind !== "unknown" || (await worthKeeping()))) {
      await tracking.track({ request, query, trackingId, source, ip, now }, resolution);
    }

    switch (resolution.kind) {
      case "live":
        metrics.redirects.redirected.inc();
        return redirect(resolution.link.originalUrl);
      case "gone":
        metrics.redirects.gone.inc();
        return refused(410, request.method);
      case "unavailable":
        metrics.redirects.unavailable.inc();
        return htmlPage(503, UNAVAILABLE_PAGE, request.method);
      default:
        metrics.redirects.notFound.inc();
        return refused(404, request.method);
    }
  }

  const queryOf = (request: Request): URLSearchParams => {
    const start = request.url.indexOf("?");
    return new URLSearchParams(start === -1 ? "" : request.url.slice(start + 1));
  };

  const bySource = ({ request, params }: { request: Request; params: { source: string } }) => {
    const source = params.source.toLowerCase();
    if (!isUsableSource(source)) return htmlPage(404, NOT_FOUND_PAGE, request.method);
    const query = queryOf(request);
    const trackingId = query.get("uuid");
    return trackingId === null ? byShortCode(request, query, params.source, source) : handle({ request, query, trackingId, source });
  };

  /** `/{code}` without a uuid: an imported short code answers as its link's /track/{id}; anything else is a hit on `/{source}`. */
  async function byShortCode(request: Request, query: URLSearchParams, code: string, source: string): Promise<Response> {
    if (code.length <= 100 && TRACKING_ID_PATTERN.test(code)) {
      const resolved = links.resolve(code, nowIso());
      const resolution = resolved instanceof Promise ? await resolved : resolved;
      if ((resolution.kind === "live" || resolution.kind === "gone") && resolution.link.shortCode === code) {
        return handle({ request, query, trackingId: code, source: null });
      }
    }
    return handle({ request, query, trackingId: null, source });
  }

  const byId = ({ request, params }: { request: Request; params: { id: string } }) =>
    handle({ request, query: queryOf(request), trackingId: params.id, source: null });

  const hide = { detail: { hide: true } };

  return new Elysia()
    .get("/robots.txt", () => new Response(ROBOTS_TXT, { headers: { "Content-Type": "text/plain; charset=utf-8" } }), hide)
    .get("/", ({ request }) => htmlPage(404, NOT_FOUND_PAGE, request.method), hide)
    .get("/track/:id", byId, hide)
    .head("/track/:id", byId, hide)
    .get("/:source", bySource, hide)
    .head("/:source", bySource, hide);
};
