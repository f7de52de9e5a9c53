/**
 * Sending to other systems, shared by the edge shipper and webhook delivery: one POST
 * with a timeout, and the wait before the next try (exponential backoff, full jitter).
 */

export type Sent =
  | { ok: true; status: number; body: unknown; retryAfterMs?: number }
  | { ok: false; error: string };

/** POSTs a JSON body; any answer is `ok` (the caller judges its status), no answer is not. */
export async function postJson(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<Sent> {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...headers },
      body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "manual",
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    const seconds = Number(res.headers.get("retry-after"));
    return { ok: true, status: res.status, body: parsed, retryAfterMs: Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined };
  } catch (error) {
    const e = error as Error;
    return { ok: false, error: e.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : e.message };
  }
}

/** Wait before try number `failures + 1`: uniform in [0, min(cap, base · 2^failures)]. */
export function backoffMs(failures: number, baseMs: number, capMs: number): number {
  return Math.random() * Math.min(capMs, baseMs * 2 ** Math.min(failures, 30));
}

/** Whether an answer is worth trying again: no answer, 429 or 5xx. */
export const retryable = (sent: Sent): boolean => !sent.ok || sent.status === 429 || sent.status >= 500;
