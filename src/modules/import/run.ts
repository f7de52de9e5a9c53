/**
 * `link-tracker import SOURCE`: links (and clicks, with --with-clicks) from another
 * tracker or from a file, into this store. Two passes over the source, neither holding
 * more than a batch and the ids of the links in memory:
 *
 *   1. The check: every row made into a link or click by the API's own rules (model.ts),
 *      each tracking id looked up. A row that cannot be imported fails the whole run
 *      before anything is written, unless --continue-on-error; --dry-run stops here.
 *   2. The writes, in batches: links (100 at a time, all or none per batch), then their
 *      clicks (1,000 at a time, each stored once by its key).
 *
 * A re-run imports only what is new: a link whose tracking id is there with the same
 * destination is "already imported", a click's key (source and the source's id) is
 * stored once. A tracking id another link holds is reported and skipped, never
 * overwritten.
 */
import type { Config } from "../../config";
import type { Link, NewClick, Store } from "../../db/store";
import { Conflict } from "../../lib/errors";
import { nowIso } from "../../lib/time";
import { putLabel } from "../applications/service";
import { IdTable } from "./ids";
import { clickOf, linkOf, RowProblem, uuidOf, type ImportSource, type SourceLink } from "./model";

export type ImportOptions = {
  dryRun?: boolean;
  withClicks?: boolean;
  /** Every imported link in this application. */
  applicationId?: string;
  continueOnError?: boolean;
  /** Told how far the import is, every few seconds. */
  progress?: (line: string) => void;
};

type Tally = { imported: number; already: number; skipped: number; failed: number };
export type ImportReport = {
  source: string;
  dryRun: boolean;
  links: Tally;
  clicks: Tally;
  applications: number;
  /** Rows not imported and why (the first 100 of each). */
  skipped: { at: string; reason: string }[];
  failed: { at: string; reason: string }[];
  notes: string[];
  /** Nothing was written: rows failed (see failed) and --continue-on-error was not given. */
  refused: boolean;
};

const LINK_BATCH = 100;
const CLICK_BATCH = 1000;
const LISTED = 100;
const PROGRESS_MS = 2000;

type Config_ = Pick<Config, "publicBaseUrl" | "isOwnerIp" | "ipAnonymize" | "locator">;


export async function runImport(store: Store, config: Config_, source: ImportSource, options: ImportOptions = {}): Promise<ImportReport> {
  const report: ImportReport = {
    source: source.name,
    dryRun: !!options.dryRun,
    links: { imported: 0, already: 0, skipped: 0, failed: 0 },
    clicks: { imported: 0, already: 0, skipped: 0, failed: 0 },
    applications: 0,
    skipped: [],
    failed: [],
    notes: [],
    refused: false,
  };
  const skip = (at: string, reason: string, tally: Tally) => {
    tally.skipped++;
    if (report.skipped.length < LISTED) report.skipped.push({ at, reason });
  };
  const fail = (at: string, reason: string, tally: Tally) => {
    tally.failed++;
    if (report.failed.length < LISTED) report.failed.push({ at, reason });
  };
  let told = performance.now();
  const tell = (line: () => string) => {
    if (!options.progress || performance.now() - told < PROGRESS_MS) return;
    told = performance.now();
    options.progress(line());
  };

  // An application named by company and role: the one of that name, or one made (the same id each run).
  const applications = new Map<string, { id: string; company: string | null; role: string | null; isNew: boolean }>();
  const applicationOf = async (s: SourceLink): Promise<string | null> => {
    if (options.applicationId) return options.applicationId;
    if (s.applicationId) return s.applicationId;
    const company = s.company?.trim() || null;
    const role = s.role?.trim() || null;
    if (!company && !role) return null;
    const key = `${company?.toLowerCase() ?? ""}\u0000${role?.toLowerCase() ?? ""}`;
    let known = applications.get(key);
    if (!known) {
      const named = (await store.applications.named(company, role))[0];
      known = { id: named?.applicationId ?? uuidOf(`application:${source.name}:${key}`), company, role, isNew: !named };
      applications.set(key, known);
    }
    return known.id;
  };
  const made = async (s: SourceLink): Promise<Link> => {
    const link = linkOf(source.name, s, config);
    link.applicationId = await applicationOf(s);
    return link;
  };

  // Pass 1: the check.
  // What pass 1 decided for each tracking id, and the row (its position in the source) that decided it.
  const links = new IdTable();
  const state = (id: string) => links.get(id)?.state;
  let rows = 0;
  let labels = 0;
  for await (const record of source.records()) {
    rows++;
    tell(() => `checked ${rows.toLocaleString("en")} rows`);
    if (record.kind === "note") {
      report.notes.push(`${record.at}: ${record.message}`);
      continue;
    }
    if (record.kind === "application") {
      if (!(await store.applications.find(record.application.applicationId))) labels++;
      continue;
    }
    if (record.kind === "link") {
      let link: Link;
      try {
        link = await made(record.link);
      } catch (error) {
        if (!(error instanceof RowProblem)) throw error;
        fail(record.at, error.message, report.links);
        continue;
      }
      if (links.get(link.trackingId) !== undefined) {
        skip(record.at, `tracking_id ${link.trackingId} appears again`, report.links);
        continue;
      }
      const there = await store.links.find(link.trackingId);
      if (!there) {
        links.set(link.trackingId, "new", rows);
      } else if (there.originalUrl === link.originalUrl) {
        links.set(link.trackingId, "already", rows);
        report.links.already++;
      } else {
        links.set(link.trackingId, "skipped", rows);
        skip(record.at, `tracking_id ${link.trackingId} is taken by another link (to ${there.originalUrl}): not overwritten`, report.links);
      }
      continue;
    }
    if (!options.withClicks) continue;
    if (state(record.click.trackingId) === "skipped") {
      skip(record.at, `its link ${record.click.trackingId} is not imported`, report.clicks);
      continue;
    }
    let click: NewClick;
    try {
      click = clickOf(source.name, record.click, record.click.trackingId, config);
    } catch (error) {
      if (!(error instanceof RowProblem)) throw error;
      fail(record.at, error.message, report.clicks);
      continue;
    }
    if (!options.dryRun) continue;
    if (await store.clicks.findByKey(click.idempotencyKey!)) report.clicks.already++;
    else report.clicks.imported++;
  }
  const failures = report.links.failed + report.clicks.failed;
  if (failures > 0 && !options.continueOnError) {
    report.refused = true;
    return report;
  }
  const fresh = links.count("new");
  if (options.dryRun) {
    report.links.imported = fresh;
    report.applications = [...applications.values()].filter((a) => a.isNew).length + labels;
    return report;
  }

  // Pass 2: the writes. The new applications' names first, then links, then clicks.
  for (const a of applications.values()) {
    if (!a.isNew) continue;
    await putLabel(store, a.id, { company: a.company ?? undefined, role: a.role ?? undefined });
    report.applications++;
  }
  let batch: Link[] = [];
  const writeLinks = async () => {
    if (batch.length === 0) return;
    try {
      await store.links.insert(batch);
      report.links.imported += batch.length;
    } catch (error) {
      if (!(error instanceof Conflict)) throw error;
      // Taken meanwhile (a link made while the import ran): one at a time, the taken ones skipped.
      for (const link of batch) {
        try {
          await store.links.insert([link]);
          report.links.imported++;
        } catch (e) {
          if (!(e instanceof Conflict)) throw e;
          links.set(link.trackingId, "skipped", 0);
          skip(link.trackingId, `tracking_id ${link.trackingId} was taken while the import ran`, report.links);
        }
      }
    }
    batch = [];
  };
  let clicks: NewClick[] = [];
  const writeClicks = async () => {
    if (clicks.length === 0) return;
    const stored = await store.clicks.insert(clicks);
    for (const isNew of stored) isNew ? report.clicks.imported++ : report.clicks.already++;
    clicks = [];
  };
  const known = new Map<string, boolean>();
  const linkExists = async (trackingId: string) => {
    const decided = state(trackingId);
    if (decided !== undefined) return decided !== "skipped";
    let there = known.get(trackingId);
    if (there === undefined) {
      there = (await store.links.find(trackingId)) !== undefined;
      if (known.size < 100_000) known.set(trackingId, there);
    }
    return there;
  };
  let row = 0;
  for await (const record of source.records()) {
    row++;
    tell(() => `wrote ${report.links.imported.toLocaleString("en")} links and ${report.clicks.imported.toLocaleString("en")} clicks`);
    if (record.kind === "application") {
      // A name the application has here already is kept.
      const a = record.application;
      if (await store.applications.find(a.applicationId)) continue;
      await store.applications.put(a.applicationId, { company: a.company, role: a.role, jobId: a.jobId, sentAt: a.sentAt, notes: a.notes }, nowIso());
      report.applications++;
    } else if (record.kind === "link") {
      let link: Link;
      try {
        link = await made(record.link);
      } catch (error) {
        if (error instanceof RowProblem) continue; // reported in pass 1
        throw error;
      }
      const decided = links.get(link.trackingId);
      if (decided?.state !== "new" || decided.row !== row) continue;
      batch.push(link);
      if (batch.length >= LINK_BATCH) await writeLinks();
    } else if (record.kind === "click" && options.withClicks) {
      await writeLinks();
      if (state(record.click.trackingId) === "skipped") continue;
      let click: NewClick;
      try {
        click = clickOf(source.name, record.click, record.click.trackingId, config);
      } catch (error) {
        if (error instanceof RowProblem) continue;
        throw error;
      }
      // A click on an id no link has: an orphan hit, as the redirect would have stored it.
      if (!record.click.kept && !(await linkExists(click.trackingId))) click.outcome = "not_found";
      clicks.push(click);
      if (clicks.length >= CLICK_BATCH) await writeClicks();
    }
  }
  await writeLinks();
  await writeClicks();
  return report;
}

/** The report as the command line prints it. */
export function reportLines(r: ImportReport): string[] {
  const would = r.dryRun ? "would import" : "imported";
  const lines = [
    `${r.source}: ${r.refused ? "nothing imported" : r.dryRun ? "dry run, nothing written" : "done"}`,
    `links: ${r.links.imported} ${would}, ${r.links.already} already imported, ${r.links.skipped} skipped, ${r.links.failed} failed`,
    `clicks: ${r.clicks.imported} ${would}, ${r.clicks.already} already imported, ${r.clicks.skipped} skipped, ${r.clicks.failed} failed`,
  ];
  if (r.applications > 0) lines.push(`applications named: ${r.applications}`);
  for (const s of r.skipped) lines.push(`skipped ${s.at}: ${s.reason}`);
  for (const f of r.failed) lines.push(`failed ${f.at}: ${f.reason}`);
  for (const n of r.notes) lines.push(`note ${n}`);
  if (r.refused) lines.push(`${r.links.failed + r.clicks.failed} rows cannot be imported: nothing was written. Fix them, or give --continue-on-error to import the rest.`);
  return lines;
}
