/**
 * `link-tracker export FILE` and `GET /api/link-tracking/export`: everything an instance
 * holds but its secrets, as one JSON document, and `import link-tracker FILE` reading it
 * back. The document is written a record per line, clicks last:
 *
 *   {"format":"link-tracker-export","version":1,"exported_at":"…","server_version":"…",
 *   "links":[
 *   {…},
 *   …],
 *   "applications":[…], "webhooks":[…], "keys":[…], "settings":{…},
 *   "clicks":[
 *   {…},
 *   …]}
 *
 * so that it is written a page at a time and read back a line at a time, whatever its
 * size. Left out: webhook secrets and tokens, key hashes, the dashboard's sessions and
 * signing key, the outbox. Webhooks and key names are there to read, not imported (a
 * webhook without its secret would sign with another; a key cannot move without its
 * secret): the import says so.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { FULL_EXPORT_COLUMNS, type ClickOutcome, type Store, type VisitorKind } from "../../db/store";
import { nowIso } from "../../lib/time";
import { nextTurn } from "../../lib/turns";
import { VERSION } from "../../version";
import type { ImportSource, SourceRecord } from "./model";

export const EXPORT_FORMAT = "link-tracker-export";
export const EXPORT_VERSION = 1;
const LINK_PAGE = 500;

export class ArchiveError extends Error {}

const line = (value: unknown) => JSON.stringify(value);

/** The export as text chunks, a page of rows each (the reads give the event loop back between pages). */
export async function* exportChunks(store: Store): AsyncIterable<string> {
  yield `{"format":${line(EXPORT_FORMAT)},"version":${EXPORT_VERSION},"exported_at":${line(nowIso())},"server_version":${line(VERSION)},\n"links":[`;
  let after: { createdAt: string; trackingId: string } | undefined;
  let first = true;
  for (;;) {
    const page = await store.links.list({ after, limit: LINK_PAGE, now: nowIso() });
    if (page.length === 0) break;
    yield page
      .map((l) => {
        const text = `${first ? "\n" : ",\n"}${line({
          tracking_id: l.trackingId,
          original_url: l.originalUrl,
          redirect_url: l.redirectUrl,
          link_function: l.linkFunction,
          link_type: l.linkType,
          job_id: l.jobId,
          application_id: l.applicationId,
          is_active: l.isActive,
          created_at: l.createdAt,
          updated_at: l.updatedAt,
          created_by: l.createdBy,
          description: l.description,
          expires_at: l.expiresAt,
          short_code: l.shortCode,
        })}`;
        first = false;
        return text;
      })
      .join("");
    if (page.length < LINK_PAGE) break;
    const last = page.at(-1)!;
    after = { createdAt: last.createdAt, trackingId: last.trackingId };
  }
  const applications = await store.applications.list();
  yield `],\n"applications":[${applications
    .map((a) => `\n${line({ application_id: a.applicationId, company: a.company, role: a.role, job_id: a.jobId, sent_at: a.sentAt, notes: a.notes, created_at: a.createdAt, updated_at: a.updatedAt })}`)
    .join(",")}],\n`;
  const webhooks = await store.webhooks.list();
  yield `"webhooks":[${webhooks
    .map((w) => `\n${line({ id: w.id, url: w.url, format: w.format, event_types: w.eventTypes, description: w.description, active: w.active, created_at: w.createdAt })}`)
    .join(",")}],\n`;
  const keys = await store.keys.list();
  yield `"keys":[${keys.map((k) => `\n${line({ name: k.name, scope: k.scope, created_at: k.createdAt, revoked_at: k.revokedAt })}`).join(",")}],\n`;
  yield `"settings":${line({ public_base_url: (await store.settings.get("server_origin")) ?? null })},\n"clicks":[`;
  first = true;
  for await (const page of store.clicks.exportPages({ everything: true })) {
    yield page
      .map((row) => {
        const c = Object.fromEntries(FULL_EXPORT_COLUMNS.map((name, i) => [name, row[i] ?? null])) as Record<string, unknown>;
        if (typeof c.metadata === "string") c.metadata = JSON.parse(c.metadata);
        delete c.job_id;
        delete c.application_id;
        delete c.link_function;
        const text = `${first ? "\n" : ",\n"}${line(c)}`;
        first = false;
        return text;
      })
      .join("");
  }
  yield "]}\n";
}

/** The export as a response body: a page at a time, the event loop given back between pages. */
export function archiveStream(store: Store): ReadableStream<Uint8Array> {
  let chunks: AsyncIterator<string> | null = null;
  const utf8 = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      chunks ??= exportChunks(store)[Symbol.asyncIterator]();
      await nextTurn();
      const next = await chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(utf8.encode(next.value));
    },
    async cancel() {
      await chunks?.return?.();
    },
  });
}

/** Writes the export to `path`; how many bytes. */
export async function exportToFile(store: Store, path: string): Promise<number> {
  const out = Bun.file(path).writer();
  let bytes = 0;
  for await (const chunk of exportChunks(store)) {
    bytes += Buffer.byteLength(chunk);
    out.write(chunk);
    await out.flush();
  }
  await out.end();
  return bytes;
}

const text = (v: unknown): string | null => (typeof v === "string" ? v : null);

/** `import link-tracker FILE`: an export read back a line at a time. */
export function archiveSource(path: string): ImportSource {
  return {
    name: "link-tracker",
    async *records(): AsyncIterable<SourceRecord> {
      const file = Bun.file(path);
      if (!(await file.exists())) throw new ArchiveError(`cannot read ${path}: no such file`);
      const lines = createInterface({ input: createReadStream(path, { encoding: "utf8" }), crlfDelay: Infinity });
      let section: string | null = null;
      let n = 0;
      for await (const raw of lines) {
        n++;
        if (n === 1) {
          let head: { format?: unknown; version?: unknown };
          try {
            head = JSON.parse(`${raw.replace(/,$/, "")}}`);
          } catch {
            throw new ArchiveError(`${path} is not a link-tracker export (its first line is not the export's header)`);
          }
          if (head.format !== EXPORT_FORMAT) throw new ArchiveError(`${path} is not a link-tracker export (format ${JSON.stringify(head.format ?? null)})`);
          if (typeof head.version !== "number" || head.version > EXPORT_VERSION) throw new ArchiveError(`${path} is an export of version ${String(head.version)}: this release reads version ${EXPORT_VERSION}; upgrade link-tracker first`);
          continue;
        }
        const opener = /^"(\w+)":/.exec(raw);
        if (opener) {
          section = opener[1]!;
          continue;
        }
        if (!raw.startsWith("{")) continue;
        let value: Record<string, unknown>;
        try {
          value = JSON.parse(raw.replace(/(\],?|\]\}|,)$/, ""));
        } catch {
          throw new ArchiveError(`${path}: line ${n} is not one record (the export is read a record per line: was it reformatted?)`);
        }
        const at = `line ${n}`;
        if (section === "links") {
          yield {
            kind: "link",
            at,
            link: {
              sourceId: String(value.tracking_id),
              url: text(value.original_url) ?? "",
              trackingId: text(value.tracking_id),
              linkFunction: text(value.link_function),
              linkType: text(value.link_type),
              jobId: text(value.job_id),
              applicationId: text(value.application_id),
              description: text(value.description),
              createdAt: text(value.created_at),
              createdBy: text(value.created_by),
              isActive: value.is_active !== false,
              expiresAt: text(value.expires_at),
              shortCode: text(value.short_code),
            },
          };
        } else if (section === "clicks") {
          yield {
            kind: "click",
            at,
            click: {
              sourceId: String(value.click_id),
              trackingId: String(value.tracking_id),
              clickedAt: String(value.clicked_at),
              ipAddress: text(value.ip_address),
              userAgent: text(value.user_agent),
              referrerUrl: text(value.referrer_url),
              sessionId: text(value.session_id),
              clickSource: text(value.click_source),
              metadata: value.metadata && typeof value.metadata === "object" ? (value.metadata as Record<string, unknown>) : null,
              kept: {
                visitorKind: String(value.visitor_kind) as VisitorKind,
                visitorReason: text(value.visitor_reason),
                outcome: (text(value.outcome) ?? "redirected") as ClickOutcome,
                country: text(value.country),
                city: text(value.city),
                asn: typeof value.asn === "number" ? value.asn : null,
                network: text(value.network),
                receivedAt: text(value.received_at) ?? String(value.clicked_at),
              },
            },
          };
        } else if (section === "applications") {
          yield {
            kind: "application",
            at,
            application: { applicationId: String(value.application_id), company: text(value.company), role: text(value.role), jobId: text(value.job_id), sentAt: text(value.sent_at), notes: text(value.notes) },
          };
        } else if (section === "webhooks") {
          yield { kind: "note", at, message: `webhook ${String(value.url)} is not imported: its secret is not in the export; add it again with "link-tracker webhooks create"` };
        } else if (section === "keys") {
          yield { kind: "note", at, message: `API key "${String(value.name)}" is not imported: keys cannot move (only their hashes were kept, and left out); make new ones with "link-tracker keys create"` };
        }
      }
    },
  };
}
