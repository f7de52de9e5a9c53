import { Elysia } from "elysia";
import { z } from "zod";
import { ERROR_MODELS, errorResponses } from "../../lib/openapi";
import { authPlugin, type ModuleContext } from "../auth";
import { eraseClicksFromIp } from "./service";

export const privacyModule = ({ store, config, ...auth }: ModuleContext) =>
  new Elysia({ prefix: "/api/link-tracking", tags: ["Privacy"] })
    .use(authPlugin(auth))
    .model(ERROR_MODELS)
    .delete("/clicks", ({ query }) => eraseClicksFromIp(store, config, query.ip), {
      auth: "admin",
      query: z.object({ ip: z.string({ error: "Missing required query parameter: ip" }).max(64, "ip must be a valid IPv4 or IPv6 address") }),
      response: { 200: z.object({ ip: z.string(), clicks_deleted: z.number().int() }), ...errorResponses(400, 401, 403, 413, 415, 429, 503) },
      detail: { operationId: "eraseClicksFromIp", summary: "Erase every click from one IP address (a person's request to be forgotten)" },
    });
