import { Elysia } from "elysia";
import { z } from "zod";
import type { Config } from "../../config";
import type { Db } from "../../db";
import { authPlugin } from "../auth";
import { eraseClicksFromIp } from "./service";

export const privacyModule = (db: Db, config: Config) =>
  new Elysia({ prefix: "/api/link-tracking", tags: ["Privacy"] })
    .use(authPlugin(db, config))
    .delete("/clicks", ({ query }) => eraseClicksFromIp(db, config, query.ip), {
      auth: "admin",
      query: z.object({ ip: z.string({ error: "Missing required query parameter: ip" }).max(64, "ip must be a valid IPv4 or IPv6 address") }),
      detail: { summary: "Erase every click from one IP address (a person's request to be forgotten)" },
    });
