import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** The counters of one app instance, on their own registry (tests build many apps). */
export function createMetrics() {
  const registry = new Registry();
  const registers = [registry];
  // Process metrics: resident memory, CPU, open file descriptors, event loop lag.
  collectDefaultMetrics({ register: registry });
  const requestSeconds = new Histogram({
    name: "link_tracker_http_request_duration_seconds",
    help: "Request durations by method, route pattern and status",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const databaseBytes = new Gauge({ name: "link_tracker_database_bytes", help: "Size of the database: SQLite's pages in use, or PostgreSQL's database (read every 30 s)", registers });
  const redirects = new Counter({
    name: "link_tracker_redirects_total",
    help: "Public redirect requests by outcome",
    labelNames: ["outcome"] as const,
    registers,
  });
  const clicks = new Counter({
    name: "link_tracker_clicks_total",
    help: "Clicks from the redirect routes by whether they were written to the database",
    labelNames: ["result"] as const,
    registers,
  });
  const ingestEvents = new Counter({
    name: "link_tracker_ingest_events_total",
    help: "Events received through the ingest and record-click APIs",
    labelNames: ["result"] as const,
    registers,
  });
  const outbox = {
    depth: new Gauge({ name: "link_tracker_outbox_events", help: "Edge mode: clicks waiting to be shipped", registers }),
    oldestSeconds: new Gauge({ name: "link_tracker_outbox_oldest_age_seconds", help: "Edge mode: age of the oldest click waiting", registers }),
    deadLetters: new Gauge({ name: "link_tracker_outbox_dead_letters", help: "Edge mode: clicks the upstream rejected", registers }),
  };
  // One labelled child per method, route and status, made once (labels() validates and
  // builds a new child on every call).
  const requestChildren = new Map<string, ReturnType<typeof requestSeconds.labels>>();
  const observeRequest = (method: string, route: string, status: number, seconds: number) => {
    const key = `${method} ${status} ${route}`;
    let child = requestChildren.get(key);
    if (!child) {
      child = requestSeconds.labels(method, route, String(status));
      if (requestChildren.size < 1000) requestChildren.set(key, child);
    }
    child.observe(seconds);
  };
  return {
    registry,
    outbox,
    requestSeconds,
    observeRequest,
    databaseBytes,
    redirects: {
      redirected: redirects.labels("redirected"),
      notFound: redirects.labels("not_found"),
      gone: redirects.labels("gone"),
      limited: redirects.labels("rate_limited"),
      unavailable: redirects.labels("unavailable"),
    },
    clicksRecorded: clicks.labels("recorded"),
    clicksFailed: clicks.labels("failed"),
    ingest: {
      accepted: ingestEvents.labels("accepted"),
      rejected: ingestEvents.labels("rejected"),
      duplicate: ingestEvents.labels("duplicate"),
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** The database's size, read when Prometheus scrapes (`bytes` answers 0 when it cannot tell: the last value is kept). */
export function observeDatabaseSize(metrics: Metrics, bytes: () => number): void {
  const gauge = metrics.databaseBytes as Gauge & { collect?: () => void };
  gauge.collect = () => {
    const value = bytes();
    if (value > 0) metrics.databaseBytes.set(value);
  };
}

/** A PostgreSQL store's link cache (Store.linkCache), read when Prometheus scrapes. */
export function observeLinkCache(metrics: Metrics, stats: () => { entries: number; reads: number; drops: number }): void {
  const reported = { reads: 0, drops: 0 };
  const counter = (name: string, help: string, key: "reads" | "drops") =>
    new Counter({
      name,
      help,
      registers: [metrics.registry],
      collect() {
        const now = stats()[key];
        if (now > reported[key]) this.inc(now - reported[key]);
        reported[key] = now;
      },
    });
  new Gauge({
    name: "link_tracker_link_cache_entries",
    help: "Links this instance keeps in memory (PostgreSQL; at most 20,000)",
    registers: [metrics.registry],
    collect() {
      this.set(stats().entries);
    },
  });
  counter("link_tracker_link_cache_reads_total", "Links read from PostgreSQL one row at a time because memory could not answer", "reads");
  counter("link_tracker_link_cache_drops_total", "Times the link cache was emptied for a change no notification announced", "drops");
}

/** The current value of a counter child, for tests and logs. */
export const valueOf = async (registry: Registry, name: string, label: Record<string, string>): Promise<number> => {
  const metric = await registry.getSingleMetric(name)?.get();
  const match = metric?.values.find((v) => Object.entries(label).every(([k, val]) => v.labels[k] === val));
  return match?.value ?? 0;
};
