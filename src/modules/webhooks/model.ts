import { z } from "zod";
import { VISITOR_KINDS } from "../clicks/visitor";
import { DestinationView } from "../links/model";
import { httpUrl, queryLimit, strictBodyError } from "../../lib/schemas";

export const EVENT_TYPES = ["click.first_human", "click.returned", "click.assistant", "link.orphan_hit", "link.destination_down", "link.destination_up"] as const;

const WebhookUrl = httpUrl("url", "https://jobs.example.com/hooks/link-tracker");

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

const ClickSummary = z
  .object({
    click_id: z.string(),
    clicked_at: z.string(),
    click_source: z.string().nullable(),
    referrer_domain: z.string().nullable(),
    visitor_kind: z.enum(VISITOR_KINDS),
    // Optional: events stored before clicks were located do not have them.
    country: z.string().nullable().optional().describe("ISO 3166-1 alpha-2"),
    asn: z.number().int().nullable().optional(),
    network: z.string().nullable().optional().describe("The organisation that owns the address, e.g. Microsoft Corporation"),
    from: z.string().nullable().optional().describe('Network and country for a person: "Microsoft Corporation, US"'),
    company_network: z.boolean().optional().describe("A person's click (first or returned) from the network of the application's company"),
  })
  .describe("The click that made the signal (never its address)");
const LinkSummary = z.object({ tracking_id: z.string(), link_function: z.string(), link_type: z.string(), original_url: z.string(), redirect_url: z.string() });
const ApplicationSummary = z
  .object({ application_id: z.string(), label: z.string(), company: z.string().nullable(), role: z.string().nullable() })
  .describe("The application's name as it is when the event is sent (applications by name)");
const AboutLink = {
  link: LinkSummary,
  job_id: z.string().nullable(),
  application_id: z.string().nullable(),
  application: ApplicationSummary.nullable().optional(),
  click: ClickSummary,
};

const AboutDestination = {
  link: LinkSummary,
  job_id: z.string().nullable(),
  application_id: z.string().nullable(),
  application: ApplicationSummary.nullable().optional(),
  destination: DestinationView.describe("The check that changed it"),
};

const signal = <T extends (typeof EVENT_TYPES)[number], D extends z.ZodRawShape>(type: T, description: string, data: D) =>
  z.object({ id: z.string().describe("Unique; a receiver drops a second delivery of the same id"), type: z.literal(type), created_at: z.string(), data: z.object(data) }).describe(description);

/** One signal as webhooks deliver it and the feed lists it (made by signals.ts). */
export const SignalPayload = z
  .discriminatedUnion("type", [
    signal("click.first_human", "The first human click of a link (scope link) or of an application (scope application)", {
      scope: z.enum(["link", "application"]),
      ...AboutLink,
    }),
    signal("click.returned", "A human click on an application whose previous one is over SIGNAL_RETURN_DAYS old", {
      ...AboutLink,
      previous_human_click: z.string(),
      days_since_previous: z.number().int(),
    }),
    signal("click.assistant", "An AI assistant opened a link because someone asked it to (at most one event per link a day)", {
      ...AboutLink,
      assistant: z.object({ name: z.string(), vendor: z.string(), token: z.string() }).describe('Who: "ChatGPT", "OpenAI", "ChatGPT-User"'),
    }),
    signal("link.orphan_hit", "A hit on an unknown id that is probably one of ours cut short", {
      orphan_id: z.string(),
      probably: z.string().describe("The tracking id it probably was"),
      probably_link: z
        .object({ tracking_id: z.string(), link_function: z.string(), redirect_url: z.string(), application_id: z.string().nullable(), application_label: z.string().nullable() })
        .nullable()
        .optional()
        .describe("That link as it is when the event is sent, named; null once it is deleted"),
      click: ClickSummary,
    }),
    signal("link.destination_down", "A link's destination failed two checks in a row: the recruiter would find an error page", AboutDestination),
    signal("link.destination_up", "A link's destination that was down answers again", AboutDestination),
  ])
  .describe("A signal, told apart by its type");
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
