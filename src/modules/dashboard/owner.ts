/**
 * The owner cookie: a signed-in dashboard marks its browser as the job seeker's, so that
 * their own test clicks on their links count as "owner", never as a recruiter's. It names
 * the dashboard session it came with (sessions.ts) and an HMAC of that id (key made once,
 * kept in settings): it counts while that session holds, so signing out, "sign out
 * everywhere" and a revoked key end it too, and it lives as long as the session's cookie.
 * HttpOnly and SameSite=Lax (a recruiter's click is a navigation from another site, and so
 * is the owner's own test from a mail), and it carries no key.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Config } from "../../config";
import type { DashboardSession, Store } from "../../db/store";
import { clearCookie, cookieValue, setCookie } from "../../lib/cookies";
import { holds } from "../auth/sessions";

export const OWNER_COOKIE = "lt_owner";

/** Whether a Cookie header carries an owner cookie at all (most requests: no, and nothing is awaited). */
export const hasOwnerCookie = (cookieHeader: string | null): cookieHeader is string => !!cookieHeader && cookieHeader.includes(OWNER_COOKIE);

/** The cookie's signing key, made once and kept in settings; read once per process. */
export class OwnerCookies {
  private key: Promise<Buffer> | null = null;

  constructor(
    private readonly store: Store,
    private readonly config: Config,
  ) {}

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

  /** The Set-Cookie value for `session`'s browser: as long-lived as the session's own cookie. */
  async cookie(session: DashboardSession, secure: boolean, maxAge: number | undefined): Promise<string> {
    return setCookie(OWNER_COOKIE, `${session.id}.${await this.mac(session.id)}`, { maxAge, sameSite: "Lax", secure });
  }

  /** True when the request carries an owner cookie, signed here, whose session still holds (no cookie: answered at once). */
  async isOwnerBrowser(cookieHeader: string | null): Promise<boolean> {
    if (!hasOwnerCookie(cookieHeader)) return false;
    const [id, signature] = (cookieValue(cookieHeader, OWNER_COOKIE) ?? "").split(".");
    if (!id || !signature) return false;
    try {
      const expected = Buffer.from(await this.mac(id));
      const given = Buffer.from(signature);
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) return false;
      // Signed here: only now is the database asked (a forged cookie costs a hash, no read).
      return await holds(this.store, this.config, await this.store.sessions.find(id));
    } catch {
      return false;
    }
  }
}

export const clearOwnerCookie = (secure: boolean) => clearCookie(OWNER_COOKIE, { sameSite: "Lax", secure });
