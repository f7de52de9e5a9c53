/** Reading one cookie from a Cookie header, and writing a Set-Cookie line. */

/** The value of cookie `name` in a Cookie header, or undefined. */
export function cookieValue(header: string | null, name: string): string | undefined {
  if (!header || !header.includes(name)) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export type CookieOptions = {
  /** Seconds; absent: a browser-session cookie, gone when the browser closes. */
  maxAge?: number;
  sameSite: "Strict" | "Lax";
  secure: boolean;
};

/** A Set-Cookie value: always HttpOnly, on the whole site. */
export const setCookie = (name: string, value: string, { maxAge, sameSite, secure }: CookieOptions): string =>
  `${name}=${value}; Path=/${maxAge === undefined ? "" : `; Max-Age=${maxAge}`}; HttpOnly; SameSite=${sameSite}${secure ? "; Secure" : ""}`;

/** A Set-Cookie value that removes the cookie. */
export const clearCookie = (name: string, options: Omit<CookieOptions, "maxAge">): string => setCookie(name, "", { ...options, maxAge: 0 });
