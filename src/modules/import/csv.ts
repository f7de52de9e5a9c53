/**
 * `import csv FILE`: links from a CSV file, streamed (any size, bounded memory). The
 * header row says which export it is, matched case-insensitively, `,` or `;` between
 * cells (whichever the header row has more of), a BOM and CRLF line ends taken:
 *
 *   - Shlink's (`createdAt, domain, shortCode, shortUrl, longUrl, title, tags, visits`):
 *     the short code is kept, so the old /{code} URL answers here.
 *   - Bitly's (`Bitlink`, `Long URL` or `Original URL`, `Title`, `Tags`, `Created`,
 *     `Total Clicks`): the back-half of the Bitlink is kept as the short code.
 *   - A plain one: `url` required; `tracking_id`, `link_function`, `link_type`,
 *     `company`, `role`, `description`, `created_at`, `job_id`, `application_id` optional.
 *   - Any other, with `--map column=field` naming which column holds which field.
 *
 * Visit totals (Shlink's `visits`, Bitly's `Total Clicks`) are counts, not clicks: the
 * report says how many, nothing is made of them.
 */
import { parse, type Parser } from "csv-parse";
import { once } from "node:events";
import { open } from "node:fs/promises";
import { createReadStream } from "node:fs";
import { type ImportSource, type SourceLink, type SourceRecord } from "./model";

export const LINK_FIELDS = ["url", "tracking_id", "link_function", "link_type", "company", "role", "description", "created_at", "job_id", "application_id", "short_code", "tags", "visits"] as const;
type Field = (typeof LINK_FIELDS)[number];

/** The known exports' headers, lower case, and the field each holds. */
const KNOWN: Record<string, Field> = {
  url: "url",
  tracking_id: "tracking_id",
  link_function: "link_function",
  link_type: "link_type",
  company: "company",
  role: "role",
  description: "description",
  created_at: "created_at",
  job_id: "job_id",
  application_id: "application_id",
  short_code: "short_code",
  // Shlink
  longurl: "url",
  shortcode: "short_code",
  createdat: "created_at",
  title: "description",
  tags: "tags",
  visits: "visits",
  // Bitly
  "long url": "url",
  "original url": "url",
  bitlink: "short_code",
  created: "created_at",
  "total clicks": "visits",
};

export class CsvSettingError extends Error {}

/** `--map col=field` options, checked: the column names as the file has them. */
export function parseMap(entries: string[]): Map<string, Field> {
  const map = new Map<string, Field>();
  for (const entry of entries) {
    const at = entry.lastIndexOf("=");
    const column = entry.slice(0, at).trim();
    const field = entry.slice(at + 1).trim() as Field;
    if (at < 1 || !LINK_FIELDS.includes(field)) throw new CsvSettingError(`--map ${entry}: give COLUMN=FIELD, FIELD one of ${LINK_FIELDS.join(", ")}`);
    map.set(column.toLowerCase(), field);
  }
  return map;
}

/** The first bytes of the file: its encoding, checked, and the header line. */
async function headOf(path: string): Promise<{ delimiter: string; header: string }> {
  let handle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    throw new CsvSettingError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message}`);
  }
  try {
    const buffer = Buffer.alloc(65_536);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const bytes = buffer.subarray(0, bytesRead);
    if (bytes.length === 0) throw new CsvSettingError(`${path} is empty`);
    if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) throw new CsvSettingError(`${path} is UTF-16 text: save it as UTF-8 (CSV UTF-8 in a spreadsheet) and import that`);
    const end = bytes.indexOf(0x0a);
    const line = end === -1 ? bytes : bytes.subarray(0, end);
    let header: string;
    try {
      header = new TextDecoder("utf-8", { fatal: true }).decode(line).replace(/^\uFEFF/, "").replace(/\r$/, "");
    } catch {
      throw new CsvSettingError(`${path} is not UTF-8 text (line 1): save it as UTF-8 (CSV UTF-8 in a spreadsheet) and import that`);
    }
    const commas = header.split(",").length;
    const semicolons = header.split(";").length;
    return { delimiter: semicolons > commas ? ";" : ",", header };
  } finally {
    await handle.close();
  }
}

/**
 * Feeds the file to `parser` as UTF-8 text, with backpressure; the first bytes that are
 * not UTF-8 fail the parser with the line they are on.
 */
async function feed(path: string, parser: Parser): Promise<void> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let line = 1;
  try {
    for await (const chunk of createReadStream(path)) {
      let text: string;
      try {
        text = decoder.decode(chunk as Buffer, { stream: true });
      } catch {
        const loose = new TextDecoder("utf-8").decode(chunk as Buffer);
        const bad = loose.indexOf("\uFFFD");
        throw new CsvSettingError(`${path} is not UTF-8 text (near line ${line + (loose.slice(0, bad).match(/\n/g)?.length ?? 0)}): save it as UTF-8 (CSV UTF-8 in a spreadsheet) and import that`);
      }
      line += text.match(/\n/g)?.length ?? 0;
      if (!parser.write(text)) await once(parser, "drain");
    }
    parser.end(decoder.decode());
  } catch (error) {
    parser.destroy(error instanceof CsvSettingError ? error : new CsvSettingError(`${path}: ${(error as Error).message}`));
  }
}

/** Bitly's "bit.ly/3AbCd" or "https://go.example.com/cv": the back-half. */
const backHalf = (bitlink: string) => bitlink.replace(/^https?:\/\//i, "").split("/").slice(1).join("/").split("?")[0] ?? "";

export function csvSource(path: string, map: Map<string, Field> = new Map()): ImportSource {
  let columns: (Field | null)[] | null = null;
  let delimiter = ",";
  const prepare = async () => {
    const head = await headOf(path);
    delimiter = head.delimiter;
    const names = head.header.split(delimiter).map((n) => n.trim().replace(/^"|"$/g, "").trim());
    columns = names.map((n) => map.get(n.toLowerCase()) ?? KNOWN[n.toLowerCase()] ?? null);
    if (!columns.includes("url")) {
      throw new CsvSettingError(
        `${path}: the header row (${names.slice(0, 8).join(", ")}) has no URL column: name one "url" (or Shlink's longUrl, Bitly's Long URL), or say which it is with --map COLUMN=url`,
      );
    }
  };
  const isShlink = () => columns!.includes("short_code") && !columns!.includes("tracking_id");
  return {
    name: "csv",
    async *records(): AsyncIterable<SourceRecord> {
      if (!columns) await prepare();
      const cells = columns!;
      const parser = parse({ bom: true, delimiter, from_line: 2, relax_column_count: true, skip_empty_lines: true, info: true, max_record_size: 1_000_000 });
      void feed(path, parser);
      let visits = 0;
      let counted = 0;
      try {
        for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
          const at = `line ${info.lines}`;
          const row: Partial<Record<Field, string>> = {};
          cells.forEach((field, i) => {
            if (field && record[i] !== undefined && record[i].trim() !== "") row[field] = record[i].trim();
          });
          if (!row.url) {
            yield { kind: "link", at, link: { sourceId: at, url: "" } };
            continue;
          }
          const code = row.short_code ? (row.short_code.includes("/") ? backHalf(row.short_code) : row.short_code) : null;
          if (row.visits && Number(row.visits) > 0) {
            visits += Number(row.visits);
            counted++;
          }
          const tags = row.tags?.split(/[,;|]/).map((t) => t.trim()).filter((t) => t !== "") ?? [];
          const link: SourceLink = {
            // The same row of the same file on every run: its short code or tracking id, else its cells.
            sourceId: code ?? row.tracking_id ?? JSON.stringify(record),
            url: row.url,
            trackingId: row.tracking_id ?? null,
            shortCode: code || null,
            linkFunction: row.link_function ?? tags[0] ?? null,
            linkType: row.link_type ?? null,
            company: row.company ?? null,
            role: row.role ?? null,
            description: row.description ?? null,
            createdAt: row.created_at ?? null,
            jobId: row.job_id ?? null,
            applicationId: row.application_id ?? null,
          };
          yield { kind: "link", at, link };
        }
      } catch (error) {
        if (error instanceof CsvSettingError) throw error;
        const message = (error as Error).message;
        throw new CsvSettingError(`${path}: ${message.replace(/^Invalid Record Length: /, "")}`);
      }
      if (counted > 0) {
        yield {
          kind: "note",
          at: path,
          message: `${counted} links have ${visits.toLocaleString("en")} visits in all in the file: ${isShlink() ? "Shlink's" : "the"} totals are counts, not clicks, and are not imported`,
        };
      }
    },
  };
}

