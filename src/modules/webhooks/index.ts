import { Elysia } from "elysia";
import { z } from "zod";
import { authPlugin, type ModuleContext } from "../auth";
import { CreateWebhook, FeedQuery, PatchWebhook } from "./model";
import { createWebhook, deliveryLog, feed, listWebhooks, patchWebhook, redeliver, removeWebhook } from "./service";

const IdParam = z.object({ id: z.string().max(100) });

export const webhooksModule = ({ store, config, ...auth }: ModuleContext) =>
  new Elysia({ prefix: "/api/link-tracking", tags: ["Signals"] })
    .use(authPlugin(auth))
    .get("/events", ({ query }) => feed(store, Number(query.after ?? 0), query.limit ?? 100), {
      auth: "read",
      query: FeedQuery,
      detail: { operationId: "listEvents", summary: "The signals in order, for systems that cannot take webhooks: ask again with next_cursor" },
    })
    .post(
      "/webhooks",
      ({ body, set }) => {
        set.status = 201;
        return createWebhook(store, body, config.webhookAllowPrivate);
      },
      { auth: "admin", parse: "json", body: CreateWebhook, detail: { operationId: "createWebhook", summary: "Add a webhook endpoint; its secret is shown once" } },
    )
    .get("/webhooks", () => listWebhooks(store), { auth: "admin", detail: { operationId: "listWebhooks", summary: "Webhook endpoints (never their secrets)" } })
    .patch("/webhooks/:id", ({ params, body }) => patchWebhook(store, params.id, body, config.webhookAllowPrivate), {
      auth: "admin",
      parse: "json",
      params: IdParam,
      body: PatchWebhook,
      detail: { operationId: "updateWebhook", summary: "Change an endpoint's URL, event types, description, or turn it off" },
    })
    .delete("/webhooks/:id", ({ params }) => removeWebhook(store, params.id), { auth: "admin", params: IdParam, detail: { operationId: "deleteWebhook", summary: "Remove an endpoint" } })
    .get("/webhooks/:id/deliveries", ({ params }) => deliveryLog(store, params.id), {
      auth: "admin",
      params: IdParam,
      detail: { operationId: "listWebhookDeliveries", summary: "The last 50 deliveries: attempts, status codes, next retry" },
    })
    .post("/webhooks/:id/deliveries/:delivery/redeliver", ({ params }) => redeliver(store, params.id, params.delivery), {
      auth: "admin",
      params: z.object({ id: z.string().max(100), delivery: z.coerce.number({ error: "delivery must be a delivery id" }).int().positive() }),
      detail: { operationId: "redeliverWebhook", summary: "Send a delivery again" },
    });
