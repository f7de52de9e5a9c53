import { Elysia } from "elysia";
import { z } from "zod";
import { ERROR_MODELS, errorResponses } from "../../lib/openapi";
import { authPlugin, type ModuleContext } from "../auth";
import { ApplicationIdParam, ApplicationLabel, ApplicationListQuery, ApplicationPage, ApplicationView } from "./model";
import { getApplication, labelApplication, listApplications } from "./service";

export const applicationsModule = ({ store, config, ...auth }: ModuleContext) =>
  new Elysia({ prefix: "/api/link-tracking", tags: ["Applications"] })
    .use(authPlugin(auth))
    .model(ERROR_MODELS)
    .put("/applications/:application_id", ({ params, body }) => labelApplication(store, params.application_id, body), {
      auth: "admin",
      params: ApplicationIdParam,
      body: ApplicationLabel,
      response: { 200: ApplicationView, ...errorResponses(400, 401, 403, 413, 415, 429, 503) },
      detail: {
        operationId: "labelApplication",
        summary: "Name an application (company, role, job, sent date, notes), or change its name",
        description: "Fields left out keep their value; null clears one. Every answer that shows the application then shows its label.",
      },
    })
    .get("/applications", ({ query }) => listApplications(store, query), {
      auth: "read",
      query: ApplicationListQuery,
      response: { 200: ApplicationPage, ...errorResponses(400, 401, 403, 429, 503) },
      detail: {
        operationId: "listApplications",
        summary: "Every application, named or known by its links only, most recent first, a page at a time",
        description:
          "50 a page unless `limit` says (up to 500); `next_cursor` asks for the next page, null on the last. With `company` and/or `role`, only the named applications that match both (case and outer spaces aside), in one page: what a form asks before making a second one.",
      },
    })
    .get("/applications/:application_id", ({ params }) => getApplication(store, params.application_id), {
      auth: "read",
      params: ApplicationIdParam,
      response: { 200: ApplicationView, ...errorResponses(400, 401, 403, 404, 429, 503) },
      detail: { operationId: "getApplication", summary: "One application's name and links count" },
    });
