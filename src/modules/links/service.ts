import type { Config } from "../../config";
import type { DestinationState, Link, LinkChanges, Store } from "../../db/store";
import { Conflict, NotFound, ValidationFailed } from "../../lib/errors";
import { checkEach, envelopeProblem } from "../../lib/schemas";
import { nowIso } from "../../lib/time";
import { isUsableSource, sourceSlug } from "../redirect/model";
import { isLiveLink } from "../redirect/service";
import type { ApplicationView } from "../applications/model";
import { getApplication, nameOf, putLabel } from "../applications/service";
import { checkLinkNow, destinationView } from "./checks";
import type { CheckOptions } from "./destination";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import { BulkApplication, BulkCreateLinks, CreateLink, type LinkView, type PatchLink } from "./model";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const ID_LENGTH = 22; // 22 × log2(62) ≈ 131 random bits

/**
 * A new tracking id: letters and digits only, so no PDF or mail client breaks the line at
 * a hyphen inside it. Rejection sampling keeps every character uniformly likely.
 */
export function generateTrackingId(): string {
  let id = "";
  while (id.length < ID_LENGTH) {
    for (const byte of crypto.getRandomValues(new Uint8Array(32))) {
      if (byte < 248 && id.length < ID_LENGTH) id += ALPHABET[byte % 62];
    }
  }
  return id;
}

/** The URL that goes in the résumé: `PUBLIC_BASE_URL/linkedin?uuid=ID`, or `/track/ID` when the function cannot be a path. */
export function trackedUrl(baseUrl: string, linkFunction: string, trackingId: string): string {
  const slug = sourceSlug(linkFunction);
  return isUsableSource(slug) ? `${baseUrl}/${slug}?uuid=${trackingId}` : `${baseUrl}/track/${trackingId}`;
}


/** A link as the API shows it; with `destination` (undefined: left out, as a redirect node's lookup has it; null: never checked). */
export function toView(link: Link, now = nowIso(), destination?: DestinationState | null): LinkView {
  return {
    tracking_id: link.trackingId,
    original_url: link.originalUrl,
    redirect_url: link.redirectUrl,
    link_function: link.linkFunction,
    link_type: link.linkType,
    job_id: link.jobId,
    application_id: link.applicationId,
    // An expired link is as good as inactive to a redirect node.
    is_active: isLiveLink(link, now),
    created_at: link.createdAt,
    updated_at: link.updatedAt,
    created_by: link.createdBy,
    description: link.description,
    expires_at: link.expiresAt,
    ...(link.shortCode ? { short_code: link.shortCode } : {}),
    ...(destination === undefined ? {} : { destination: destination && destinationView(destination) }),
  };
}

/** Some fields of a link's view (toView), in the order given: the one way any answer shows a link. */
export function viewOf<K extends keyof LinkView>(link: Link, keys: readonly K[], now = nowIso()): Pick<LinkView, K> {
  const view = toView(link, now);
  return Object.fromEntries(keys.map((key) => [key, view[key]])) as Pick<LinkView, K>;
}

export const linkNotFound = (trackingId: string) => new NotFound("Link not found or expired", { tracking_id: trackingId });

function newLink(input: CreateLink, config: Config, now: string): Link {
  const trackingId = input.tracking_id ?? generateTrackingId();
  return {
    trackingId,
    jobId: input.job_id ?? null,
    applicationId: input.application_id ?? null,
    linkFunction: input.link_function,
    linkType: input.link_type,
    originalUrl: input.original_url,
    redirectUrl: trackedUrl(config.publicBaseUrl, input.link_function, trackingId),
    createdAt: now,
    updatedAt: now,
    createdBy: input.created_by ?? "system",
    isActive: true,
    description: input.description ?? null,
    expiresAt: input.expires_at ?? null,
    shortCode: null,
  };
}

/** All or none; a taken id is a Conflict (the store's insert names it). */
function insertOrConflict(store: Store, rows: Link[]): Promise<Link[]> {
  const ids = rows.map((r) => r.trackingId);
  const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
  if (repeated) throw new Conflict(`tracking_id ${repeated} appears twice in the request`, { tracking_id: repeated });
  return store.links.insert(rows);
}

export async function createLink(store: Store, config: Config, input: CreateLink): Promise<LinkView> {
  const now = nowIso();
  const [row] = await insertOrConflict(store, [newLink(input, config, now)]);
  return toView(row, now, null);
}

/**
 * All the links of one résumé, or none: any invalid link or taken id fails the whole
 * request. With `application`, the application is named in the same transaction, and
 * links that give no application_id get its id.
 */
export async function createLinks(store: Store, config: Config, body: unknown): Promise<{ links: LinkView[]; application?: ApplicationView }> {
  const problem = envelopeProblem(BulkCreateLinks, body);
  if (problem) throw new ValidationFailed(problem, { validation_errors: [problem] });
  const envelope = body as { links: unknown[]; application?: unknown };
  const named = envelope.application === undefined ? null : BulkApplication.safeParse(envelope.application);
  if (named && !named.success) {
    const message = `application: ${named.error.issues[0]?.message ?? "invalid"}`;
    throw new ValidationFailed(message, { validation_errors: [message] });
  }
  const { valid, errors } = await checkEach(envelope.links, (item) => CreateLink.safeParse(item), "Link");
  if (errors.length > 0) throw new ValidationFailed("One or more links failed validation; none was created", { validation_errors: errors });
  const now = nowIso();
  if (!named) return { links: (await insertOrConflict(store, valid.map(({ value }) => newLink(value, config, now)))).map((row) => toView(row, now, null)) };

  const { application_id, ...label } = named.data;
  const given = [...new Set(valid.map(({ value }) => value.application_id).filter((id): id is string => !!id))];
  const applicationId = application_id ?? given[0] ?? crypto.randomUUID();
  const other = valid.find(({ value }) => value.application_id && value.application_id !== applicationId);
  if (other) {
    const message = `Link ${other.position}: application_id ${other.value.application_id} is not the application's (${applicationId})`;
    throw new ValidationFailed(message, { validation_errors: [message] });
  }
  const rows = valid.map(({ value }) => newLink({ ...value, application_id: applicationId }, config, now));
  const links = await store.tx(async (tx) => {
    await putLabel(tx, applicationId, label);
    return insertOrConflict(tx, rows);
  });
  return { links: links.map((row) => toView(row, now, null)), application: await getApplication(store, applicationId) };
}

/** What a redirect node's lookup answers: inactive and expired links too, with is_active false. */
export async function lookupLink(store: Store, trackingId: string): Promise<LinkView> {
  const link = await store.links.find(trackingId);
  if (!link) throw linkNotFound(trackingId);
  return toView(link);
}

export async function getLink(store: Store, trackingId: string): Promise<LinkView> {
  const link = await store.links.find(trackingId);
  if (!link) throw linkNotFound(trackingId);
  return toView(link, nowIso(), (await store.destinations.of([trackingId])).get(trackingId) ?? null);
}

/** Checks where a link leads now and answers the link with the check (inactive links too: before reactivating one). */
export async function checkLink(store: Store, trackingId: string, options: CheckOptions): Promise<LinkView> {
  const link = await store.links.find(trackingId);
  if (!link) throw linkNotFound(trackingId);
  const state = await checkLinkNow(store, link, options);
  return toView((await store.links.find(trackingId)) ?? link, nowIso(), state ?? null);
}

/** The links a recruiter would find an error page behind (active ones), longest down first, with their applications' names. */
export async function downLinks(store: Store, limit = 200) {
  const now = nowIso();
  const rows = await store.destinations.down(now, limit);
  const ids = [...new Set(rows.flatMap((r) => (r.link.applicationId ? [r.link.applicationId] : [])))];
  const named = new Map((ids.length ? await store.applications.list(ids) : []).map((a) => [a.applicationId, a]));
  return {
    links: rows.map(({ link, state }) => ({
      ...toView(link, now, state),
      destination: destinationView(state),
      application_label: link.applicationId ? nameOf(link.applicationId, named.get(link.applicationId)).label : null,
    })),
  };
}

export async function patchLink(store: Store, trackingId: string, patch: PatchLink): Promise<LinkView> {
  const now = nowIso();
  const changes: LinkChanges = { updatedAt: now };
  if (patch.is_active !== undefined) changes.isActive = patch.is_active;
  if (patch.original_url !== undefined) changes.originalUrl = patch.original_url;
  if (patch.expires_at !== undefined) changes.expiresAt = patch.expires_at;
  if (patch.description !== undefined) changes.description = patch.description;
  if (patch.link_type !== undefined) changes.linkType = patch.link_type;
  if (patch.job_id !== undefined) changes.jobId = patch.job_id;
  if (patch.application_id !== undefined) changes.applicationId = patch.application_id;
  const before = patch.original_url !== undefined ? await store.links.find(trackingId) : undefined;
  const updated = await store.links.update(trackingId, changes);
  if (!updated) throw linkNotFound(trackingId);
  // A new destination: the checks of the old one say nothing of it.
  if (before && before.originalUrl !== updated.originalUrl) await store.destinations.forget(trackingId);
  return toView(updated, now, (await store.destinations.of([trackingId])).get(trackingId) ?? null);
}

export async function deleteLink(store: Store, trackingId: string): Promise<{ tracking_id: string; deleted: true; clicks_deleted: number }> {
  const clicks = await store.links.deleteWithClicks(trackingId);
  if (clicks === null) throw linkNotFound(trackingId);
  return { tracking_id: trackingId, deleted: true, clicks_deleted: clicks };
}

const afterLink = (cursor: string) => {
  const [createdAt, trackingId] = decodeCursor(cursor);
  return { createdAt, trackingId };
};

export type ListOptions = {
  job_id?: string;
  application_id?: string;
  link_function?: string;
  active?: "true" | "false";
  limit?: number;
  cursor?: string;
};

export async function listLinkViews(store: Store, options: ListOptions) {
  const limit = options.limit ?? 50;
  const now = nowIso();
  const rows = await store.links.list({
    jobId: options.job_id,
    applicationId: options.application_id,
    linkFunction: options.link_function,
    active: options.active === undefined ? undefined : options.active === "true",
    after: options.cursor ? afterLink(options.cursor) : undefined,
    limit: limit + 1,
    now,
  });
  const page = rows.slice(0, limit);
  const human = new Map(
    (await store.clicks.perLinkKindCounts(page.map((r) => r.trackingId)))
      .filter((c) => c.kind === "human")
      .map((c) => [c.trackingId, c.clicks]),
  );
  const destinations = await store.destinations.of(page.map((r) => r.trackingId));
  return {
    links: page.map((row) => ({ ...toView(row, now, destinations.get(row.trackingId) ?? null), clicks: human.get(row.trackingId) ?? 0 })),
    next_cursor: rows.length > limit ? encodeCursor(page[page.length - 1]!.createdAt, page[page.length - 1]!.trackingId) : null,
  };
}
