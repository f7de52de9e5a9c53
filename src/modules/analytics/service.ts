import type { ClickAgent, ClickFilter, Store, VisitorKind as Kind } from "../../db/store";
import { ATTRIBUTION } from "../../lib/geo";
import { localDay, startOfDay } from "../../lib/zone";
import { linkNotFound, viewOf } from "../links/service";
import { countsByKind, VISITOR_KINDS, type VisitorKind } from "../clicks/visitor";
import type { AnalyticsQuery } from "./model";

const HOUR = 3600_000;

export type Count = { value: string; clicks: number };

export { agentText } from "../../db/describe";

/** Largest first, then by name; `none` where the clicks had no value. */
const labelled = (rows: { value: string | null; clicks: number }[], none: string): Count[] =>
  rows.map((r) => ({ value: r.value ?? none, clicks: r.clicks })).sort((a, b) => b.clicks - a.clicks || a.value.localeCompare(b.value));

/** Human clicks only, unless the question includes bots (then every kind). */
export const kindsFor = (query: AnalyticsQuery): ClickFilter["kinds"] => (query.include_bots === "true" ? undefined : ["human"]);

export function filterFor(trackingIds: string[], query: AnalyticsQuery): ClickFilter {
  return { trackingIds, from: query.from, to: query.to, kinds: kindsFor(query) };
}

/** The seed's link_info: exactly its fields. */
const LINK_INFO = ["tracking_id", "original_url", "link_function", "link_type", "job_id", "application_id", "is_active", "description"] as const;

/** Clicks by country and by network (PlaceBreakdowns), for the links and period of a filter. */
export async function placeBreakdowns(store: Store, filter: ClickFilter) {
  return placeRows(await store.clicks.breakdowns(filter, ["country", "network"]));
}

function placeRows({ country: countries = [], network: networks = [] }: Partial<Record<"country" | "network", { value: string | null; clicks: number }[]>>) {
  return {
    by_country: countries.map((r) => ({ value: r.value ?? "(unknown)", clicks: r.clicks })),
    by_network: networks.map((r) => {
      const space = r.value?.indexOf(" ") ?? -1;
      if (!r.value || space < 0) return { asn: null, network: "(unknown)", clicks: r.clicks };
      const asn = Number(r.value.slice(0, space));
      return { asn, network: r.value.slice(space + 1) || `AS${asn}`, clicks: r.clicks };
    }),
    location_attribution: ATTRIBUTION,
  };
}

const DAY_MS = 86_400_000;
const MAX_DAYS = 366;

/**
 * Clicks per day and kind, every day of the span a zero when nothing came (a chart draws
 * a bar per day, not a line between clicks): from the day of `start` to the day of `end`
 * (days as "2026-11-30", calendar days of the viewer's time zone), the last MAX_DAYS of it.
 */
export function clicksPerDay(rows: { day: string; kind: Kind; clicks: number }[], startDay: string, endDay: string) {
  const midnight = (day: string) => Date.parse(`${day}T00:00:00Z`);
  const zero = () => Object.fromEntries(VISITOR_KINDS.map((k) => [k, 0])) as Record<VisitorKind, number>;
  const counts = new Map<string, Record<VisitorKind, number>>();
  for (const r of rows) {
    if (!(VISITOR_KINDS as readonly string[]).includes(r.kind)) continue;
    const c = counts.get(r.day) ?? zero();
    c[r.kind as VisitorKind] += r.clicks;
    counts.set(r.day, c);
  }
  const last = midnight(endDay);
  const out: ({ day: string } & Record<VisitorKind, number>)[] = [];
  for (let t = Math.max(midnight(startDay), last - (MAX_DAYS - 1) * DAY_MS); t <= last; t += DAY_MS) {
    const day = new Date(t).toISOString().slice(0, 10);
    out.push({ day, ...(counts.get(day) ?? zero()) });
  }
  return out;
}

/** external-domain-guide.md's "GET Link Information", plus bot counts and breakdowns. */
export async function linkAnalytics(store: Store, trackingId: string, query: AnalyticsQuery, now = Date.now()) {
  const link = await store.links.find(trackingId);
  if (!link) throw linkNotFound(trackingId);
  const tz = query.tz ?? "UTC";
  const filter = filterFor([trackingId], query);
  // Asked together: the store answers them on its reader thread one after another.
  const since24h = new Date(now - 24 * HOUR).toISOString();
  const since7d = new Date(now - 7 * 24 * HOUR).toISOString();
  const [totals, everyKind, kinds, counts, recent] = await Promise.all([
    store.clicks.totals(filter, since24h, since7d),
    filter.kinds ? store.clicks.span({ ...filter, trackingIds: [trackingId], kinds: undefined }) : null,
    store.clicks.countsBy({ ...filter, kinds: undefined }, "kind"),
    store.clicks.breakdowns(filter, ["browser", "os", "device", "source", "referrer", "country", "network"]),
    store.clicks.recentOf(trackingId, 20),
  ]);
  const { browser: browsers = [], os: systems = [], device: devices = [], source: sources = [], referrer: referrers = [] } = counts;
  // The days: from `from`, or the link's creation (or its first click, when an ingested
  // one came before it), to `to` or now, in the viewer's time zone.
  const all = everyKind ?? totals;
  const start = query.from ?? (all.first && all.first < link.createdAt ? all.first : link.createdAt);
  const end = query.to ?? new Date(Math.max(now, Date.parse(start), all.last ? Date.parse(all.last) : 0)).toISOString();
  const from = query.from ?? new Date(startOfDay(tz, localDay(tz, Date.parse(start)))).toISOString();
  const days = await store.clicks.perDay({ trackingIds: [trackingId], from, to: end }, tz);
  const counted = new Set<string>(filter.kinds ?? VISITOR_KINDS);
  const byDay = new Map<string, number>();
  for (const d of days) if (counted.has(d.kind)) byDay.set(d.day, (byDay.get(d.day) ?? 0) + d.clicks);
  const byKind = countsByKind(kinds.map((r) => ({ kind: r.value ?? "", clicks: r.clicks })));
  return {
    link_info: viewOf(link, LINK_INFO),
    click_statistics: {
      total_clicks: totals.total,
      unique_sessions: totals.sessions,
      first_click: totals.first,
      last_click: totals.last,
      clicks_24h: totals.last24h,
      clicks_7d: totals.last7d,
    },
    bot_clicks: byKind.assistant + byKind.bot + byKind.preview + byKind.scanner,
    clicks_by_kind: byKind,
    counted: filter.kinds ? ("human clicks" as const) : ("all clicks" as const),
    breakdowns: {
      by_source: labelled(sources, "(none)"),
      by_referrer_domain: labelled(referrers, "(none)"),
      by_day: [...byDay].map(([day, clicks]) => ({ day, clicks })),
      by_browser: labelled(browsers, "(unknown)"),
      by_os: labelled(systems, "(unknown)"),
      by_device: labelled(devices, "(unknown)"),
      ...placeRows(counts),
    },
    clicks_per_day: clicksPerDay(days, localDay(tz, Date.parse(start)), localDay(tz, Date.parse(end))),
    recent_clicks: recent.map((c) => ({
      clicked_at: c.clickedAt,
      click_source: c.clickSource,
      visitor_kind: c.visitorKind,
      visitor_reason: c.visitorReason,
      browser: c.browser,
      referrer_domain: c.referrerDomain || "(none)",
      country: c.country,
      asn: c.asn,
      network: c.network,
    })),
    filters: { from: query.from ?? null, to: query.to ?? null, include_bots: query.include_bots === "true", tz },
  };
}
