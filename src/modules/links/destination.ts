/**
 * Whether a link's destination still answers: a portfolio moved, a Calendly page renamed,
 * and the recruiter is the first to find the 404. One check is a HEAD (a ranged GET where
 * HEAD is refused), redirects followed up to 5, 10 s in all, never a byte of the body
 * read; each hop's address checked as a webhook's is (no loopback, private or link-local
 * target unless DESTINATION_CHECK_ALLOW_PRIVATE). A destination is down after two failed
 * checks in a row, and up again at the first that passes.
 */
import { send, type Answer } from "../../lib/outbound";
import { VERSION } from "../../version";

export type DestinationCheck = {
  /** The destination answers: below 400, or 401, 403 or 429 (there, but not for us). */
  ok: boolean;
  /** The last answer's status; null when none came. */
  status: number | null;
  /** Why it failed, for a person: "404 Not Found", "timed out after 10 s", "DNS: no such host", … */
  error: string | null;
  checked_at: string;
};

export type CheckOptions = { allowPrivate: boolean; timeoutMs?: number; maxRedirects?: number };

/** A browser's agent (some sites answer programs differently) that says who is asking. */
export const CHECK_USER_AGENT = `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36 link-tracker/${VERSION} (destination check)`;

const PRIVATE_HINT = "set DESTINATION_CHECK_ALLOW_PRIVATE=true to check private addresses";
/** There, but not for an anonymous program: not a dead link. */
const ALIVE = new Set([401, 403, 429]);

function failureText(failed: Extract<Answer, { ok: false }>, timeoutMs: number): string {
  const code = failed.code ?? "";
  if (code === "TIMEOUT") return `timed out after ${timeoutMs / 1000} s`;
  if (code === "REFUSED") return failed.error;
  if (/ENOTFOUND|EAI_AGAIN|DNS/i.test(code)) return "DNS: no such host";
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(code) || /certificate|tls/i.test(failed.error)) return `TLS: ${code || failed.error}`;
  if (/ECONNREFUSED|ConnectionRefused/i.test(code)) return "connection refused";
  if (/ECONNRESET|ConnectionClosed/i.test(code)) return "connection closed";
  return code || failed.error || "unreachable";
}

/** One request, the body never read: HEAD, or a GET of its first byte where HEAD is refused. */
async function ask(url: string, allowPrivate: boolean, timeoutMs: number): Promise<Answer> {
  const headers = { "user-agent": CHECK_USER_AGENT, accept: "text/html,application/xhtml+xml,*/*;q=0.8" };
  const options = { headers, timeoutMs, allowPrivate, hint: PRIVATE_HINT, noBody: true };
  const head = await send(url, { ...options, method: "HEAD" });
  if (!head.ok || (head.status !== 405 && head.status !== 501)) return head;
  return send(url, { ...options, method: "GET", headers: { ...headers, range: "bytes=0-0" } });
}

/** Checks one destination now: each hop's address checked before it is connected to (lib/outbound.ts). */
export async function checkDestination(url: string, { allowPrivate, timeoutMs = 10_000, maxRedirects = 5 }: CheckOptions): Promise<DestinationCheck> {
  const checked_at = new Date().toISOString();
  const deadline = Date.now() + timeoutMs;
  let at = url;
  for (let hop = 0; hop <= maxRedirects; hop++) {
    const res = await ask(at, allowPrivate, Math.max(1, deadline - Date.now()));
    if (!res.ok) return { ok: false, status: null, error: failureText(res, timeoutMs), checked_at };
    const location = res.headers.location;
    if (res.status >= 300 && res.status < 400 && typeof location === "string") {
      at = new URL(location, at).href;
      if (!/^https?:$/.test(new URL(at).protocol)) return { ok: false, status: res.status, error: `redirected to a ${new URL(at).protocol} URL`, checked_at };
      continue;
    }
    const ok = res.status < 400 || ALIVE.has(res.status);
    return { ok, status: res.status, error: ok ? null : `${res.status} ${res.statusText || "error"}`.trim(), checked_at };
  }
  return { ok: false, status: null, error: `more than ${maxRedirects} redirects`, checked_at };
}

/** What a destination's state is after a check: down at the second failure in a row, up at the first success; and whether that changed. */
export function afterCheck(before: { failures: number; down: boolean }, check: DestinationCheck) {
  const failures = check.ok ? 0 : before.failures + 1;
  const down = check.ok ? false : before.down || failures >= 2;
  return { failures, down, changed: down !== before.down ? (down ? ("down" as const) : ("up" as const)) : null };
}
