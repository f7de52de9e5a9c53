import { z } from "zod";
import { httpUrl, queryLimit, strictBodyError } from "../../lib/schemas";

export const EVENT_TYPES = ["click.first_human", "click.returned", "link.orphan_hit"] as const;

const WebhookUrl = httpUrl("url");

export const CreateWebhook = z.object({
  url: WebhookUrl,
  event_types: z.array(z.enum(EVENT_TYPES, { error: `event_types may hold ${EVENT_TYPES.join(", ")}` })).min(1).optional(),
  description: z.string().max(500).optional(),
});

export const PatchWebhook = z
  .strictObject(
    {
      url: WebhookUrl.optional(),
      event_types: z.array(z.enum(EVENT_TYPES, { error: `event_types may hold ${EVENT_TYPES.join(", ")}` })).min(1).optional(),
      description: z.string().max(500).nullable().optional(),
      active: z.boolean({ error: "active must be true or false" }).optional(),
    },
    { error: strictBodyError },
  )
  .refine((v) => Object.keys(v).length > 0, "Nothing to change: send at least one field");

export const FeedQuery = z.object({
  after: z.string().regex(/^\d+$/, "after must be a cursor from a previous answer").optional(),
  limit: queryLimit(1000).optional(),
});

/** A webhook endpoint as the API shows it (never its secret, but once: at creation). */
export const WebhookView = z.object({
  id: z.string(),
  url: z.string(),
  event_types: z.array(z.string()),
  description: z.string().nullable(),
  active: z.boolean(),
  created_at: z.string(),
});
export const CreatedWebhook = WebhookView.extend({ secret: z.string().describe("Shown this once: it signs every delivery (webhook-signature)") });
export const DeletedWebhook = z.object({ id: z.string(), deleted: z.literal(true) });

/** One signal as webhooks deliver it and the feed lists it. */
export const SignalPayload = z
  .object({ id: z.string(), type: z.enum(EVENT_TYPES), created_at: z.string(), data: z.record(z.string(), z.unknown()) })
  .describe("A signal: click.first_human, click.returned or link.orphan_hit, with what it is about in data");
export type SignalPayload = z.infer<typeof SignalPayload>;
export const EventFeed = z.object({ events: z.array(SignalPayload), next_cursor: z.string().describe("Ask again with after= this") });

export const DeliveryView = z.object({
  delivery_id: z.number().int(),
  event_id: z.string(),
  type: z.enum(EVENT_TYPES),
  status: z.enum(["pending", "delivered", "failed"]),
  attempts: z.number().int(),
  last_status_code: z.number().int().nullable(),
  last_error: z.string().nullable(),
  last_attempt_at: z.string().nullable(),
  next_attempt_at: z.string().nullable(),
  delivered_at: z.string().nullable(),
});
export const Redelivery = z.object({ delivery_id: z.number().int(), status: z.literal("pending") });
