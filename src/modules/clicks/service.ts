/**
 * Turning a validated click event (from a batch or from record-click) into a stored click.
 * Both entry points share this, so both have the same fields, limits and idempotency.
 */
import type { Config } from "../../config";
import { StoreUnavailable, type NewClick, type Store } from "../../db/store";
import { Unavailable } from "../../lib/errors";
import { anonymizeIp } from "../../lib/ip";
import type { Logger } from "../../lib/log";
import type { WriteHealth } from "../health/service";
import type { ClickEvent } from "../ingest/model";
import { classify } from "./visitor";

/**
 * The key that makes a re-sent event count once: its event_id, or, when it has none but
 * carries its own clicked_at, a digest of the fields that describe the click. An event
 * with neither has nothing to recognise it by, and is stored each time it is sent.
 */
export function idempotencyKey(event: ClickEvent): string | null {
  if (event.event_id) return `event:${event.event_id}`;
  if (!event.clicked_at) return null;
  const fields = [
    event.tracking_id,
    event.clicked_at,
    event.ip_address,
    event.user_agent,
    event.click_source,
    event.referrer_url,
    event.session_id,
  ].map((f) => f ?? "");
  return `digest:${new Bun.CryptoHasher("sha256").update(JSON.stringify(fields)).digest("base64url")}`;
}

export function eventToClick(event: ClickEvent, origin: "ingest" | "api" | "import", receivedAt: string, config: Pick<Config, "isOwnerIp" | "ipAnonymize" | "locator">): NewClick {
  // Located from the address as sent, before IP_ANONYMIZE cuts it.
  const place = config.locator.locate(event.ip_address);
  return {
    clickId: Bun.randomUUIDv7(),
    trackingId: event.tracking_id,
    clickedAt: event.clicked_at ?? receivedAt,
    receivedAt,
    ipAddress: config.ipAnonymize ? anonymizeIp(event.ip_address ?? null) : event.ip_address,
    userAgent: event.user_agent,
    referrerUrl: event.referrer_url,
    sessionId: event.session_id,
    clickSource: event.click_source,
    metadata: event.metadata ?? {},
    // A request fact the redirect node passed on (our edge nodes do): a request without
    // Accept-Language is classified as on a redirect served here.
    ...classify({
      userAgent: event.user_agent,
      ip: event.ip_address,
      place,
      isOwnerIp: config.isOwnerIp,
      acceptLanguage: event.request?.accept_language === false ? null : undefined,
    }),
    ...place,
    origin,
    outcome: "redirected",
    idempotencyKey: idempotencyKey(event),
  };
}

/**
 * Stores the clicks in one transaction; a database that cannot take the write (the store
 * kept trying while another connection held it) is a 503, and the log says why at warn.
 */
export async function storeClicks(store: Store, clicks: NewClick[], health: WriteHealth, log: Logger): Promise<boolean[]> {
  const started = performance.now();
  try {
    const stored = await store.clicks.insert(clicks);
    health.ok();
    return stored;
  } catch (error) {
    if (!(error instanceof StoreUnavailable)) throw error;
    health.failed();
    const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
    log.warn(
      { err: error.cause, code: cause?.code ?? null, clicks: clicks.length, waited_ms: Math.round(performance.now() - started) },
      "clicks not written: the database could not take the write (answered 503; the sender retries, nothing was stored)",
    );
    throw new Unavailable("Database unavailable, nothing was written; retry later");
  }
}
