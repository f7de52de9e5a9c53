import { z } from "zod";
import type { Store } from "../../db/store";
import { VERSION } from "../../version";

/**
 * Whether writes are getting through. The click recorder and the ingest API report
 * each write; health answers unhealthy while the last one failed, and recovers with
 * the next that succeeds.
 */
export class WriteHealth {
  private failing = false;
  ok(): void {
    this.failing = false;
  }
  failed(): void {
    this.failing = true;
  }
  get writesFailing(): boolean {
    return this.failing;
  }
}

/**
 * Asks the database something real (the store's probe: a read, and a write that changes
 * nothing, which fails when the file is read-only or a lock is held elsewhere); and the
 * last real write must have gone through (a full disk can still rewrite a page it has,
 * but not add one). A health check that never touches the database proves nothing.
 */
export async function checkDatabase(store: Store, health?: WriteHealth): Promise<boolean> {
  try {
    await withTimeout(store.probe(), PROBE_MS);
    // A probe that really wrote shows writes get through again (PostgreSQL back after an outage).
    if (store.probeWrites) health?.ok();
    return !health?.writesFailing;
  } catch {
    return false;
  }
}

/** A probe that waits behind a held lock answers "unhealthy" after this, not after the store's own give-up time. */
const PROBE_MS = 1000;

const withTimeout = <T>(work: Promise<T>, ms: number): Promise<T> => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([work, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error("timed out")), ms)))]).finally(() => clearTimeout(timer));
};

/** The seed's health answer (tracking-ingest-guide.md). */
export const HealthBody = z.object({
  status: z.enum(["healthy", "unhealthy"]),
  service: z.literal("tracking_ingest_api"),
  version: z.string().describe("The version of the ingest API (the seeds' field): 1.0.0"),
  server_version: z.string().describe("The version of link-tracker answering, as `link-tracker --version` prints it"),
  timestamp: z.string(),
});

/** The seed's health answer, after a real check of the database. */
export async function healthAnswer(store: Store, health: WriteHealth) {
  const healthy = await checkDatabase(store, health);
  return {
    status: healthy ? 200 : 503,
    body: {
      status: healthy ? ("healthy" as const) : ("unhealthy" as const),
      service: "tracking_ingest_api" as const,
      version: INGEST_API_VERSION,
      server_version: VERSION,
      timestamp: new Date().toISOString(),
    },
  };
}

export const INGEST_API_VERSION = "1.0.0";
