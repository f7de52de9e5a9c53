import { Elysia } from "elysia";
import { z } from "zod";
import { settleInSlices } from "../../db/inbox";
import { authPlugin, type ModuleContext } from "../auth";
import { eraseClicksFromIp } from "./service";

export const privacyModule = ({ db, config, ...auth }: ModuleContext) =>
  new Elysia({ prefix: "/api/link-tracking", tags: ["Privacy"] })
    .use(authPlugin(auth))
    .delete("/clicks", ({ query }) => eraseClicksFromIp(db, config, query.ip), {
      auth: "admin",
      // The clicks waiting in the inbox are moved first, in slices that let redirects go on.
      beforeHandle: () => settleInSlices(db),
      query: z.object({ ip: z.string({ error: "Missing required query parameter: ip" }).max(64, "ip must be a valid IPv4 or IPv6 address") }),
      detail: { summary: "Erase every click from one IP address (a person's request to be forgotten)" },
    });
