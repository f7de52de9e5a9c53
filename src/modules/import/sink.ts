/**
 * `import sink FILE`: the JSON file Sink's export writes, `{version, exportedAt, count,
 * links: [{id, url, slug, comment, createdAt, updatedAt, expiration, title, description}]}`
 * (times in Unix seconds). Each slug is kept as the link's short code, so the old
 * /{slug} URLs answer here once their domain points at link-tracker. Sink keeps no single
 * visits in its export: links only.
 */
import type { ImportSource, SourceRecord } from "./model";

/** Sink's export holds links only: a file larger than this is not one. */
const MAX_BYTES = 100_000_000;

export class SinkError extends Error {}

const seconds = (v: unknown): string | null => (typeof v === "number" && Number.isFinite(v) ? new Date(v * 1000).toISOString() : null);
const text = (v: unknown): string | null => (typeof v === "string" && v.trim() !== "" ? v.trim() : null);

export function sinkSource(path: string): ImportSource {
  return {
    name: "sink",
    async *records(): AsyncIterable<SourceRecord> {
      const file = Bun.file(path);
      if (!(await file.exists())) throw new SinkError(`cannot read ${path}: no such file`);
      if (file.size > MAX_BYTES) throw new SinkError(`${path} is ${Math.round(file.size / 1_000_000)} MB: a Sink export holds links only and is far smaller; is it the right file?`);
      let body: unknown;
      try {
        body = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(await file.arrayBuffer()));
      } catch (error) {
        throw new SinkError(`${path} is not ${error instanceof TypeError ? "UTF-8 text" : "JSON"}: import sink reads the file Sink's export writes`);
      }
      const links = (body as { links?: unknown } | null)?.links;
      if (!body || typeof body !== "object" || !Array.isArray(links)) throw new SinkError(`${path} is not a Sink export: it has no "links" array`);
      for (const [i, raw] of links.entries()) {
        const at = `links[${i}]`;
        const l = (raw && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
        const slug = text(l.slug);
        yield {
          kind: "link",
          at: slug ? `${at} (${slug})` : at,
          link: {
            sourceId: text(l.id) ?? slug ?? at,
            url: text(l.url) ?? "",
            shortCode: slug,
            description: text(l.title) ?? text(l.comment) ?? text(l.description),
            createdAt: seconds(l.createdAt),
            expiresAt: seconds(l.expiration),
          },
        };
      }
    },
  };
}
