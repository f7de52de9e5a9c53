/**
 * The OpenAPI page at /swagger. Its script and stylesheet are embedded in the binary and
 * served from here: the plugin's default loads them from a CDN, and a VPS without
 * outbound internet would show a blank page.
 */
import { openapi } from "@elysiajs/openapi";
import { Elysia } from "elysia";
import swaggerCss from "swagger-ui-dist/swagger-ui.css" with { type: "file" };
import swaggerJs from "swagger-ui-dist/swagger-ui-bundle.js" with { type: "file" };
import type { Config } from "../../config";
import { toJsonSchema } from "../../lib/openapi";
import { VERSION } from "../../version";

const ASSETS = "/swagger/assets";

// Served by a handler of ours rather than the plugin's page: the plugin answers with a
// prebuilt Response, which Bun's native router placed behind the `/:source` redirect route.
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>link-tracker API</title>
<link rel="stylesheet" href="${ASSETS}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${ASSETS}/swagger-ui-bundle.js"></script>
<script src="${ASSETS}/init.js"></script>
</body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({ url: "/swagger/json", dom_id: "#swagger-ui", deepLinking: true });\n`;

const hide = { detail: { hide: true } };

// Swagger UI sets inline styles and shows data: images; everything else comes from here.
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const served = (body: string | Blob, type: string) =>
  new Response(body, { headers: { "Content-Type": type, "Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer" } });

export const docsModule = (config: Pick<Config, "publicBaseUrl">) =>
  new Elysia()
    .get("/swagger", () => served(PAGE, "text/html; charset=utf-8"), hide)
    .get(`${ASSETS}/init.js`, () => served(INIT, "text/javascript; charset=utf-8"), hide)
    .get(`${ASSETS}/swagger-ui.css`, () => served(Bun.file(swaggerCss), "text/css; charset=utf-8"), hide)
    .get(`${ASSETS}/swagger-ui-bundle.js`, () => served(Bun.file(swaggerJs), "text/javascript; charset=utf-8"), hide)
    .use(
      openapi({
        path: "/swagger",
        specPath: "/swagger/json",
        provider: null,
        mapJsonSchema: { zod: toJsonSchema },
        documentation: {
          info: {
            title: "link-tracker",
            version: VERSION,
            description:
              "Redirect-and-click-tracking server. API routes take `X-API-Key: KEY` or `Authorization: Bearer KEY`.",
            license: { name: "MIT", identifier: "MIT" },
          },
          // The origin this server answers on (PUBLIC_BASE_URL), which generated clients call.
          servers: [{ url: config.publicBaseUrl, description: "this link-tracker" }],
          components: {
            securitySchemes: {
              apiKey: { type: "apiKey", in: "header", name: "X-API-Key" },
              bearer: { type: "http", scheme: "bearer" },
              dashboardSession: {
                type: "apiKey",
                in: "cookie",
                name: "lt_session",
                description: "The dashboard's session (POST /dashboard/session), taken from the dashboard's own origin only",
              },
            },
          },
          security: [{ apiKey: [] }, { bearer: [] }, { dashboardSession: [] }],
          tags: [
            { name: "Links", description: "Create, list, change and delete tracked links; lookup and record-click for redirect nodes" },
            { name: "Applications", description: "Applications by name: company, role, sent date and notes for an application_id" },
            { name: "Analytics", description: "Clicks per link, application, job and overall; the CSV export; orphan visits" },
            { name: "Tracking ingest", description: "Click batches from redirect nodes (the tracking-ingest guide's API)" },
            { name: "Signals", description: "Webhooks and the polling event feed: first human clicks, returns, orphan hits" },
            { name: "Privacy", description: "Erasing an address's clicks" },
            { name: "Operations", description: "Health and Prometheus metrics" },
            { name: "Dashboard", description: "The dashboard's session (the owner cookie)" },
          ],
        },
        // staticFile: the plugin would otherwise leave out every path with an extension, clicks.csv among them.
        exclude: { paths: [/^\/swagger/], staticFile: false },
      }),
    );
