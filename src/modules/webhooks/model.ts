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
