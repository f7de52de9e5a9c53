/** The whole picture of a period: totals, top links, days, recent clicks, orphans, waiting applications. */
import type { Link, Period, Store } from "../../db/store";
import { NotFound, ValidationFailed } from "../../lib/errors";
import { nowIso } from "../../lib/time";
import { wholeDays } from "../../lib/zone";
import { linkNotFound } from "../links/service";
import { countsByKind } from "../clicks/visitor";
import type { AnalyticsQuery } from "./model";
import { labelsOf } from "../applications/service";
import { placeBreakdowns } from "./service";

const DEFAULT_DAYS = 30;

/** The period asked for (by default the last 30 days), widened to the whole days of the time zone it touches; both ends included. */
export function periodOf(query: AnalyticsQuery, now = Date.now()): Period & { tz: string } {
  const tz = query.tz ?? "UTC";
  const to = query.to ? Date.parse(query.to) : now;
  const from = query.from ? Date.parse(query.from) : to - DEFAULT_DAYS * 86_400_000;
  const days = wholeDays(tz, from, to);
  return { from: new Date(days.from).toISOString(), to: new Date(days.to - 1).toISOString(), tz };
}

export { oneEditApart, probableLink } from "../../lib/probable";

export async function overview(store: Store, query: AnalyticsQuery) {
  const { tz, ...period } = periodOf(query);
  const [kindRows, counts, waiting, top, perDay, recent, orphans, places] = await Promise.all([
    store.clicks.countsBy(period, "kind"),
    store.links.counts(nowIso()),
    store.links.applicationsWithoutHumanClick(),
    store.clicks.topLinksIn(period, 10),
    store.clicks.perDay({ ...period, kinds: ["human"] }, tz),
    store.clicks.recentIn(period, 20),
    store.clicks.orphansIn(period, 50),
    placeBreakdowns(store, { from: period.from, to: period.to, kinds: ["human"] }),
  ]);
  const kinds = countsByKind(kindRows.map((r) => ({ kind: r.value ?? "", clicks: r.clicks })));
  const named = new Set([...top.map((r) => r.trackingId), ...recent.map((r) => r.trackingId)]);
  const probable = await store.links.probableOf(orphans.map((o) => o.tracking_id));
  for (const p of probable.values()) if (p) named.add(p);
  const links = new Map<string, Link | undefined>(await Promise.all([...named].map(async (id) => [id, await store.links.find(id)] as const)));
  const link = (id: string) => links.get(id);
  const label = await labelsOf(store);
  return {
    period: { ...period, tz },
    totals: {
      links: counts.links,
      active_links: counts.active,
      applications: counts.applications,
      applications_clicked: counts.applications - waiting.length,
      human_clicks: kinds.human,
      clicks_by_kind: kinds,
    },
    top_links: top.map((r) => {
      const l = link(r.trackingId);
      return { tracking_id: r.trackingId, link_function: l?.linkFunction ?? null, application_id: l?.applicationId ?? null, application_label: label(l?.applicationId ?? null), human_clicks: r.clicks };
    }),
    clicks_per_day: perDay.map((d) => ({ day: d.day, clicks: d.clicks })),
    /** Human clicks of the period by country and by network. */
    breakdowns: places,
    recent_clicks: recent.map((r) => {
      const l = link(r.trackingId);
      return {
        clicked_at: r.clickedAt,
        tracking_id: r.trackingId,
        link_function: l?.linkFunction ?? null,
        application_id: l?.applicationId ?? null,
        application_label: label(l?.applicationId ?? null),
        click_source: r.clickSource,
        visitor_kind: r.visitorKind,
        visitor_reason: r.visitorReason,
        outcome: r.outcome,
      };
    }),
    orphans: orphans.map((o) => {
      const probably = probable.get(o.tracking_id) ?? null;
      const meant = probably ? link(probably) : undefined;
      return {
        ...o,
        probably: probably
          ? { tracking_id: probably, redirect_url: meant?.redirectUrl ?? null, link_function: meant?.linkFunction ?? null, application_id: meant?.applicationId ?? null, application_label: label(meant?.applicationId ?? null) }
          : null,
      };
    }),
    applications_without_human_click: waiting.map((w) => ({ ...w, label: label(w.application_id)! })),
  };
}

/** The owner's one call: "this orphan was link X". Its hits become X's clicks. */
export async function attribute(store: Store, orphanId: string, trackingId: string) {
  if (!(await store.links.find(trackingId))) throw linkNotFound(trackingId);
  if (await store.links.find(orphanId)) throw new ValidationFailed(`${orphanId} is a link, not an orphan`);
  const moved = await store.clicks.attributeOrphan(orphanId, trackingId);
  if (moved === 0) throw new NotFound("No orphan hits with this id", { tracking_id: orphanId });
  return { orphan_id: orphanId, tracking_id: trackingId, hits_attributed: moved };
}
