import { Elysia } from "elysia";
import { z } from "zod";
import { authPlugin, type ModuleContext } from "../auth";
import { createMailer } from "../../lib/mail";
import { ERROR_MODELS, errorResponses } from "../../lib/openapi";
import { CreatedWebhook, CreateWebhook, DeletedWebhook, DeliveryView, EventFeed, FeedQuery, PatchWebhook, Redelivery, WebhookTest, WebhookView } from "./model";
import { createWebhook, deliveryLog, feed, listWebhooks, patchWebhook, redeliver, removeWebhook, testWebhook } from "./service";

const IdParam = z.object({ id: z.string().max(100) });

export const webhooksModule = ({ store, config, ...auth }: ModuleContext) => {
  // E-mail channels' tests go through the relay (loaded at the first message).
  const mailer = config.smtp ? createMailer(config.smtp) : null;
  return new Elysia({ prefix: "/api/link-tracking", tags: ["Signals"] })
    .use(authPlugin(auth))
    .model(ERROR_MODELS)
    .get("/events", ({ query }) => feed(store, Number(query.after ?? 0), query.limit ?? 100), {
      auth: "read",
      query: FeedQuery,
      response: { 200: EventFeed, ...errorResponses(400, 401, 403, 429, 503) },
      detail: { operationId: "listEvents", summary: "The signals in order, for systems that cannot take webhooks: ask again with next_cursor" },
    })
    .post(
      "/webhooks",
      ({ body, set }) => {
        set.status = 201;
        return createWebhook(store, body, config.webhookAllowPrivate, mailer !== null);
      },
      {
        auth: "admin",
        parse: "json",
        body: CreateWebhook,
        response: { 201: CreatedWebhook, ...errorResponses(400, 401, 403, 413, 415, 429, 503) },
        detail: {
          operationId: "createWebhook", summary: "Add a webhook endpoint or a person's channel (ntfy, Slack, Discord, Teams, Google Chat, Telegram); its secret is shown once",
          description: "format standard-webhooks (the default) delivers signed JSON; the others deliver the event in words, in that service's message shape. A token is never shown back.",
        },
      },
    )
    .get("/webhooks", () => listWebhooks(store), {
      auth: "admin",
      response: { 200: z.array(WebhookView), ...errorResponses(401, 403, 429, 503) },
      detail: { operationId: "listWebhooks", summary: "Webhook endpoints (never their secrets)" },
    })
    .patch("/webhooks/:id", ({ params, body }) => patchWebhook(store, params.id, body, config.webhookAllowPrivate), {
      auth: "admin",
      parse: "json",
      params: IdParam,
      body: PatchWebhook,
      response: { 200: WebhookView, ...errorResponses(400, 401, 403, 404, 413, 415, 429, 503) },
      detail: { operationId: "updateWebhook", summary: "Change an endpoint's URL, event types, description, or turn it off" },
    })
    .delete("/webhooks/:id", ({ params }) => removeWebhook(store, params.id), {
      auth: "admin",
      params: IdParam,
      response: { 200: DeletedWebhook, ...errorResponses(400, 401, 403, 404, 413, 415, 429, 503) },
      detail: { operationId: "deleteWebhook", summary: "Remove an endpoint" },
    })
    .get("/webhooks/:id/deliveries", ({ params }) => deliveryLog(store, params.id), {
      auth: "admin",
      params: IdParam,
      response: { 200: z.array(DeliveryView), ...errorResponses(400, 401, 403, 404, 429, 503) },
      detail: { operationId: "listWebhookDeliveries", summary: "The last 50 deliveries: attempts, status codes, next retry" },
    })
    .post("/webhooks/:id/test", ({ params }) => testWebhook(store, params.id, config.publicBaseUrl, { allowPrivate: config.webhookAllowPrivate, mailer }), {
      auth: "admin",
      params: IdParam,
      response: { 200: WebhookTest, ...errorResponses(400, 401, 403, 404, 413, 415, 429, 503) },
      detail: {
        operationId: "testWebhook", summary: "Send a test now: a message to a person's channel, a signed webhook.test event to a program",
        description: "Answers whether the receiver took it (a 2xx), within 5 s. Nothing is stored or retried.",
      },
    })
    .post("/webhooks/:id/deliveries/:delivery/redeliver", ({ params }) => redeliver(store, params.id, params.delivery), {
      auth: "admin",
      params: z.object({ id: z.string().max(100), delivery: z.coerce.number({ error: "delivery must be a delivery id" }).int().positive() }),
      response: { 200: Redelivery, ...errorResponses(400, 401, 403, 404, 413, 415, 429, 503) },
      detail: { operationId: "redeliverWebhook", summary: "Send a delivery again" },
    });
};
