/**
 * The origin of the tracked URLs (PUBLIC_BASE_URL) across starts. A link's redirect_url is
 * stored as made (the seeds' column), with its origin. Links made while PUBLIC_BASE_URL
 * was unset or local (a first try on localhost) cannot be sent; when the server starts
 * with a real PUBLIC_BASE_URL, their stored URLs are moved to it, a slice at a time in the
 * background, so that every answer, QR code and CSV shows a URL that works. Links made
 * under one real origin stay as made when it changes to another (the résumés sent carry
 * it). A crash midway leaves the local origins noted: the next start goes on.
 * The server also notes its origin for the command line, which makes links for it.
 */
import type { Config } from "../../config";
import type { Store } from "../../db/store";

/** The local origins links have been made under, not moved yet (a JSON array). */
const LOCAL_ORIGINS = "links:local_origins";
/** The PUBLIC_BASE_URL of the server last started on this database (the command line's default). */
export const SERVER_ORIGIN = "server:public_base_url";
const SLICE = 2_000;

const LOOPBACK = /^https?:\/\/(localhost|127(\.\d+){3}|\[::1\]|0\.0\.0\.0)(:\d+)?$/i;

/** Whether links with this origin only work on the machine that made them. */
export const isLocalOrigin = (origin: string): boolean => LOOPBACK.test(origin);

type Log = { info: (fields: object, message: string) => void; warn: (fields: object, message: string) => void };

/** At a server's start: its origin noted, and the links made under a local one moved to a real one. Returns how many moved. */
export async function followPublicBaseUrl(store: Store, config: Pick<Config, "publicBaseUrl">, log: Log): Promise<number> {
  const to = config.publicBaseUrl;
  await store.settings.put(SERVER_ORIGIN, to);
  const noted = JSON.parse((await store.settings.get(LOCAL_ORIGINS)) ?? "[]") as string[];
  if (isLocalOrigin(to)) {
    if (!noted.includes(to)) await store.settings.put(LOCAL_ORIGINS, JSON.stringify([...noted, to]));
    return 0;
  }
  let moved = 0;
  for (const from of noted) {
    let after: string | null = null;
    do {
      const slice = await store.links.rebase(from, to, after, SLICE);
      moved += slice.moved;
      after = slice.next;
      // A turn of the loop between slices: redirects go first.
      await new Promise((resolve) => setImmediate(resolve));
    } while (after !== null);
  }
  if (noted.length > 0) {
    await store.settings.put(LOCAL_ORIGINS, "[]");
    log.info({ from: noted, to, links: moved }, "links made on this computer now have PUBLIC_BASE_URL's origin");
  }
  return moved;
}

/** The one line a person starting the server reads: where the dashboard is, and what links get. */
export function startLine(config: Pick<Config, "publicBaseUrl" | "port">, port: number): string {
  const local = isLocalOrigin(config.publicBaseUrl);
  const dashboard = `${local ? `http://localhost:${port}` : config.publicBaseUrl}/dashboard/`;
  return local
    ? `link-tracker: the dashboard is at ${dashboard}. Links made now start with ${config.publicBaseUrl} and work only on this computer: set PUBLIC_BASE_URL to your domain (https://…) before making the links you send.\n`
    : `link-tracker: the dashboard is at ${dashboard}; tracked links start with ${config.publicBaseUrl}.\n`;
}
