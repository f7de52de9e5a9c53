/**
 * What the job seeker asks: which applications got a recruiter to click, when, and on
 * what. Roll-ups by job and by application, and one timeline per application with the
 * clicks grouped into visits.
 */
import type { ClickPlace, KindCount, Link, Store } from "../../db/store";
import { NotFound } from "../../lib/errors";
import { countsByKind } from "../clicks/visitor";
import { viewOf } from "../links/service";
import { labelsOf, nameOf } from "../applications/service";
import { agentText, placeBreakdowns } from "./service";

/** Clicks of one session more than this apart are two visits. */
const VISIT_GAP_MS = 30 * 60_000;
/** A timeline shows the latest clicks; a résumé link with thousands is not a timeline any more. */
const TIMELINE_CLICKS = 1000;

const ROLLUP_FIELDS = ["tracking_id", "link_function", "link_type", "original_url", "redirect_url", "job_id", "application_id", "is_active", "created_at"] as const;

async function linkRollups(store: Store, links: Link[], known?: KindCount[]) {
  const counts = known ?? (await store.clicks.perLinkKindCounts(links.map((l) => l.trackingId)));
  return links.map((link) => {
    const rows = counts.filter((c) => c.trackingId === link.trackingId);
    const kinds = countsByKind(rows);
    const human = rows.find((r) => r.kind === "human");
    return {
      ...viewOf(link, ROLLUP_FIELDS),
      human_clicks: kinds.human,
      clicks_by_kind: kinds,
      first_human_click: human?.first ?? null,
      last_human_click: human?.last ?? null,
      time_to_first_click_seconds: human?.first ? Math.round((Date.parse(human.first) - Date.parse(link.createdAt)) / 1000) : null,
    };
  });
}

export type Visit = ClickPlace & {
  session_id: string | null;
  /** "Safari on iOS, mobile", from the visit's first click. */
  agent: string | null;
  started_at: string;
  ended_at: string;
  clicks: { tracking_id: string; link_function: string; clicked_at: string; click_source: string | null }[];
};

/**
 * The human clicks on an application's links in order (the latest thousand), grouped
 * into visits: one session (same visitor, same day) with no gap over 30 minutes. A
 * click without a session id (Do Not Track) is a visit of its own.
 */
export async function visitsOf(store: Store, links: Link[]): Promise<Visit[]> {
  const functionOf = new Map(links.map((l) => [l.trackingId, l.linkFunction]));
  const open = new Map<string, Visit>();
  const visits: Visit[] = [];
  for (const click of await store.clicks.humanOf(
    links.map((l) => l.trackingId),
    TIMELINE_CLICKS,
  )) {
    const entry = { tracking_id: click.trackingId, link_function: functionOf.get(click.trackingId) ?? "", clicked_at: click.clickedAt, click_source: click.clickSource };
    const current = click.sessionId ? open.get(click.sessionId) : undefined;
    if (current && Date.parse(click.clickedAt) - Date.parse(current.ended_at) <= VISIT_GAP_MS) {
      current.clicks.push(entry);
      current.ended_at = click.clickedAt;
      continue;
    }
    const visit: Visit = {
      session_id: click.sessionId,
      agent: agentText(click),
      started_at: click.clickedAt,
      ended_at: click.clickedAt,
      country: click.country,
      asn: click.asn,
      network: click.network,
      clicks: [entry],
    };
    visits.push(visit);
    if (click.sessionId) open.set(click.sessionId, visit);
  }
  return visits;
}

/** The latest clicks on an application's links that were not a recruiter's, each with why (the timeline's collapsed part). */
async function otherClicks(store: Store, links: Link[], limit = 50) {
  const perLink = await Promise.all(links.map(async (l) => (await store.clicks.recentOf(l.trackingId, limit)).map((c) => ({ ...c, linkFunction: l.linkFunction }))));
  return perLink
    .flat()
    .filter((c): c is typeof c & { visitorKind: Exclude<typeof c.visitorKind, "human"> } => c.visitorKind !== "human")
    .sort((a, b) => b.clickedAt.localeCompare(a.clickedAt))
    .slice(0, limit)
    .map((c) => ({
      clicked_at: c.clickedAt,
      link_function: c.linkFunction,
      visitor_kind: c.visitorKind,
      visitor_reason: c.visitorReason,
      agent: agentText(c),
      country: c.country,
      asn: c.asn,
      network: c.network,
    }));
}

const humanPlaces = (store: Store, links: Link[]) => placeBreakdowns(store, { trackingIds: links.map((l) => l.trackingId), kinds: ["human"] });

function summary(rollups: Awaited<ReturnType<typeof linkRollups>>) {
  const firsts = rollups.map((r) => r.first_human_click).filter((v): v is string => v !== null).sort();
  return {
    links: rollups.length,
    human_clicks: rollups.reduce((n, r) => n + r.human_clicks, 0),
    links_clicked: rollups.filter((r) => r.human_clicks > 0).length,
    first_human_click: firsts[0] ?? null,
  };
}

export async function applicationRollup(store: Store, applicationId: string) {
  const links = await store.links.of({ applicationId });
  if (links.length === 0) throw new NotFound("No links for this application", { application_id: applicationId });
  const rollups = await linkRollups(store, links);
  const [visits, breakdowns, named, others] = await Promise.all([
    visitsOf(store, links),
    humanPlaces(store, links),
    store.applications.find(applicationId),
    otherClicks(store, links),
  ]);
  return { application_id: applicationId, ...nameOf(applicationId, named), totals: summary(rollups), links: rollups, visits, other_clicks: others, breakdowns };
}

export async function jobRollup(store: Store, jobId: string) {
  const links = await store.links.of({ jobId });
  if (links.length === 0) throw new NotFound("No links for this job", { job_id: jobId });
  const rollups = await linkRollups(store, links);
  const applications = [...new Set(links.map((l) => l.applicationId).filter((a): a is string => a !== null))];
  const label = await labelsOf(store, applications);
  return {
    job_id: jobId,
    totals: summary(rollups),
    applications: applications.map((id) => ({ application_id: id, label: label(id)!, ...summary(rollups.filter((r) => r.application_id === id)) })),
    links: rollups,
    visits: await visitsOf(store, links),
    breakdowns: await humanPlaces(store, links),
  };
}

const DAY_MS = 86_400_000;

/** Where an application stands: not opened, opened, or came back (a human click over `returnDays` after the one before). */
export function statusOf(visits: Visit[], returnDays: number): "not_opened" | "opened" | "came_back" {
  if (visits.length === 0) return "not_opened";
  const clicks = visits.flatMap((v) => v.clicks.map((c) => Date.parse(c.clicked_at))).sort((a, b) => a - b);
  return clicks.some((t, i) => i > 0 && t - clicks[i - 1] > returnDays * DAY_MS) ? "came_back" : "opened";
}

/** Every application, each with its links' totals and where it stands: the dashboard's home page. */
export async function applicationsOverview(store: Store, returnDays: number) {
  const out = [];
  const [named, applications] = await Promise.all([store.applications.list(), store.links.applications()]);
  const names = new Map(named.map((a) => [a.applicationId, a]));
  const linksOf = await Promise.all(applications.map((a) => store.links.of({ applicationId: a.application_id })));
  // Every link's counts in one read, not one per application (the home page of 500 applications).
  const counts = await store.clicks.perLinkKindCounts(linksOf.flat().map((l) => l.trackingId));
  const countsOf = new Map<string, KindCount[]>();
  for (const c of counts) countsOf.set(c.trackingId, [...(countsOf.get(c.trackingId) ?? []), c]);
  for (const [i, a] of applications.entries()) {
    const links = linksOf[i];
    const [rollups, visits] = await Promise.all([
      linkRollups(store, links, links.flatMap((l) => countsOf.get(l.trackingId) ?? [])),
      visitsOf(store, links),
    ]);
    const totals = summary(rollups);
    out.push({
      application_id: a.application_id,
      ...nameOf(a.application_id, names.get(a.application_id)),
      job_id: a.job_id,
      first_link_at: a.first_link_at,
      ...totals,
      status: statusOf(visits, returnDays),
      last_human_click: visits.map((v) => v.ended_at).sort().at(-1) ?? null,
      visitors: new Set(visits.map((v, i) => v.session_id ?? `visit-${i}`)).size,
      visits: visits.length,
    });
  }
  return out;
}
