import UAParser from "ua-parser-js";
import type { ClickFilter, Link, Store } from "../../db/store";
import { nextTurn } from "../../lib/turns";
import { ATTRIBUTION } from "../../lib/geo";
import { linkNotFound, viewOf } from "../links/service";
import { countsByKind, VISITOR_KINDS, type VisitorKind } from "../clicks/visitor";
import type { AnalyticsQuery } from "./model";

const HOUR = 3600_000;

export type Count = { value: string; clicks: number };

// Parsing a user agent takes tens of microseconds; clicks share few distinct ones.
const parsedAgents = new Map<string, UAParser.IResult>();
export function parseAgent(userAgent: string): UAParser.IResult {
  let result = parsedAgents.get(userAgent);
  if (!result) {
    result = new UAParser(userAgent).getResult();
    if (parsedAgents.size >= 5000) parsedAgents.clear();
    parsedAgents.set(userAgent, result);
  }
  return result;
}

/** Labels worked out between two turns of the event loop (a user agent's parse takes tens of microseconds). */
const LABELS_PER_TURN = 200;

/** Adds counts that map to the same label, largest first. */
async function regroup(rows: { value: string | null; clicks: number }[], label: (value: string | null) => string): Promise<Count[]> {
  const totals = new Map<string, number>();
  for (let i = 0; i < rows.length; i++) {
    if (i > 0 && i % LABELS_PER_TURN === 0) await nextTurn();
    const row = rows[i];
    const key = label(row.value);
    totals.set(key, (totals.get(key) ?? 0) + row.clicks);
  }
  return [...totals].map(([value, clicks]) => ({ value, clicks })).sort((a, b) => b.clicks - a.clicks || a.value.localeCompare(b.value));
}

const referrerDomain = (referrer: string | null) => {
  if (!referrer) return "(none)";
  try {
    return new URL(referrer).hostname.replace(/^www\./, "") || "(unknown)";
  } catch {
    return "(unknown)";
  }
};

/** "Safari on iOS, mobile": a user agent for a person; null without one. */
export function agentText(userAgent: string | null): string | null {
  if (!userAgent) return null;
  const r = parseAgent(userAgent);
  const device = r.device.type ?? (r.os.name ? "desktop" : undefined);
  return [r.browser.name, r.os.name && `on ${r.os.name}`].filter(Boolean).join(" ") + (device ? `, ${device}` : "") || null;
}

const agentPart = (part: (r: UAParser.IResult) => string | undefined) => (ua: string | null) => (ua ? part(parseAgent(ua)) : undefined) ?? "(unknown)";

/** Human clicks only, unless the question includes bots (then every kind). */
export const kindsFor = (query: AnalyticsQuery): ClickFilter["kinds"] => (query.include_bots === "true" ? undefined : ["human"]);

export function filterFor(trackingIds: string[], query: AnalyticsQuery): ClickFilter {
  return { trackingIds, from: query.from, to: query.to, kinds: kindsFor(query) };
}

/** The seed's link_info: exactly its fields. */
const LINK_INFO = ["tracking_id", "original_url", "link_function", "link_type", "job_id", "application_id", "is_active", "description"] as const;

/** Clicks by country and by network (PlaceBreakdowns), for the links and period of a filter. */
export async function placeBreakdowns(store: Store, filter: ClickFilter) {
  const [countries, networks] = await Promise.all([store.clicks.countsBy(filter, "country"), store.clicks.countsBy(filter, "network")]);
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
 * a bar per day, not a line between clicks): from `from` (or the link's first click, or
 * its creation) to `to` (or today), the last MAX_DAYS of it.
 */
export function clicksPerDay(rows: { value: string | null; clicks: number }[], start: string, end: string) {
  const midnight = (iso: string) => Date.parse(`${iso.slice(0, 10)}T00:00:00Z`);
  const zero = () => Object.fromEntries(VISITOR_KINDS.map((k) => [k, 0])) as Record<VisitorKind, number>;
  const counts = new Map<string, Record<VisitorKind, number>>();
  for (const r of rows) {
    const [day, kind] = (r.value ?? "").split(" ");
    if (!day || !(VISITOR_KINDS as readonly string[]).includes(kind)) continue;
    const c = counts.get(day) ?? zero();
    c[kind as VisitorKind] += r.clicks;
    counts.set(day, c);
  }
  const last = midnight(end);
  const out: ({ day: string } & Record<VisitorKind, number>)[] = [];
  for (let t = Math.max(midnight(start), last - (MAX_DAYS - 1) * DAY_MS); t <= last; t += DAY_MS) {
    const day = new Date(t).toISOString().slice(0, 10);
    out.push({ day, ...(counts.get(day) ?? zero()) });
  }
  return out;
}

/** external-domain-guide.md's "GET Link Information", plus bot counts and breakdowns. */
export async function linkAnalytics(store: Store, trackingId: string, query: AnalyticsQuery, now = Date.now()) {
  const link = await store.links.find(trackingId);
  if (!link) throw linkNotFound(trackingId);
  const filter = filterFor([trackingId], query);
  // Asked together: the store answers them on its reader thread one after another.
  const [totals, kinds, agents, sources, referrers, days, recent, places, daysByKind] = await Promise.all([
    store.clicks.totals(filter, new Date(now - 24 * HOUR).toISOString(), new Date(now - 7 * 24 * HOUR).toISOString()),
    store.clicks.countsBy({ ...filter, kinds: undefined }, "kind"),
    store.clicks.countsBy(filter, "userAgent"),
    store.clicks.countsBy(filter, "source"),
    store.clicks.countsBy(filter, "referrer"),
    store.clicks.countsBy(filter, "day"),
    store.clicks.recentOf(trackingId, 20),
    placeBreakdowns(store, filter),
    store.clicks.countsBy({ ...filter, kinds: undefined }, "dayKind"),
  ]);
  const firstDay = daysByKind[0]?.value?.slice(0, 10);
  const perDay = clicksPerDay(daysByKind, query.from ?? (firstDay && firstDay < link.createdAt ? firstDay : link.createdAt), query.to ?? new Date(now).toISOString());
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
    bot_clicks: byKind.bot + byKind.preview + byKind.scanner,
    clicks_by_kind: byKind,
    counted: filter.kinds ? ("human clicks" as const) : ("all clicks" as const),
    breakdowns: {
      by_source: await regroup(sources, (v) => v ?? "(none)"),
      by_referrer_domain: await regroup(referrers, referrerDomain),
      by_day: days.map((r) => ({ day: r.value as string, clicks: r.clicks })),
      by_browser: await regroup(agents, agentPart((r) => r.browser.name)),
      by_os: await regroup(agents, agentPart((r) => r.os.name)),
      // ua-parser leaves desktops without a device type.
      by_device: await regroup(agents, agentPart((r) => r.device.type ?? (r.os.name ? "desktop" : undefined))),
      ...places,
    },
    clicks_per_day: perDay,
    recent_clicks: recent.map((c) => ({
      clicked_at: c.clickedAt,
      click_source: c.clickSource,
      visitor_kind: c.visitorKind,
      visitor_reason: c.visitorReason,
      browser: c.userAgent ? (parseAgent(c.userAgent).browser.name ?? null) : null,
      referrer_domain: referrerDomain(c.referrerUrl),
      country: c.country,
      asn: c.asn,
      network: c.network,
    })),
    filters: { from: query.from ?? null, to: query.to ?? null, include_bots: query.include_bots === "true" },
  };
}
