/**
 * Edge mode's link source: LOOKUP_API_URL/{id}, answers cached (found and not found
 * alike) for LOOKUP_CACHE_SECONDS. When the upstream cannot answer, a cached answer of
 * any age is used; a link never seen then is "unavailable" (a 503 page).
 */
import type { Config } from "../../config";
import type { Logger } from "../../lib/log";
import { DestinationUrl } from "../links/model";
import { classifyLink, type LinkSource, type Resolution, type ResolvedLink } from "../redirect/service";

const MAX_CACHED = 10_000;
const TIMEOUT_MS = 3000;

type Cached = { link: ResolvedLink | null; at: number };

export function upstreamLinks(edge: NonNullable<Config["edge"]>, apiKey: string, log: Logger): LinkSource {
  const cache = new Map<string, Cached>();
  const remember = (id: string, link: ResolvedLink | null) => {
    if (cache.size >= MAX_CACHED && !cache.has(id)) cache.delete(cache.keys().next().value!);
    cache.set(id, { link, at: Date.now() });
  };

  async function ask(trackingId: string): Promise<ResolvedLink | null | "down"> {
    try {
      const res = await fetch(`${edge.lookupApiUrl}/${encodeURIComponent(trackingId)}`, {
        headers: { "X-API-Key": apiKey, Accept: "application/json" },
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      if (res.status === 404) return null;
      if (!res.ok) throw new Error(`lookup answered ${res.status}`);
      const body = (await res.json()) as Record<string, unknown>;
      // The same rules as a link created here: whatever the upstream holds goes into our Location header.
      const destination = DestinationUrl.safeParse(body.original_url);
      if (!destination.success) throw new Error("lookup answer has no usable original_url (an absolute http(s) URL with a host)");
      return {
        trackingId,
        originalUrl: destination.data,
        applicationId: typeof body.application_id === "string" ? body.application_id : null,
        isActive: body.is_active !== false,
        expiresAt: typeof body.expires_at === "string" ? body.expires_at : null,
        // An imported short code answers /{code} on an edge too.
        shortCode: body.short_code === trackingId ? trackingId : null,
      };
    } catch (error) {
      log.warn({ err: (error as Error).message, tracking_id: trackingId }, "link lookup failed");
      return "down";
    }
  }

  return {
    async resolve(trackingId: string, now: string): Promise<Resolution> {
      const cached = cache.get(trackingId);
      if (cached && Date.now() - cached.at < edge.cacheSeconds * 1000) return classifyLink(cached.link ?? undefined, now);
      const answer = await ask(trackingId);
      if (answer === "down") return cached ? classifyLink(cached.link ?? undefined, now) : { kind: "unavailable" };
      remember(trackingId, answer);
      return classifyLink(answer ?? undefined, now);
    },
    // The edge cannot tell which paths its links use without asking; hits without a uuid are not kept.
    sourceInUse: () => false,
  };
}
