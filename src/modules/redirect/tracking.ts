/**
 * What a redirect's hit becomes: a visitor built once from the request (classified, the
 * burst rule included), a click recorded before the answer goes out. The state this
 * needs lives here, not in the controller: today's salt, the recent clicks a burst is
 * seen in, the group-commit recorder, the owner cookie's key.
 */
import type { Config } from "../../config";
import type { Store } from "../../db/store";
import type { Logger } from "../../lib/log";
import { hasOwnerCookie, type OwnerCookies } from "../dashboard/owner";
import { BurstDetector } from "./burst";
import type { ClickRecorder } from "./recorder";
import { orphanId, sourceFromReferrer, type Resolution } from "./service";
import { buildVisitor } from "./visitor";

export type Hit = {
  request: Request;
  query: URLSearchParams;
  /** The uuid as sent, when there was one. */
  trackingId: string | null;
  /** click_source from the path, or null for /track/{id} (then it comes from the Referer). */
  source: string | null;
  ip: string | null;
  now: string;
};

export class TrackingService {
  private readonly bursts = new BurstDetector();
  private salt = { day: "", value: "", stored: false, asking: null as Promise<void> | null };

  constructor(
    private readonly store: Store,
    private readonly config: Config,
    private readonly recorder: ClickRecorder,
    private readonly owner: OwnerCookies,
    private readonly log: Logger,
  ) {}

  /**
   * Today's salt of session ids, from memory. A new day's is asked of the store once;
   * until it answers (or if it cannot store one) an in-memory salt is used: session ids
   * then differ from other processes' for the day, nothing worse.
   */
  private saltOf(now: string): string {
    const day = now.slice(0, 10);
    const salt = this.salt;
    if (salt.day === day && salt.stored) return salt.value;
    if (salt.day !== day) this.salt = { day, value: crypto.randomUUID(), stored: false, asking: null };
    this.salt.asking ??= this.store.settings.saltForDay(day).then(
      (value) => {
        if (this.salt.day === day) this.salt = { day, value, stored: true, asking: null };
      },
      (error) => {
        this.log.warn({ err: error }, "daily salt could not be stored; using an in-memory one");
      },
    );
    return this.salt.value;
  }

  /** The first salt of the day, stored before the first click that needs it when the store answers at once. */
  async ready(now: string): Promise<void> {
    this.saltOf(now);
    await this.salt.asking;
  }

  /** Records the hit (HEAD is never tracked) and resolves once its click is written, or given up on. */
  async track({ request, query, trackingId, source, ip, now }: Hit, resolution: Resolution): Promise<void> {
    if (!this.salt.stored) await this.ready(now);
    const cookie = request.headers.get("cookie");
    const clickId = Bun.randomUUIDv7();
    const link = resolution.kind === "live" ? resolution.link : null;
    let earlier: string[] = [];
    const visitor = buildVisitor({
      headers: request.headers,
      params: query,
      ip,
      config: this.config,
      salt: this.saltOf(now),
      ownerBrowser: hasOwnerCookie(cookie) && (await this.owner.isOwnerBrowser(cookie)),
      burst: link
        ? () => {
            const burst = this.bursts.note(ip, link.applicationId, link.trackingId, clickId, Date.parse(now));
            earlier = burst?.earlier ?? [];
            return burst?.reason ?? null;
          }
        : undefined,
    });
    await this.recorder.record({
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
      visitorKind: visitor.visitorKind,
      visitorReason: visitor.visitorReason,
      country: visitor.country,
      city: visitor.city,
      asn: visitor.asn,
      network: visitor.network,
      origin: "redirect",
      outcome: resolution.kind === "live" ? "redirected" : resolution.kind === "gone" ? "gone" : "not_found",
      acceptLanguage: request.headers.has("accept-language"),
    });
    // The earlier clicks of the burst were queued before this one, so they are committed
    // with it or before: they are a scanner's too, and so are their signals.
    if (earlier.length > 0) await this.reclassify(earlier, visitor.visitorReason ?? "burst");
  }

  private async reclassify(clickIds: string[], reason: string): Promise<void> {
    try {
      await this.store.clicks.reclassify(clickIds, "scanner", reason);
    } catch (error) {
      this.log.warn({ err: error }, "could not reclassify the clicks of a burst");
    }
  }
}
