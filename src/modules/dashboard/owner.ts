/**
 * The owner cookie: signing in to the dashboard marks this browser as the job seeker's,
 * so that their own test clicks on their links count as "owner", never as a recruiter's.
 * The cookie holds an expiry and an HMAC of it (key made once, kept in settings); it is
 * HttpOnly and SameSite=Lax, and carries no API key.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Db } from "../../db";
import { perDb } from "../../db";
import { settingOrCreate } from "../../db/settings";

export const OWNER_COOKIE = "lt_owner";
const LIFETIME_S = 365 * 86_400;

const keyOf = (db: Db) =>
  perDb(db, "owner-cookie-key", () =>
    Buffer.from(settingOrCreate(db, "owner_cookie_key", () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64")), "base64"),
  );

const mac = (db: Db, payload: string) => createHmac("sha256", keyOf(db)).update(payload).digest("base64url");

export function ownerCookie(db: Db, secure: boolean): string {
  const expires = Math.floor(Date.now() / 1000) + LIFETIME_S;
  const value = `${expires}.${mac(db, String(expires))}`;
  return `${OWNER_COOKIE}=${value}; Path=/; Max-Age=${LIFETIME_S}; HttpOnly; SameSite=Lax${secure ? "; Secure" : ""}`;
}

export const clearOwnerCookie = (secure: boolean) => `${OWNER_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax${secure ? "; Secure" : ""}`;

/** True when the request carries a valid, unexpired owner cookie. */
export function isOwnerBrowser(db: Db, cookieHeader: string | null): boolean {
  if (!cookieHeader || !cookieHeader.includes(OWNER_COOKIE)) return false;
  const value = cookieHeader
    .split(";")
    .map((c) => c.trim())
    .find((c) => c.startsWith(`${OWNER_COOKIE}=`))
    ?.slice(OWNER_COOKIE.length + 1);
  const [expires, signature] = (value ?? "").split(".");
  if (!expires || !signature || Number(expires) < Date.now() / 1000) return false;
  try {
    const expected = Buffer.from(mac(db, expires));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  } catch {
    return false;
  }
}
