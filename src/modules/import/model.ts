/**
 * What every import source gives the import (run.ts): links and clicks as the source has
 * them, each with where it is in the source (a line, a row, a page) for the report.
 * Checked here by the same rules as links made through the API and clicks sent by a
 * redirect node, so an import can hold nothing the API would refuse.
 */
import type { Config } from "../../config";
import type { Application, Link, NewClick, VisitorKind, ClickOutcome } from "../../db/store";
import { nowIso } from "../../lib/time";
import { uuidFrom } from "../../lib/uuid";
import { ClickEvent } from "../ingest/model";
import { eventToClick } from "../clicks/service";
import { CreateLink } from "../links/model";
import { trackedUrl } from "../links/service";
import { isUsableSource } from "../redirect/model";

/** A link as a source has it: only `url` is needed. */
export type SourceLink = {
  /** The source's own id of the link (a short code, a row's digest): what a re-run recognises it by. */
  sourceId: string;
  url: string;
  trackingId?: string | null;
  linkFunction?: string | null;
  linkType?: string | null;
  jobId?: string | null;
  applicationId?: string | null;
  /** An application named by company and role (a CSV's columns): found or made. */
  company?: string | null;
  role?: string | null;
  description?: string | null;
  createdAt?: string | null;
  createdBy?: string | null;
  isActive?: boolean;
  expiresAt?: string | null;
  /** A short code the old URL used: answers GET /{code} (the link's tracking id). */
  shortCode?: string | null;
};

/** A click as a source has it, on the link the source calls `linkSourceId`. */
export type SourceClick = {
  sourceId: string;
  /** The tracking id the click was on in the source. */
  trackingId: string;
  clickedAt: string;
  ipAddress?: string | null;
  userAgent?: string | null;
  referrerUrl?: string | null;
  sessionId?: string | null;
  clickSource?: string | null;
  metadata?: Record<string, unknown> | null;
  /** Where from, when the source located it and gives no address (Shlink). */
  place?: { country: string | null; city: string | null };
  /** The source took it for a bot (Shlink's potentialBot): a bot, whatever the agent says. */
  botBySource?: string;
  /** Our own export's clicks keep what was decided when they were stored; any other source's are classified now. */
  kept?: {
    visitorKind: VisitorKind;
    visitorReason: string | null;
    outcome: ClickOutcome;
    country: string | null;
    city: string | null;
    asn: number | null;
    network: string | null;
    receivedAt: string;
  };
};

export type SourceRecord =
  | { kind: "link"; at: string; link: SourceLink }
  | { kind: "click"; at: string; click: SourceClick }
  /** An application's name and notes (our own export): given where the application has none yet. */
  | { kind: "application"; at: string; application: Pick<Application, "applicationId" | "company" | "role" | "jobId" | "sentAt" | "notes"> }
  /** Something the source holds that is not imported, said in the report (a visit total, a webhook's secret). */
  | { kind: "note"; at: string; message: string };

/** A source the import reads, as many times as it needs (a check, then the writes). */
export interface ImportSource {
  /** "csv", "seeds", "shlink", …: in created_by and the clicks' keys. */
  readonly name: string;
  records(): AsyncIterable<SourceRecord>;
  close?(): Promise<void>;
}

/** A row the import cannot take: the report's line. */
export class RowProblem extends Error {}

const first = (issues: { message: string }[]) => issues[0]?.message ?? "invalid";

/** A readable tracking id made from the source's id: the same on every run, so a re-run finds what it made. */
export function importedId(source: string, sourceId: string): string {
  const digest = new Bun.CryptoHasher("sha256").update(`${source}\u0000${sourceId}`).digest();
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let id = "";
  for (const byte of digest.subarray(0, 21)) id += alphabet[byte % 62];
  return `i${id}`;
}

/** A UUID from a key: the same each run (a click's id from its import key). */
export const uuidOf = uuidFrom;

/** What a link is for when the source does not say: its destination's name ("linkedin" for www.linkedin.com). */
export function functionOf(url: string): string {
  const host = new URL(url).hostname.replace(/^www\./, "");
  const name = host.split(".").filter((p) => p !== "")[0] ?? "link";
  return name.slice(0, 50) || "link";
}

const isoOf = (value: string | null | undefined, name: string): string | null => {
  if (value === null || value === undefined || value.trim() === "") return null;
  const text = value.trim();
  // A time without a zone (a PostgreSQL TIMESTAMP, a spreadsheet's) is taken as UTC.
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) || /^\d{4}-\d\d-\d\d$/.test(text) ? text : `${text.replace(" ", "T")}Z`);
  if (Number.isNaN(ms)) throw new RowProblem(`${name} "${text.slice(0, 40)}" is not a date and time`);
  return new Date(ms).toISOString();
};

/**
 * The link an imported row becomes, checked as the API checks a new one. Its tracking id
 * is the source's (seeds, our own export), its short code, or one made from its source id.
 */
export function linkOf(source: string, s: SourceLink, config: Pick<Config, "publicBaseUrl">, now = nowIso()): Link {
  if (s.shortCode !== null && s.shortCode !== undefined && !isUsableSource(s.shortCode.toLowerCase())) {
    throw new RowProblem(`short code "${s.shortCode}" is one of the server's own paths (/api, /track, /dashboard…): it cannot be a link`);
  }
  const url = s.url.trim();
  const parsed = CreateLink.safeParse({
    original_url: url,
    link_function: s.linkFunction?.trim() || (URL.canParse(url) ? functionOf(url) : "link"),
    link_type: s.linkType?.trim() || "link",
    job_id: s.jobId || undefined,
    application_id: s.applicationId || undefined,
    description: s.description?.trim() || undefined,
    tracking_id: s.trackingId?.trim() || s.shortCode?.trim() || importedId(source, s.sourceId),
    expires_at: s.expiresAt || undefined,
    created_by: s.createdBy?.trim() || `import:${source}`,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path[0] === "original_url" ? `url "${url.slice(0, 80)}": ` : issue?.path[0] === "tracking_id" ? `tracking_id "${(s.trackingId ?? s.shortCode ?? "").slice(0, 40)}": ` : "";
    throw new RowProblem(`${field}${first(parsed.error.issues)}`);
  }
  const v = parsed.data;
  const createdAt = isoOf(s.createdAt, "created_at") ?? now;
  return {
    trackingId: v.tracking_id!,
    jobId: v.job_id ?? null,
    applicationId: v.application_id ?? null,
    linkFunction: v.link_function,
    linkType: v.link_type,
    originalUrl: v.original_url,
    redirectUrl: trackedUrl(config.publicBaseUrl, v.link_function, v.tracking_id!),
    createdAt,
    updatedAt: createdAt,
    createdBy: v.created_by!,
    isActive: s.isActive ?? true,
    description: v.description ?? null,
    expiresAt: v.expires_at ?? null,
    shortCode: s.shortCode?.trim() || null,
  };
}

/**
 * The click an imported one becomes on link `trackingId`: checked as a redirect node's
 * event is, classified and located as ingested clicks are (origin `import`), or as it was
 * (our own export). Its id and key come from the source's id: a re-run stores it once.
 */
export function clickOf(source: string, s: SourceClick, trackingId: string, config: Pick<Config, "isOwnerIp" | "ipAnonymize" | "locator">): NewClick {
  const clickedAt = isoOf(s.clickedAt, "clicked_at");
  const parsed = ClickEvent.safeParse({
    tracking_id: trackingId,
    clicked_at: clickedAt ?? undefined,
    ip_address: s.ipAddress || undefined,
    user_agent: s.userAgent || undefined,
    referrer_url: s.referrerUrl || undefined,
    session_id: s.sessionId || undefined,
    click_source: s.clickSource || undefined,
    metadata: s.metadata ?? undefined,
  });
  if (!parsed.success) throw new RowProblem(first(parsed.error.issues));
  if (!clickedAt) throw new RowProblem("clicked_at is missing");
  const key = `import:${source}:${s.sourceId}`;
  const made = eventToClick(parsed.data, "import", s.kept?.receivedAt ?? nowIso(), config);
  if (s.place && made.country === null) Object.assign(made, { country: s.place.country, city: s.place.city });
  if (s.botBySource && (made.visitorKind === "human" || made.visitorKind === "owner")) Object.assign(made, { visitorKind: "bot", visitorReason: s.botBySource });
  return {
    ...made,
    ...(s.kept
      ? { visitorKind: s.kept.visitorKind, visitorReason: s.kept.visitorReason, outcome: s.kept.outcome, country: s.kept.country, city: s.kept.city, asn: s.kept.asn, network: s.kept.network }
      : {}),
    clickId: uuidOf(key),
    idempotencyKey: key,
  };
}
