/**
 * The OpenAPI page at /swagger. Its script and stylesheet are embedded in the binary and
 * served from here: the plugin's default loads them from a CDN, and a VPS without
 * outbound internet would show a blank page.
 */
import { openapi } from "@elysiajs/openapi";
import { Elysia } from "elysia";
import { z } from "zod";
import swaggerCss from "swagger-ui-dist/swagger-ui.css" with { type: "file" };
import swaggerJs from "swagger-ui-dist/swagger-ui-bundle.js" with { type: "file" };
import { VERSION } from "../../version";

const ASSETS = "/swagger/assets";

export const docsModule = () =>
  new Elysia()
    .get(`${ASSETS}/swagger-ui.css`, () => Bun.file(swaggerCss), { detail: { hide: true } })
    .get(`${ASSETS}/swagger-ui-bundle.js`, () => Bun.file(swaggerJs), { detail: { hide: true } })
    .use(
      openapi({
        path: "/swagger",
        provider: "swagger-ui",
        swagger: { cdn: `${ASSETS}/swagger-ui-bundle.js`, theme: `${ASSETS}/swagger-ui.css` },
        mapJsonSchema: { zod: z.toJSONSchema },
        documentation: {
          info: {
            title: "link-tracker",
            version: VERSION,
            description:
              "Redirect-and-click-tracking server. API routes take `X-API-Key: KEY` or `Authorization: Bearer KEY`.",
          },
          components: {
            securitySchemes: {
              apiKey: { type: "apiKey", in: "header", name: "X-API-Key" },
              bearer: { type: "http", scheme: "bearer" },
            },
          },
          security: [{ apiKey: [] }, { bearer: [] }],
        },
        exclude: { paths: [/^\/swagger/] },
      }),
    );
