import type { Config } from "../../config";
import type { Store } from "../../db/store";
import { ValidationFailed } from "../../lib/errors";
import { anonymizeIp, normaliseIp } from "../../lib/ip";
import type { Logger } from "../../lib/log";

/** Erases one person's clicks. With IP_ANONYMIZE the stored address is the network's, so that is what is matched. */
export async function eraseClicksFromIp(store: Store, config: Pick<Config, "ipAnonymize">, raw: string) {
  const ip = normaliseIp(raw);
  if (!ip) throw new ValidationFailed("ip must be a valid IPv4 or IPv6 address", { validation_errors: ["ip must be a valid IPv4 or IPv6 address"] });
  const stored = config.ipAnonymize ? anonymizeIp(ip)! : ip;
  return { ip: stored, clicks_deleted: await store.clicks.deleteFromIp(stored) };
}

const BATCH = 1000;
const HOUR_MS = 3600_000;

/**
 * RETENTION_DAYS: deletes old clicks now and every hour, a thousand at a time with the
 * event loop free in between, so that a large first prune never stalls redirects.
 * Returns a function that stops it.
 */
export function startRetention(store: Store, days: number, log: Logger): { done: Promise<void>; stop: () => void } {
  if (days <= 0) return { done: Promise.resolve(), stop: () => {} };
  let stopped = false;
  const prune = async () => {
    const before = new Date(Date.now() - days * 86_400_000).toISOString();
    let total = 0;
    try {
      for (;;) {
        const deleted = await store.clicks.deleteBefore(before, BATCH);
        total += deleted;
        if (deleted < BATCH || stopped) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
    } catch (error) {
      log.warn({ err: error }, "pruning old clicks failed; will try again in an hour");
    }
    if (total > 0) log.info({ deleted: total, before, retention_days: days }, "old clicks pruned");
  };
  const done = prune();
  const timer = setInterval(prune, HOUR_MS);
  return {
    done,
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}
