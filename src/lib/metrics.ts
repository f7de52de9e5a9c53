import { Counter, Registry } from "prom-client";

/** The counters of one app instance, on their own registry (tests build many apps). */
export function createMetrics() {
  const registry = new Registry();
  const registers = [registry];
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
  return {
    registry,
    redirects: {
      redirected: redirects.labels("redirected"),
      notFound: redirects.labels("not_found"),
      gone: redirects.labels("gone"),
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

/** The current value of a counter child, for tests and logs. */
export const valueOf = async (registry: Registry, name: string, label: Record<string, string>): Promise<number> => {
  const metric = await registry.getSingleMetric(name)?.get();
  const match = metric?.values.find((v) => Object.entries(label).every(([k, val]) => v.labels[k] === val));
  return match?.value ?? 0;
};
