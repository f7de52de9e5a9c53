import { Elysia } from "elysia";
import { z } from "zod";
import { authPlugin, type ModuleContext } from "../auth";
import { eraseClicksFromIp } from "./service";

export const privacyModule = ({ store, config, ...auth }: ModuleContext) =>
  new Elysia({ prefix: "/api/link-tracking", tags: ["Privacy"] })
    .use(authPlugin(auth))
    .delete("/clicks", ({ query }) => eraseClicksFromIp(store, config, query.ip), {
      auth: "admin",
      query: z.object({ ip: z.string({ error: "Missing required query parameter: ip" }).max(64, "ip must be a valid IPv4 or IPv6 address") }),
      detail: { operationId: "eraseClicksFromIp", summary: "Erase every click from one IP address (a person's request to be forgotten)" },
    });
