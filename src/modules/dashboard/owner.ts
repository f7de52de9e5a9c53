/**
 * The owner cookie: signing in to the dashboard marks this browser as the job seeker's,
 * so that their own test clicks on their links count as "owner", never as a recruiter's.
 * The cookie holds an expiry and an HMAC of it (key made once, kept in settings); it is
 * HttpOnly and SameSite=Lax, and carries no API key.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Store } from "../../db/store";

export const OWNER_COOKIE = "lt_owner";
const LIFETIME_S = 365 * 86_400;

/** Whether a Cookie header carries an owner cookie at all (most requests: no, and nothing is awaited). */
export const hasOwnerCookie = (cookieHeader: string | null): cookieHeader is string => !!cookieHeader && cookieHeader.includes(OWNER_COOKIE);

/** The cookie's signing key, made once and kept in settings; read once per process. */
export class OwnerCookies {
  private key: Promise<Buffer> | null = null;

  constructor(private readonly store: Store) {}

  private keyOf(): Promise<Buffer> {
    this.key ??= this.store.settings
      .getOrCreate("owner_cookie_key", () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64"))
      .then((value) => Buffer.from(value, "base64"))
      .catch((error) => {
        this.key = null;
        throw error;
      });
    return this.key;
  }

  private async mac(payload: string): Promise<string> {
    return createHmac("sha256", await this.keyOf()).update(payload).digest("base64url");
  }

  async cookie(secure: boolean): Promise<string> {
    const expires = Math.floor(Date.now() / 1000) + LIFETIME_S;
    const value = `${expires}.${await this.mac(String(expires))}`;
    return `${OWNER_COOKIE}=${value}; Path=/; Max-Age=${LIFETIME_S}; HttpOnly; SameSite=Lax${secure ? "; Secure" : ""}`;
  }

  /** True when the request carries a valid, unexpired owner cookie (no cookie: answered at once). */
  async isOwnerBrowser(cookieHeader: string | null): Promise<boolean> {
    if (!hasOwnerCookie(cookieHeader)) return false;
    const value = cookieHeader
      .split(";")
      .map((c) => c.trim())
      .find((c) => c.startsWith(`${OWNER_COOKIE}=`))
      ?.slice(OWNER_COOKIE.length + 1);
    const [expires, signature] = (value ?? "").split(".");
    if (!expires || !signature || Number(expires) < Date.now() / 1000) return false;
    try {
      const expected = Buffer.from(await this.mac(expires));
      const given = Buffer.from(signature);
      return expected.length === given.length && timingSafeEqual(expected, given);
    } catch {
      return false;
    }
  }
}

export const clearOwnerCookie = (secure: boolean) => `${OWNER_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax${secure ? "; Secure" : ""}`;
