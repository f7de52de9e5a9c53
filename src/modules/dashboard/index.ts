/**
 * /dashboard: the job seeker's pages, embedded in the binary (no CDN, no files beside
 * it). The browser keeps the API key in sessionStorage and sends it as a header; signing
 * in also sets the owner cookie (owner.ts).
 */
import { Elysia } from "elysia";
import { z } from "zod";
import { Forbidden } from "../../lib/errors";
import { ERROR_MODELS, errorResponses } from "../../lib/openapi";
import type { ModuleContext } from "../auth";
import { allows, SCOPES } from "../auth/service";
import { isLocalOrigin } from "../links/origin";
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

const SignedIn = z
  .object({
    scope: z.enum(SCOPES),
    name: z.string(),
    public_base_url: z.string().describe("The origin tracked URLs get (PUBLIC_BASE_URL)"),
    local_links: z.boolean().describe("Whether that origin is this computer's (PUBLIC_BASE_URL unset or loopback): links that cannot be sent"),
  })
  .describe("The key's scope and name, and the origin links get; the owner cookie is set");
const SignedOut = z.object({ signed_out: z.literal(true) });

export const dashboardModule = ({ config, gate, owner }: ModuleContext & { owner: OwnerCookies }) => {
  const secure = config.publicBaseUrl.startsWith("https:");
  return new Elysia({ prefix: "/dashboard" })
    .model(ERROR_MODELS)
    // Imported as text (Bun's types take .html for a bundle).
    .get("/", () => asset(indexHtml as unknown as string, "text/html; charset=utf-8"), hide)
    .get("/app.js", () => asset(appJs, "text/javascript; charset=utf-8"), hide)
    .get("/app.css", () => asset(appCss, "text/css; charset=utf-8"), hide)
    .post(
      "/session",
      async ({ request, set }) => {
        // Checked as the request arrived (app.ts), with the API's failure limit per client network.
        const principal = await gate(request);
        if (!allows(principal.scope, "read")) throw new Forbidden("read");
        set.headers["set-cookie"] = await owner.cookie(secure);
        return { scope: principal.scope, name: principal.name, public_base_url: config.publicBaseUrl, local_links: isLocalOrigin(config.publicBaseUrl) };
      },
      {
        response: { 200: SignedIn, ...errorResponses(400, 401, 403, 413, 415, 429) },
        detail: { tags: ["Dashboard"], operationId: "signInDashboard", summary: "Sign in to the dashboard: checks the key, marks this browser as the owner's (HttpOnly cookie)", security: [] },
      },
    )
    .delete(
      "/session",
      ({ set }) => {
        set.headers["set-cookie"] = clearOwnerCookie(secure);
        return { signed_out: true };
      },
      {
        response: { 200: SignedOut, ...errorResponses(400, 413, 415, 429) },
        detail: { tags: ["Dashboard"], operationId: "signOutDashboard", summary: "Sign out: this browser's clicks count as anyone's again", security: [] },
      },
    );
};
