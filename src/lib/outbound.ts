/**
 * Requests this server sends to addresses someone else chose (webhook and notification
 * channels, destination checks): the name is resolved once, every address it gives is
 * checked, and the connection goes to an address that was checked. Resolving it twice,
 * once to check and once to connect (fetch does its own lookup), leaves a window in which
 * a name can point at 127.0.0.1 or the cloud's metadata service by the second answer (DNS
 * rebinding). TLS is still verified against the name. Never a redirect followed here; the
 * answer's body read up to a bound, whatever the receiver sends.
 */
import { lookup } from "node:dns/promises";
import http from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { isNonPublicIp } from "./ip";

export type Outbound = {
  method: "GET" | "HEAD" | "POST";
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** Loopback, private and link-local addresses allowed (WEBHOOK_ALLOW_PRIVATE, DESTINATION_CHECK_ALLOW_PRIVATE). */
  allowPrivate: boolean;
  /** What the refusal of a private address says to do about it. */
  hint: string;
  /** The answer's body is read up to this many bytes (default 64 KiB), the rest dropped. */
  maxBytes?: number;
  /** Set: the body is not read at all (a destination check needs the status alone). */
  noBody?: boolean;
  /** How a name is resolved (default: the system's resolver, every address). */
  resolver?: (host: string) => Promise<{ address: string; family: 4 | 6 }[]>;
};

const systemResolver = async (host: string) => (await lookup(host, { all: true, verbatim: true })) as { address: string; family: 4 | 6 }[];

export type Answer =
  | { ok: true; status: number; statusText: string; headers: Record<string, string | string[] | undefined>; body: string }
  | { ok: false; error: string; code?: string };

const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
const isLocalName = (host: string) => host === "localhost" || host.endsWith(".localhost");

/** Why `url` may not be sent to, or null. Resolves the name; the addresses to connect to come back with it. */
async function resolve(url: URL, { allowPrivate, hint, resolver = systemResolver }: Outbound): Promise<{ refused: string } | { addresses: { address: string; family: 4 | 6 }[] }> {
  const host = hostOf(url);
  if (!allowPrivate && isLocalName(host)) return { refused: `refused: ${host} is local; ${hint}` };
  const family = isIP(host);
  const addresses = family !== 0 ? [{ address: host, family: family as 4 | 6 }] : await resolver(host);
  if (addresses.length === 0) throw Object.assign(new Error(`no address for ${host}`), { code: "ENOTFOUND" });
  if (!allowPrivate && addresses.some((a) => isNonPublicIp(a.address))) return { refused: `refused: ${host} resolves to a private address; ${hint}` };
  return { addresses };
}

/** One request to `target`, connected to an address checked first. An answer of any status is `ok`; none is not. */
export async function send(target: string, options: Outbound): Promise<Answer> {
  const url = new URL(target);
  if (url.protocol !== "http:" && url.protocol !== "https:") return { ok: false, error: `not an http(s) URL: ${url.protocol}` };
  const deadline = AbortSignal.timeout(options.timeoutMs);
  let resolved: Awaited<ReturnType<typeof resolve>>;
  try {
    resolved = await resolve(url, options);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, error: `DNS: no such host`, code: code ?? "ENOTFOUND" };
  }
  if ("refused" in resolved) return { ok: false, error: resolved.refused, code: "REFUSED" };
  const { addresses } = resolved;
  const maxBytes = options.maxBytes ?? 64 * 1024;
  return new Promise<Answer>((done) => {
    let settled = false;
    const finish = (answer: Answer) => {
      if (settled) return;
      settled = true;
      done(answer);
    };
    const request = (url.protocol === "https:" ? https : http).request(
      url,
      {
        method: options.method,
        headers: { ...(options.body !== undefined ? { "content-length": String(Buffer.byteLength(options.body)) } : {}), ...options.headers },
        signal: deadline,
        // The addresses checked above, and no others: the connection cannot be pointed elsewhere by a second answer.
        lookup: ((_name, opts, callback) => {
          if (opts?.all) (callback as (e: null, all: typeof addresses) => void)(null, addresses);
          else callback(null, addresses[0]!.address, addresses[0]!.family);
        }) as LookupFunction,
      },
      (res) => {
        const answer = (body: string) => finish({ ok: true, status: res.statusCode ?? 0, statusText: res.statusMessage ?? "", headers: res.headers, body });
        if (options.noBody) {
          answer("");
          res.destroy();
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          if (size < maxBytes) chunks.push(chunk.subarray(0, maxBytes - size));
          size += chunk.length;
          if (size >= maxBytes) {
            answer(Buffer.concat(chunks).toString("utf8"));
            res.destroy();
          }
        });
        res.on("end", () => answer(Buffer.concat(chunks).toString("utf8")));
        res.on("error", () => answer(Buffer.concat(chunks).toString("utf8")));
      },
    );
    request.on("error", (error: NodeJS.ErrnoException) => {
      const timedOut = deadline.aborted || error.name === "AbortError" || error.name === "TimeoutError";
      finish({ ok: false, error: timedOut ? `no answer within ${options.timeoutMs} ms` : error.message, code: timedOut ? "TIMEOUT" : error.code });
    });
    request.end(options.body);
  });
}
