import { Elysia } from "elysia";
import QRCode from "qrcode";
import { z } from "zod";
import { ERROR_MODELS, errorResponseDocs, errorResponses, jsonContent } from "../../lib/openapi";
import { authPlugin, type ModuleContext } from "../auth";
import { BulkApplication, CreatedLinks, CreateLink, DeletedLink, DownLinks, LinkPage, LinkView, ListQuery, MAX_BULK_LINKS, PatchLink, RecordedClick } from "./model";
import { ClickEvent } from "../ingest/model";
import { recordClick } from "../ingest/service";
import { checkLink, createLink, createLinks, deleteLink, downLinks, getLink, listLinkViews, lookupLink, patchLink } from "./service";

const IdParams = z.object({ tracking_id: z.string().max(100, "tracking_id exceeds 100 characters") });

export const linksModule = ({ store, config, ...auth }: ModuleContext) =>
  new Elysia({ prefix: "/api/link-tracking", tags: ["Links"] })
    .use(authPlugin(auth))
    .model(ERROR_MODELS)
    .post(
      "/links",
      ({ body, set }) => {
        set.status = 201;
        return createLink(store, config, body);
      },
      {
        auth: "admin",
        // Read by app.ts's size-limited JSON parser first; naming "json" here is what puts
        // the body's schema into the OpenAPI document.
        parse: "json",
        body: CreateLink,
        response: { 201: LinkView, ...errorResponses(400, 401, 403, 409, 413, 415, 429, 503) },
        detail: {
          operationId: "createLink", summary: "Create a tracked link",
          description: "Answers the stored link with its redirect_url, the URL to put in a résumé. A taken custom tracking_id is 409.",
        },
      },
    )
    .post(
      "/links/bulk",
      async ({ body, set }) => {
        set.status = 201;
        return createLinks(store, config, body);
      },
      {
        auth: "admin",
        response: { 201: CreatedLinks, ...errorResponses(400, 401, 403, 409, 413, 415, 429, 503) },
        detail: {
          operationId: "createLinks", summary: `Create up to ${MAX_BULK_LINKS} links at once (all or none)`,
          requestBody: {
            required: true,
            content: jsonContent(z.object({ links: z.array(CreateLink).min(1).max(MAX_BULK_LINKS), application: BulkApplication.optional() })),
          },
        },
      },
    )
    .get("/links", ({ query }) => listLinkViews(store, query), {
      auth: "read",
      query: ListQuery,
      response: { 200: LinkPage, ...errorResponses(400, 401, 403, 429, 503) },
      detail: { operationId: "listLinks", summary: "List links, newest first, with their human click counts; filters and cursor pagination" },
    })
    .get("/lookup/:tracking_id", ({ params }) => lookupLink(store, params.tracking_id), {
      auth: "ingest",
      params: IdParams,
      response: { 200: LinkView, ...errorResponses(400, 401, 403, 404, 429, 503) },
      detail: {
        operationId: "lookupLink", summary: "Resolve a link for a redirect node (LOOKUP_API_URL/{tracking_id})",
        description: "Inactive and expired links are answered too, with is_active false, so the node can answer 410. Unknown ids: 404.",
      },
    })
    .get("/lookup", ({ query }) => lookupLink(store, query.uuid), {
      auth: "ingest",
      query: z.object({ uuid: z.string({ error: "Missing required query parameter: uuid" }).max(100, "uuid exceeds 100 characters") }),
      response: { 200: LinkView, ...errorResponses(400, 401, 403, 404, 429, 503) },
      detail: { operationId: "lookupLinkByUuid", summary: "Resolve a link: ?uuid={tracking_id}" },
    })
    .post(
      "/record-click",
      async ({ body, request, set }) => {
        const { click, created } = await recordClick(store, config, auth, request.headers.get("content-type") ?? undefined, body);
        set.status = created ? 201 : 200;
        return click;
      },
      {
        auth: "ingest",
        response: { 201: RecordedClick, 200: RecordedClick, ...errorResponses(400, 401, 403, 413, 415, 429, 503) },
        detail: {
          operationId: "recordClick", summary: "Record one click (same fields and idempotency as an ingest event)",
          description: "201 with status recorded; 200 with status duplicate when the event was already stored.",
          requestBody: { required: true, content: jsonContent(ClickEvent) },
        },
      },
    )
    .get("/links/:tracking_id", ({ params }) => getLink(store, params.tracking_id), {
      auth: "read",
      params: IdParams,
      response: { 200: LinkView, ...errorResponses(400, 401, 403, 404, 429, 503) },
      detail: { operationId: "getLink", summary: "One link" },
    })
    .post("/links/:tracking_id/check", ({ params }) => checkLink(store, params.tracking_id, { allowPrivate: config.destinationCheckAllowPrivate }), {
      auth: "admin",
      params: IdParams,
      response: { 200: LinkView, ...errorResponses(400, 401, 403, 404, 413, 415, 429, 503) },
      detail: {
        operationId: "checkLinkDestination", summary: "Check now whether the link's destination answers",
        description:
          "A HEAD (a one-byte GET where HEAD is refused), redirects followed up to 5, 10 s in all. Answers the link with its destination's state: " +
          "down after two failed checks in a row (status 400 or more but 401, 403 and 429; no answer; DNS or TLS failure), up at the first that passes. " +
          "Loopback, private and link-local destinations are refused unless DESTINATION_CHECK_ALLOW_PRIVATE=true.",
      },
    })
    .get("/destinations/down", () => downLinks(store), {
      auth: "read",
      response: { 200: DownLinks, ...errorResponses(401, 403, 429, 503) },
      detail: { operationId: "listDownLinks", summary: "Active links whose destination is down (two failed checks in a row), longest down first (at most 200)" },
    })
    .get(
      "/links/:tracking_id/qr.svg",
      async ({ params }) =>
        new Response(await QRCode.toString((await getLink(store, params.tracking_id)).redirect_url, { type: "svg", margin: 2 }), {
          headers: { "Content-Type": "image/svg+xml", "Cache-Control": "no-store" },
        }),
      {
        auth: "read",
        params: IdParams,
        detail: {
          operationId: "getLinkQrCode",
          summary: "A QR code (SVG) of the link's tracked URL, for a printed résumé",
          responses: {
            200: { description: "The QR code of redirect_url", content: { "image/svg+xml": { schema: { type: "string" } } } },
            ...errorResponseDocs(400, 401, 403, 404, 429, 503),
          },
        },
      },
    )
    .patch("/links/:tracking_id", ({ params, body }) => patchLink(store, params.tracking_id, body), {
      auth: "admin",
      params: IdParams,
      parse: "json",
      body: PatchLink,
      response: { 200: LinkView, ...errorResponses(400, 401, 403, 404, 413, 415, 429, 503) },
      detail: { operationId: "updateLink", summary: "Activate, deactivate, change the destination, expiry, description or ids" },
    })
    .delete("/links/:tracking_id", ({ params }) => deleteLink(store, params.tracking_id), {
      auth: "admin",
      params: IdParams,
      response: { 200: DeletedLink, ...errorResponses(400, 401, 403, 404, 413, 415, 429, 503) },
      detail: { operationId: "deleteLink", summary: "Delete a link and all its clicks" },
    });
