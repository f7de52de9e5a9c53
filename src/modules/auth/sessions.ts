/**
 * Dashboard sessions: signing in with a key opens one, kept server-side
 * (dashboard_sessions), so that the browser holds no key, every tab of it is signed in,
 * and a session ends when it is signed out, when "sign out everywhere" or
 * `link-tracker sessions revoke` ends it, or when its key is revoked or changed.
 *
 * The browser holds a random 256-bit token in an HttpOnly, SameSite=Strict cookie (Secure
 * when PUBLIC_BASE_URL is https); only its SHA-256 is stored. "Remember this browser"
 * keeps it 30 days; otherwise it is a browser-session cookie that the server also ends
 * after 12 hours. A cookie counts only on a request from the dashboard's own origin.
 */
import type { Config } from "../../config";
import type { DashboardSession, Store } from "../../db/store";
import { describeAgent } from "../../db/describe";
import { cookieValue } from "../../lib/cookies";
import { Conflict, NotFound } from "../../lib/errors";
import { hashKey } from "./service";

export const SESSION_COOKIE = "lt_session";
export const REMEMBER_MS = 30 * 86_400_000;
export const BROWSER_SESSION_MS = 12 * 3_600_000;
/** Sessions ended longer ago than this are deleted at the next sign-in. */
const KEEP_ENDED_MS = 7 * 86_400_000;

const newToken = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");

/** "Firefox on Linux", to know a session by; null when the agent says neither. */
function browserOf(userAgent: string | null): string | null {
  const { browser, os } = describeAgent(userAgent?.slice(0, 1000));
  return [browser, os].filter(Boolean).join(" on ") || null;
}

/** Opens a session for the key just checked; returns it and the token for its cookie. */
export async function openSession(
  store: Store,
  key: { name: string; scope: DashboardSession["scope"]; presented: string },
  { remember, userAgent, now = Date.now() }: { remember: boolean; userAgent: string | null; now?: number },
): Promise<{ session: DashboardSession; token: string }> {
  const token = newToken();
  const session: DashboardSession = {
    id: Bun.randomUUIDv7(),
    tokenHash: hashKey(token),
    keyName: key.name,
    keyHash: hashKey(key.presented),
    scope: key.scope,
    remember,
    browser: browserOf(userAgent),
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + (remember ? REMEMBER_MS : BROWSER_SESSION_MS)).toISOString(),
    revokedAt: null,
  };
  await store.sessions.prune(new Date(now - KEEP_ENDED_MS).toISOString());
  await store.sessions.insert(session);
  return { session, token };
}

/**
 * Whether `session` still holds at `now`: not revoked, not expired, and its key still
 * the one it was opened with (WEBHOOK_API_KEY unchanged, or the stored key not revoked).
 */
export async function holds(store: Store, config: Config, session: DashboardSession | undefined, now = Date.now()): Promise<boolean> {
  if (!session || session.revokedAt !== null || Date.parse(session.expiresAt) <= now) return false;
  if (session.keyName === "WEBHOOK_API_KEY" && config.webhookApiKey && hashKey(config.webhookApiKey) === session.keyHash) return true;
  return (await store.keys.findActiveByHash(session.keyHash)) !== undefined;
}

/** The session a request's cookie names, if it holds; null without a cookie or when it does not. */
export async function sessionOf(store: Store, config: Config, cookieHeader: string | null): Promise<DashboardSession | null> {
  const token = cookieValue(cookieHeader, SESSION_COOKIE);
  if (!token) return null;
  const session = await store.sessions.findByTokenHash(hashKey(token));
  return session && (await holds(store, config, session)) ? session : null;
}

/**
 * Whether a request comes from the dashboard's own origin (a cookie is only taken from
 * one): a browser says so in Sec-Fetch-Site; one too old to send it sends Origin on every
 * request that changes anything, and that must name the host the request was sent to. A request with neither is
 * no browser's cross-site request (curl, the CLI).
 */
export function fromOwnOrigin(request: Request): boolean {
  const site = request.headers.get("sec-fetch-site");
  if (site) return site === "same-origin" || site === "none";
  const origin = request.headers.get("origin");
  if (!origin) return true;
  try {
    return new URL(origin).host === new URL(request.url).host;
  } catch {
    return false;
  }
}

/** Whether a request carries a session cookie at all (no: nothing is awaited). */
export const hasSessionCookie = (headers: Headers): boolean => headers.get("cookie")?.includes(SESSION_COOKIE) ?? false;

/** The sessions still active, as `link-tracker sessions list` shows them (never a token or a key). */
export async function sessionViews(store: Store, now = new Date().toISOString()) {
  return (await store.sessions.listActive(now)).map((s) => ({
    id: s.id,
    key_name: s.keyName,
    scope: s.scope,
    browser: s.browser,
    remember: s.remember,
    created_at: s.createdAt,
    expires_at: s.expiresAt,
  }));
}

/**
 * Ends sessions: one by its id (or the start of it, when only one active session's id
 * starts so), every one of a key, or all; how many ended.
 */
export async function revokeSessions(store: Store, which: { id: string } | { keyName: string } | { all: true }): Promise<number> {
  const at = new Date().toISOString();
  if (!("id" in which)) return store.sessions.revoke(which, at);
  const matching = (await store.sessions.listActive(at)).filter((s) => s.id.startsWith(which.id.toLowerCase()));
  if (matching.length === 0) throw new NotFound(`no active session whose id starts with "${which.id}"`);
  if (matching.length > 1) throw new Conflict(`${matching.length} active sessions have ids starting with "${which.id}": give more of it`);
  return store.sessions.revoke({ id: matching[0].id }, at);
}
