/**
 * What the job seeker asks: which applications got a recruiter to click, when, and on
 * what. Roll-ups by job and by application, and one timeline per application with the
 * clicks grouped into visits.
 */
import type { ClickPlace, DestinationState, KindCount, Link, Store } from "../../db/store";
import { NotFound } from "../../lib/errors";
import { countsByKind } from "../clicks/visitor";
import { viewOf } from "../links/service";
import { destinationView } from "../links/checks";

const destinationOf = (destinations: Map<string, DestinationState>, trackingId: string) => {
  const state = destinations.get(trackingId);
  return state ? destinationView(state) : null;
};
import { afterApplication, applicationLabel, cursorAfter, nameOf } from "../applications/service";
import { fromCompanyNetwork } from "../clicks/company";
import { agentText, placeBreakdowns } from "./service";

/** Clicks of one session more than this apart are two visits. */
const VISIT_GAP_MS = 30 * 60_000;
/** A timeline shows the latest clicks; a résumé link with thousands is not a timeline any more. */
const TIMELINE_CLICKS = 1000;

const ROLLUP_FIELDS = ["tracking_id", "link_function", "link_type", "original_url", "redirect_url", "job_id", "application_id", "is_active", "created_at"] as const;

/** Each link's counts; with `destinations` (an application's or a job's page), where each leads too. */
async function linkRollups(store: Store, links: Link[], known?: KindCount[], destinations?: Map<string, DestinationState>) {
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
      ...(destinations ? { destination: destinationOf(destinations, link.trackingId) } : {}),
    };
  });
}

export type Visit = ClickPlace & {
  session_id: string | null;
  /** From the network of the application's company ("from Acme's own network"). */
  company_network: boolean;
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
export async function visitsOf(store: Store, links: Link[], companies: Map<string, string | null> = new Map()): Promise<Visit[]> {
  const functionOf = new Map(links.map((l) => [l.trackingId, l.linkFunction]));
  const companyOf = new Map(links.map((l) => [l.trackingId, l.applicationId ? (companies.get(l.applicationId) ?? null) : null]));
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
      company_network: fromCompanyNetwork(companyOf.get(click.trackingId), click),
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
  const rollups = await linkRollups(store, links, undefined, await store.destinations.of(links.map((l) => l.trackingId)));
  const named = await store.applications.find(applicationId);
  const [visits, breakdowns, others] = await Promise.all([
    visitsOf(store, links, new Map([[applicationId, named?.company ?? null]])),
    humanPlaces(store, links),
    otherClicks(store, links),
  ]);
  return { application_id: applicationId, ...nameOf(applicationId, named), totals: summary(rollups), links: rollups, visits, other_clicks: others, breakdowns };
}

export async function jobRollup(store: Store, jobId: string) {
  const links = await store.links.of({ jobId });
  if (links.length === 0) throw new NotFound("No links for this job", { job_id: jobId });
  const rollups = await linkRollups(store, links, undefined, await store.destinations.of(links.map((l) => l.trackingId)));
  const applications = [...new Set(links.map((l) => l.applicationId).filter((a): a is string => a !== null))];
  const named = applications.length > 0 ? await store.applications.list(applications) : [];
  const label = (id: string) => applicationLabel(id, named.find((a) => a.applicationId === id));
  return {
    job_id: jobId,
    totals: summary(rollups),
    applications: applications.map((id) => ({ application_id: id, label: label(id), ...summary(rollups.filter((r) => r.application_id === id)) })),
    links: rollups,
    visits: await visitsOf(store, links, new Map(named.map((a) => [a.applicationId, a.company]))),
    breakdowns: await humanPlaces(store, links),
  };
}

/**
 * Every application, each with its links' totals and where it stands, a page at a time
 * (most recent first, as GET /applications), with the counts of all pages together: the
 * dashboard's home page. A fixed number of reads of the roll-ups for a page, whatever the
 * number of applications, links or clicks.
 */
export async function applicationsOverview(store: Store, returnDays: number, options: { limit?: number; cursor?: string } = {}) {
  const limit = options.limit ?? 50;
  const [rows, total, standings] = await Promise.all([
    store.applications.page(limit + 1, options.cursor ? afterApplication(options.cursor) : undefined),
    store.applications.count(),
    store.clicks.applicationStandings(returnDays),
  ]);
  const page = rows.slice(0, limit);
  const ids = page.map((r) => r.applicationId);
  const [named, links, activity] = await Promise.all([store.applications.list(ids), store.links.ofApplications(ids), store.clicks.applicationActivity(returnDays, ids)]);
  const counts = await store.clicks.perLinkKindCounts(links.map((l) => l.trackingId));
  const names = new Map(named.map((a) => [a.applicationId, a]));
  const activityOf = new Map(activity.map((a) => [a.applicationId, a]));
  const countsOf = new Map<string, KindCount[]>();
  for (const c of counts) countsOf.set(c.trackingId, [...(countsOf.get(c.trackingId) ?? []), c]);
  const linksOf = new Map<string, Link[]>();
  for (const l of links) linksOf.set(l.applicationId!, [...(linksOf.get(l.applicationId!) ?? []), l]);
  const applications = await Promise.all(
    page.map(async (a) => {
      const own = linksOf.get(a.applicationId) ?? [];
      const rollups = await linkRollups(store, own, own.flatMap((l) => countsOf.get(l.trackingId) ?? []));
      const totals = summary(rollups);
      const act = activityOf.get(a.applicationId);
      const last = rollups.map((r) => r.last_human_click).filter((v): v is string => v !== null).sort().at(-1) ?? null;
      return {
        application_id: a.applicationId,
        ...nameOf(a.applicationId, names.get(a.applicationId)),
        job_id: a.jobId,
        first_link_at: a.firstLinkAt,
        ...totals,
        status: totals.human_clicks === 0 ? ("not_opened" as const) : act?.cameBack ? ("came_back" as const) : ("opened" as const),
        last_human_click: last,
        visitors: act?.visitors ?? 0,
        visits: act?.visits ?? 0,
      };
    }),
  );
  return {
    counts: { applications: total, not_opened: total - standings.opened, opened: standings.opened - standings.cameBack, came_back: standings.cameBack },
    applications,
    next_cursor: rows.length > limit ? cursorAfter(page[page.length - 1]!) : null,
  };
}
