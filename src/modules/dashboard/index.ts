/**
 * /dashboard: the job seeker's pages, embedded in the binary (no CDN, no files beside
 * it). Signing in with a key opens a server-side session (auth/sessions.ts): the browser
 * keeps a cookie, never the key, and every API request of the dashboard carries it. It
 * also sets the owner cookie (owner.ts).
 */
import { Elysia } from "elysia";
import { z } from "zod";
import { Forbidden, Unauthorized } from "../../lib/errors";
import { ERROR_MODELS, errorResponses } from "../../lib/openapi";
import { authPlugin, type ModuleContext } from "../auth";
import { allows, presentedKey, SCOPES } from "../auth/service";
import { isLocalOrigin } from "../links/origin";
import type { DashboardSession } from "../../db/store";
import { clearCookie, setCookie } from "../../lib/cookies";
import { nowIso } from "../../lib/time";
import { fromOwnOrigin, hasSessionCookie, openSession, REMEMBER_MS, SESSION_COOKIE, sessionOf } from "../auth/sessions";
import { clearOwnerCookie, type OwnerCookies } from "./owner";
import appCss from "./web/app.css" with { type: "text" };
import appJs from "./web/app.js" with { type: "text" };
import indexHtml from "./web/index.html" with { type: "text" };

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY = { "Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store" };

const asset = (body: string | Blob, type: string) => new Response(body, { headers: { ...SECURITY, "Content-Type": type } });
const hide = { detail: { hide: true } };

const SignIn = z
  .object({ remember: z.boolean().optional().describe("Remember this browser for 30 days (default: until the browser closes, 12 hours at most)") })
  .strict()
  .describe("How long the session lasts; the body may be left out");

const SignedIn = z
  .object({
    signed_in: z.literal(true),
    scope: z.enum(SCOPES),
    name: z.string(),
    public_base_url: z.string().describe("The origin tracked URLs get (PUBLIC_BASE_URL)"),
    local_links: z.boolean().describe("Whether that origin is this computer's (PUBLIC_BASE_URL unset or loopback): links that cannot be sent"),
    remember: z.boolean().describe("Whether the session outlives the browser's"),
    expires_at: z.string().describe("When the session ends at the latest (ISO 8601)"),
  })
  .describe("The session: the key's scope and name, how long it lasts, and the origin links get");
const Session = z
  .discriminatedUnion("signed_in", [SignedIn, z.object({ signed_in: z.literal(false) }).describe("No session: no cookie, or its session has ended")])
  .describe("This browser's session, if it has one");
const SignedOut = z.object({ signed_out: z.literal(true), sessions_ended: z.number().int().min(0).describe("Sessions ended by this request") });

export const dashboardModule = ({ store, config, gate, owner }: ModuleContext & { owner: OwnerCookies }) => {
  const secure = config.publicBaseUrl.startsWith("https:");
  const cookieOptions = { sameSite: "Strict" as const, secure };
  const signedIn = (session: DashboardSession) => ({
    signed_in: true as const,
    scope: session.scope,
    name: session.keyName,
    public_base_url: config.publicBaseUrl,
    local_links: isLocalOrigin(config.publicBaseUrl),
    remember: session.remember,
    expires_at: session.expiresAt,
  });
  const signedOut = (set: { headers: Record<string, unknown> }, ended: number) => {
    set.headers["set-cookie"] = [clearCookie(SESSION_COOKIE, cookieOptions), clearOwnerCookie(secure)];
    return { signed_out: true as const, sessions_ended: ended };
  };
  return new Elysia({ prefix: "/dashboard" })
    .use(authPlugin({ gate }))
    .model(ERROR_MODELS)
    // Imported as text (Bun's types take .html for a bundle).
    .get("/", () => asset(indexHtml as unknown as string, "text/html; charset=utf-8"), hide)
    .get("/app.js", () => asset(appJs, "text/javascript; charset=utf-8"), hide)
    .get("/app.css", () => asset(appCss, "text/css; charset=utf-8"), hide)
    .post(
      "/session",
      async ({ request, body, set }) => {
        // Checked as the request arrived (app.ts), with the API's failure limit per client network.
        const principal = await gate(request);
        const presented = presentedKey(request.headers);
        if (!presented) throw new Unauthorized();
        if (!allows(principal.scope, "read")) throw new Forbidden("read");
        const remember = body?.remember ?? false;
        const { session, token } = await openSession(store, { name: principal.name, scope: principal.scope, presented }, { remember, userAgent: request.headers.get("user-agent") });
        const maxAge = remember ? REMEMBER_MS / 1000 : undefined;
        set.headers["set-cookie"] = [setCookie(SESSION_COOKIE, token, { ...cookieOptions, maxAge }), await owner.cookie(session, secure, maxAge)];
        return signedIn(session);
      },
      {
        body: SignIn.optional(),
        response: { 200: SignedIn, ...errorResponses(400, 401, 403, 413, 415, 429, 503) },
        detail: {
          tags: ["Dashboard"],
          operationId: "signInDashboard",
          summary: "Sign in to the dashboard with a key (X-API-Key or Bearer): opens a session (HttpOnly cookie) and marks this browser as the owner's",
          security: [],
        },
      },
    )
    // No session is an answer, not an error: a dashboard opening asks before it shows the sign-in page.
    .get("/session", async ({ request }) => {
      const session = fromOwnOrigin(request) && hasSessionCookie(request.headers) ? await sessionOf(store, config, request.headers.get("cookie")) : null;
      return session ? signedIn(session) : { signed_in: false as const };
    }, {
      response: { 200: Session, ...errorResponses(429, 503) },
      detail: { tags: ["Dashboard"], operationId: "dashboardSession", summary: "This browser's dashboard session, from its cookie", security: [] },
    })
    .delete(
      "/session",
      async ({ request, set }) => {
        // Signing out always works: the cookie's session ends if it still held, and the cookies go.
        const session = hasSessionCookie(request.headers) ? await sessionOf(store, config, request.headers.get("cookie")) : null;
        return signedOut(set, session ? await store.sessions.revoke({ id: session.id }, nowIso()) : 0);
      },
      {
        response: { 200: SignedOut, ...errorResponses(400, 413, 415, 429, 503) },
        detail: { tags: ["Dashboard"], operationId: "signOutDashboard", summary: "Sign out: ends this browser's session; its clicks count as anyone's again", security: [] },
      },
    )
    .delete(
      "/sessions",
      async ({ request, set }) => {
        const principal = await gate(request);
        return signedOut(set, await store.sessions.revoke({ keyName: principal.name }, nowIso()));
      },
      {
        // Any key or session: what it ends is its own key's.
        auth: "ingest",
        response: { 200: SignedOut, ...errorResponses(400, 401, 403, 413, 415, 429, 503) },
        detail: {
          tags: ["Dashboard"],
          operationId: "signOutEverywhere",
          summary: "Sign out everywhere: ends every dashboard session opened with this session's key (or the key sent), in every browser",
        },
      },
    );
};
