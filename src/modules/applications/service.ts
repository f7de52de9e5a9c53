/**
 * Applications by name. Links carry an application_id (a UUID from the job-application
 * system); the job seeker knows it as "Acme, Senior Engineer". Everything that shows an
 * application shows its label: the name when it has one, its short id when not.
 */
import type { Application, ApplicationCursor, Store } from "../../db/store";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import { NotFound } from "../../lib/errors";
import { nowIso } from "../../lib/time";
import { ApplicationIdParam, type ApplicationLabel, type ApplicationView } from "./model";

/** "Acme — Senior Engineer", "Acme", "Senior Engineer", or the id's first 8 characters. */
export function applicationLabel(applicationId: string, app: { company?: string | null; role?: string | null } | undefined | null): string {
  const parts = [app?.company, app?.role].filter((p): p is string => !!p);
  return parts.length > 0 ? parts.join(" — ") : applicationId.slice(0, 8);
}

/** The labels of some applications (all named ones when `ids` is absent), for a page that shows several. */
export async function labelsOf(store: Store, ids?: string[]): Promise<(id: string | null) => string | null> {
  const named = new Map((await store.applications.list(ids)).map((a) => [a.applicationId, a]));
  return (id) => (id ? applicationLabel(id, named.get(id)) : null);
}

/** The name fields of an application, for answers that show one (roll-ups, signals). */
export const nameOf = (applicationId: string, app: Application | undefined) => ({
  label: applicationLabel(applicationId, app),
  company: app?.company ?? null,
  role: app?.role ?? null,
  sent_at: app?.sentAt ?? null,
});

const changesOf = (label: ApplicationLabel) => ({ company: label.company, role: label.role, jobId: label.job_id, sentAt: label.sent_at, notes: label.notes });

function view(applicationId: string, app: Application | undefined, links: { links: number; first_link_at: string } | undefined): ApplicationView {
  return {
    application_id: applicationId,
    label: applicationLabel(applicationId, app),
    company: app?.company ?? null,
    role: app?.role ?? null,
    job_id: app?.jobId ?? null,
    sent_at: app?.sentAt ?? null,
    notes: app?.notes ?? null,
    links: links?.links ?? 0,
    first_link_at: links?.first_link_at ?? null,
    created_at: app?.createdAt ?? null,
    updated_at: app?.updatedAt ?? null,
  };
}

export async function labelApplication(store: Store, applicationId: string, label: ApplicationLabel): Promise<ApplicationView> {
  const app = await store.applications.put(applicationId, changesOf(label), nowIso());
  return getApplication(store, app.applicationId);
}

/** Labels the application inside `tx` (bulk link creation: the name and the links, or neither). */
export function putLabel(tx: Store, applicationId: string, label: ApplicationLabel): Promise<Application> {
  return tx.applications.put(applicationId, changesOf(label), nowIso());
}

export async function getApplication(store: Store, applicationId: string): Promise<ApplicationView> {
  const [app, links] = await Promise.all([store.applications.find(applicationId), store.links.of({ applicationId })]);
  const first = links.map((l) => l.createdAt).sort()[0];
  const own = first === undefined ? undefined : { links: links.length, first_link_at: first };
  if (!app && !own) throw new NotFound("No such application: it has no name and no link", { application_id: applicationId });
  return view(applicationId, app, own);
}

/** Where a page of applications starts (GET /applications, the analytics overview of applications), from its cursor. */
export function afterApplication(cursor: string): ApplicationCursor {
  const [since, applicationId] = decodeCursor(cursor);
  return { since, applicationId };
}

/** The cursor of the page after the one that ends with `last`. */
export const cursorAfter = (last: ApplicationCursor) => encodeCursor(last.since, last.applicationId);

/**
 * A page of every application, the named ones and the ones only links know, most recent
 * first (sent, else first linked, else named): `limit` of them (50 when absent) after `cursor`.
 */
export async function listApplications(store: Store, options: { limit?: number; cursor?: string; company?: string; role?: string } = {}) {
  if (options.company !== undefined || options.role !== undefined) return namedApplications(store, options.company ?? null, options.role ?? null);
  const limit = options.limit ?? 50;
  const rows = await store.applications.page(limit + 1, options.cursor ? afterApplication(options.cursor) : undefined);
  const page = rows.slice(0, limit);
  const named = new Map((page.length > 0 ? await store.applications.list(page.map((r) => r.applicationId)) : []).map((a) => [a.applicationId, a]));
  return {
    applications: page.map((r) =>
      view(r.applicationId, named.get(r.applicationId), r.firstLinkAt === null ? undefined : { links: r.links, first_link_at: r.firstLinkAt }),
    ),
    next_cursor: rows.length > limit ? cursorAfter(page[page.length - 1]!) : null,
  };
}

/** The applications of a company and role (one page: a job seeker applies for a role at a company a few times at most). */
async function namedApplications(store: Store, company: string | null, role: string | null) {
  return { applications: await viewsOf(store, await store.applications.named(company, role)), next_cursor: null };
}

/** Named applications whose company or role holds `text`, most recent first, at most `limit` (the assistant's find_applications). */
export async function searchApplications(store: Store, text: string, limit = 20): Promise<ApplicationView[]> {
  return viewsOf(store, await store.applications.search(text, limit));
}

/** Views of some named applications, their links counted in one read. */
async function viewsOf(store: Store, found: Application[]): Promise<ApplicationView[]> {
  const links = found.length > 0 ? await store.links.ofApplications(found.map((a) => a.applicationId)) : [];
  return found.map((a) => {
    const own = links.filter((l) => l.applicationId === a.applicationId).map((l) => l.createdAt).sort();
    return view(a.applicationId, a, own.length > 0 ? { links: own.length, first_link_at: own[0] } : undefined);
  });
}

/**
 * An application as a person (or an assistant) names it: its whole id, or the start of it
 * (4 characters or more, as labels show the first 8) when only one id starts so; otherwise
 * why not: no id at all, no id starting so, or several.
 */
export async function applicationIdFromStart(
  store: Store,
  given: string,
): Promise<{ id: string } | { problem: "not-an-id" | "none" | "many"; error: string }> {
  if (ApplicationIdParam.safeParse({ application_id: given }).success) return { id: given };
  if (!/^[0-9a-f-]{4,35}$/i.test(given)) return { problem: "not-an-id", error: `"${given}" is neither an application id nor the start of one (4 characters or more of it)` };
  const found = await store.applications.withIdPrefix(given, 3);
  if (found.length === 1) return { id: found[0]! };
  if (found.length === 0) return { problem: "none", error: `no application id starts with ${given}` };
  return { problem: "many", error: `${given} is the start of more than one application (${found.slice(0, 2).join(", ")}${found.length > 2 ? ", …" : ""}): give more of it` };
}

/** Every application, page after page (the command line's list). */
export async function* allApplications(store: Store) {
  for (let cursor: string | undefined; ; ) {
    const page = await listApplications(store, { limit: 500, cursor });
    yield* page.applications;
    if (!page.next_cursor) return;
    cursor = page.next_cursor;
  }
}
