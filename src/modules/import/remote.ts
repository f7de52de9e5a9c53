/**
 * `import shlink URL --key KEY` and `import kutt URL --key KEY`: links (and Shlink's
 * visits) read from a running Shlink or Kutt through its REST API, page by page.
 *
 *   - Shlink, REST API v3: `GET /rest/v3/short-urls` (X-Api-Key), each short code kept;
 *     with --with-clicks each short URL's `/visits` and the orphan visits
 *     (`/rest/v3/visits/orphan`). Shlink's visits carry no address: their country comes
 *     from Shlink's own location, and one Shlink took for a bot stays a bot.
 *   - Kutt, API v2: `GET /api/v2/links` (X-API-KEY), each address kept as the short code.
 *     Kutt keeps counts of visits, not visits: the report says how many, nothing is made.
 *
 * Every request has 15 s; a 429 is waited out as its Retry-After says (up to a minute, five
 * times), so the source's rate limit holds. A refused key, a timeout or an answer in
 * another shape is one message naming the URL.
 */
import type { ImportSource, SourceClick, SourceRecord } from "./model";

const TIMEOUT_MS = 15_000;
const RETRIES = 5;
const PAGE = 100;

export class RemoteError extends Error {}

const text = (v: unknown): string | null => (typeof v === "string" && v.trim() !== "" ? v.trim() : null);

/** The API's base: the URL as given, without a trailing slash. */
function baseOf(url: string, name: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RemoteError(`${name} URL "${url}" is not a URL: give the server's address, e.g. https://s.example.com`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new RemoteError(`${name} URL must be http:// or https://`);
  return parsed.href.replace(/\/+$/, "");
}

/** GET `url` as JSON with the key in `header`; a 429 waited out, anything else not 2xx a RemoteError. */
export async function getJson(url: string, header: string, key: string, name: string, sleep = Bun.sleep): Promise<unknown> {
  for (let attempt = 0; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(url, { headers: { [header]: key, Accept: "application/json" }, signal: AbortSignal.timeout(TIMEOUT_MS), redirect: "error" });
    } catch (error) {
      const e = error as Error;
      throw new RemoteError(`${name} at ${url} ${e.name === "TimeoutError" ? `did not answer within ${TIMEOUT_MS / 1000} s` : `cannot be reached (${e.message})`}`);
    }
    if (res.status === 429 && attempt < RETRIES) {
      const after = Number(res.headers.get("retry-after"));
      await res.body?.cancel();
      await sleep(Math.min(60, Number.isFinite(after) && after > 0 ? after : 2 ** attempt) * 1000);
      continue;
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw new RemoteError(`${name} at ${url} answered ${res.status}: it refused the key (check --key)`);
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new RemoteError(`${name} at ${url} answered ${res.status}${res.status === 404 ? ` (is it ${name}'s address?)` : ""}`);
    }
    try {
      return await res.json();
    } catch {
      throw new RemoteError(`${name} at ${url} answered something that is not JSON`);
    }
  }
}

type Page<T> = { data: T[]; pagination?: { currentPage?: number; pagesCount?: number } };

function pageOf<T>(body: unknown, field: string, url: string): Page<T> {
  const page = (body as Record<string, unknown> | null)?.[field] as Page<T> | undefined;
  if (!page || !Array.isArray(page.data)) throw new RemoteError(`${url} answered without ${field}.data: is it Shlink's REST API v3?`);
  return page;
}

/** Each page of a Shlink list (`field` holds `data` and `pagination`). */
async function* shlinkPages<T>(base: string, path: string, field: string, key: string): AsyncIterable<T[]> {
  for (let page = 1; ; page++) {
    const url = `${base}${path}${path.includes("?") ? "&" : "?"}page=${page}&itemsPerPage=${PAGE}`;
    const p = pageOf<T>(await getJson(url, "X-Api-Key", key, "Shlink"), field, url);
    yield p.data;
    if (p.data.length === 0 || (p.pagination?.pagesCount ?? page) <= page) return;
  }
}

type ShlinkShortUrl = { shortCode: string; longUrl: string; dateCreated?: string; tags?: string[]; title?: string | null; domain?: string | null; meta?: { validUntil?: string | null } };
type ShlinkVisit = {
  referer?: string;
  date: string;
  userAgent?: string;
  potentialBot?: boolean;
  visitLocation?: { countryCode?: string; cityName?: string } | null;
  visitedUrl?: string;
  type?: string;
};

/**
 * A visit as a click. Visits have no id: the short code, the visit's fields and how many
 * identical ones came before it make one, the same on every run.
 */
function visitClick(trackingId: string, v: ShlinkVisit, seen: Map<string, number>): SourceClick {
  const fields = JSON.stringify([trackingId, v.date, v.userAgent ?? "", v.referer ?? "", v.visitedUrl ?? ""]);
  const n = (seen.get(fields) ?? 0) + 1;
  seen.set(fields, n);
  const country = text(v.visitLocation?.countryCode);
  return {
    sourceId: `${fields}#${n}`,
    trackingId,
    clickedAt: v.date,
    userAgent: text(v.userAgent),
    referrerUrl: text(v.referer),
    place: { country: country && /^[A-Za-z]{2}$/.test(country) ? country.toUpperCase() : null, city: text(v.visitLocation?.cityName) },
    botBySource: v.potentialBot === true ? "Shlink took it for a bot" : undefined,
  };
}

export function shlinkSource(url: string, key: string, withClicks: boolean): ImportSource {
  const base = baseOf(url, "Shlink");
  return {
    name: "shlink",
    async *records(): AsyncIterable<SourceRecord> {
      const codes: string[] = [];
      for await (const page of shlinkPages<ShlinkShortUrl>(base, "/rest/v3/short-urls", "shortUrls", key)) {
        for (const s of page) {
          const code = text(s.shortCode) ?? "";
          codes.push(code);
          yield {
            kind: "link",
            at: `short URL ${code}${s.domain ? ` on ${s.domain}` : ""}`,
            link: {
              sourceId: `${s.domain ?? ""}/${code}`,
              url: text(s.longUrl) ?? "",
              shortCode: code,
              linkFunction: s.tags?.[0] ?? null,
              description: text(s.title),
              createdAt: text(s.dateCreated),
              expiresAt: text(s.meta?.validUntil),
            },
          };
        }
      }
      if (!withClicks) return;
      const seen = new Map<string, number>();
      for (const code of codes) {
        for await (const page of shlinkPages<ShlinkVisit>(base, `/rest/v3/short-urls/${encodeURIComponent(code)}/visits`, "visits", key)) {
          for (const v of page) yield { kind: "click", at: `visit of ${code} at ${v.date}`, click: visitClick(code, v, seen) };
        }
      }
      // Orphan visits: a path of ours that no short URL had, kept as an orphan hit of that id.
      let skipped = 0;
      for await (const page of shlinkPages<ShlinkVisit>(base, "/rest/v3/visits/orphan", "visits", key)) {
        for (const v of page) {
          const path = v.visitedUrl ? (URL.canParse(v.visitedUrl) ? new URL(v.visitedUrl).pathname.slice(1) : "") : "";
          const id = path === "" ? "" : decodeURIComponent(path);
          if (v.type === "base_url" || !/^[A-Za-z0-9._~-]{1,100}$/.test(id)) {
            skipped++;
            continue;
          }
          yield { kind: "click", at: `orphan visit of /${path} at ${v.date}`, click: visitClick(id, v, seen) };
        }
      }
      if (skipped > 0) yield { kind: "note", at: base, message: `${skipped} orphan visits were to the bare domain or a deeper path, not to a missing short code: not imported` };
    },
  };
}

type KuttLink = { id?: string; address?: string; target?: string; description?: string | null; created_at?: string; expire_in?: string | null; visit_count?: number; banned?: boolean };

export function kuttSource(url: string, key: string): ImportSource {
  const base = baseOf(url, "Kutt");
  return {
    name: "kutt",
    async *records(): AsyncIterable<SourceRecord> {
      let visits = 0;
      let counted = 0;
      for (let skip = 0; ; skip += PAGE) {
        const at = `${base}/api/v2/links?skip=${skip}&limit=${PAGE}`;
        const body = (await getJson(at, "X-API-KEY", key, "Kutt")) as { data?: unknown; total?: number };
        if (!Array.isArray(body?.data)) throw new RemoteError(`${at} answered without data: is it Kutt's API v2?`);
        const links = body.data as KuttLink[];
        for (const l of links) {
          const code = text(l.address) ?? "";
          if ((l.visit_count ?? 0) > 0) {
            visits += l.visit_count!;
            counted++;
          }
          yield {
            kind: "link",
            at: `link ${code}`,
            link: { sourceId: text(l.id) ?? code, url: text(l.target) ?? "", shortCode: code, description: text(l.description), createdAt: text(l.created_at), expiresAt: text(l.expire_in), isActive: l.banned !== true },
          };
        }
        if (links.length < PAGE || (typeof body.total === "number" && skip + PAGE >= body.total)) break;
      }
      if (counted > 0) yield { kind: "note", at: base, message: `${counted} links have ${visits.toLocaleString("en")} visits in all: Kutt keeps counts, not single visits, so there are no clicks to bring` };
    },
  };
}
