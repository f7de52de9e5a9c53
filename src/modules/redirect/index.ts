/**
 * The public side: what a recruiter's click hits. Resolve the link, record the visit
 * (never for HEAD), then answer. Nothing here needs a key.
 */
import { Elysia } from "elysia";
import type { Config } from "../../config";
import type { Db } from "../../db";
import { reclassifyClicks } from "../../db/clicks";
import { saltForDay } from "../../db/salts";
import type { Logger } from "../../lib/log";
import type { Metrics } from "../../lib/metrics";
import { clientNetwork } from "../../lib/ip";
import { RateLimiter } from "../../lib/rate-limit";
import { nowIso } from "../../lib/time";
import { TRACKING_ID_PATTERN } from "../ingest/model";
import { withdrawSignals } from "../webhooks/signals";
import { isOwnerBrowser } from "../dashboard/owner";
import { BurstDetector } from "./burst";
import { isUsableSource } from "./model";
import { GONE_PAGE, htmlPage, NOT_FOUND_PAGE, ROBOTS_TXT, tooManyRequests, UNAVAILABLE_PAGE } from "./pages";
import type { ClickRecorder } from "./recorder";
import { orphanId, sourceFromReferrer, type LinkSource, type Resolution } from "./service";
import { buildVisitor } from "./visitor";

type Hit = {
  request: Request;
  query: URLSearchParams;
  trackingId: string | null;
  /** click_source from the path, or null for /track/{id} (then it comes from the Referer). */
  source: string | null;
};

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
  db: Db;
  config: Config;
  links: LinkSource;
  recorder: ClickRecorder;
  metrics: Metrics;
  log: Logger;
  clientIpOf: (request: Request) => string | null;
};

export const redirectModule = ({ db, config, links, recorder, metrics, log, clientIpOf }: RedirectDeps) => {
  const perIp = new RateLimiter(config.rateLimits.redirect);
  let salt = { day: "", value: "", stored: false };
  const saltOf = (now: string) => {
    const day = now.slice(0, 10);
    if (salt.day === day && salt.stored) return salt.value;
    try {
      salt = { day, value: saltForDay(db, day), stored: true };
    } catch (error) {
      // The database cannot store today's salt: use one of our own until it can (session
      // ids then differ from other processes' for the day, nothing worse).
      if (salt.day !== day) {
        log.warn({ err: error }, "daily salt could not be stored; using an in-memory one");
        salt = { day, value: crypto.randomUUID(), stored: false };
      }
    }
    return salt.value;
  };

  const bursts = new BurstDetector();
  /** The earlier clicks of a burst, once they are stored, are a scanner's too; so are their signals. */
  const reclassify = (clickIds: string[], reason: string) => {
    if (clickIds.length === 0) return;
    try {
      reclassifyClicks(db, clickIds, "scanner", reason);
      withdrawSignals(db, clickIds);
    } catch (error) {
      log.warn({ err: error }, "could not reclassify the clicks of a burst");
    }
  };

  const refused = (status: 404 | 410, method: string) =>
    config.notFoundRedirect ? redirect(config.notFoundRedirect) : htmlPage(status, status === 404 ? NOT_FOUND_PAGE : GONE_PAGE, method);

  async function handle({ request, query, trackingId, source }: Hit): Promise<Response> {
    if (perIp.limit > 0 && perIp.hit(clientNetwork(clientIpOf(request)))) {
      metrics.redirects.limited.inc();
      return tooManyRequests(perIp.retryAfter());
    }
    const isHead = request.method === "HEAD";
    const now = nowIso();
    const valid = trackingId !== null && trackingId.length <= 100 && TRACKING_ID_PATTERN.test(trackingId);
    const resolution: Resolution = valid ? await links.resolve(trackingId, now) : { kind: "unknown" };

    // A hit without a uuid is kept only where a link could have been cut short.
    const worthKeeping = () => trackingId !== null || (source !== null && links.sourceInUse(source));
    if (!isHead && (resolution.kind !== "unknown" || worthKeeping())) {
      const visitor = buildVisitor({
        headers: request.headers,
        params: query,
        ip: clientIpOf(request),
        config,
        salt: saltOf(now),
        ownerBrowser: isOwnerBrowser(db, request.headers.get("cookie")),
      });
      const clickId = Bun.randomUUIDv7();
      const burst =
        resolution.kind === "live" && visitor.visitorKind === "human"
          ? bursts.note(visitor.networkIp, resolution.link.applicationId, resolution.link.trackingId, clickId, Date.parse(now))
          : null;
      if (burst) Object.assign(visitor, { isBot: true, visitorKind: "scanner", visitorReason: burst.reason });
      await recorder.record({
        clickId,
        trackingId: orphanId(trackingId ?? ""),
        clickedAt: now,
        receivedAt: now,
        ipAddress: visitor.ip,
        userAgent: visitor.userAgent,
        referrerUrl: visitor.referrer,
        sessionId: visitor.sessionId,
        clickSource: (source ?? sourceFromReferrer(visitor.referrer)).slice(0, 50),
        metadata: visitor.metadata,
        isBot: visitor.isBot,
        visitorKind: visitor.visitorKind,
        visitorReason: visitor.visitorReason,
        origin: "redirect",
        outcome: resolution.kind === "live" ? "redirected" : resolution.kind === "gone" ? "gone" : "not_found",
      });
      // The earlier clicks were queued before this one, so they are committed with it or before.
      if (burst) reclassify(burst.earlier, burst.reason);
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
    return handle({ request, query, trackingId: query.get("uuid"), source });
  };

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
