import { z } from "zod";
import { VISITOR_KINDS } from "../clicks/visitor";
import { DestinationView } from "../links/model";
import { isTimeZone } from "../../lib/zone";
import { httpUrl, queryLimit, strictBodyError } from "../../lib/schemas";

export const EVENT_TYPES = ["click.first_human", "click.returned", "click.assistant", "link.orphan_hit", "link.destination_down", "link.destination_up"] as const;

const WebhookUrl = httpUrl("url", "https://jobs.example.com/hooks/link-tracker");

/** A delivery's shape: signed JSON for a program (the default), or a message for a person in one service's format. */
export const CHANNEL_FORMATS = ["standard-webhooks", "ntfy", "slack", "discord", "teams", "google-chat", "telegram", "email"] as const;
const Format = z.enum(CHANNEL_FORMATS, { error: `format must be one of ${CHANNEL_FORMATS.join(", ")}` });
const Token = z.string().min(1, "token must not be empty").max(500, "token exceeds 500 characters").regex(/^[\x21-\x7e]+$/, "token must be printable ASCII without spaces");
const ChatId = z.string().regex(/^(-?\d{1,20}|@[A-Za-z0-9_]{5,32})$/, "chat_id must be a Telegram chat id (digits, - for a group) or @channelname");
/** Telegram's Bot API, where a telegram channel posts unless told otherwise. */
export const TELEGRAM_API = "https://api.telegram.org";
/** A message a day at a local hour with what happened since the one before (none when nothing did). */
export const Digest = z
  .object({
    hour: z.number({ error: "digest.hour must be an hour from 0 to 23" }).int("digest.hour must be an hour from 0 to 23").min(0, "digest.hour must be an hour from 0 to 23").max(23, "digest.hour must be an hour from 0 to 23"),
    time_zone: z.string().refine(isTimeZone, { error: (issue) => `digest.time_zone must be an IANA time zone such as Europe/Berlin: ${String(issue.input).slice(0, 64)} is not one` }),
    only: z.boolean({ error: "digest.only must be true or false" }).optional().describe("The digest instead of single events (default false: both)"),
  })
  .describe("A daily digest at `hour` o'clock in `time_zone`");
const EventTypes = z.array(z.enum(EVENT_TYPES, { error: `event_types may hold ${EVENT_TYPES.join(", ")}` })).min(1);

const MAILTO = /^mailto:[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$/i;

/** What is wrong with a channel's url for its format, or null. */
export function urlProblem(format: (typeof CHANNEL_FORMATS)[number], url: string): string | null {
  if (format === "email") return MAILTO.test(url) ? null : "url must be mailto:you@example.com for an email channel (one address)";
  const checked = WebhookUrl.safeParse(url);
  return checked.success ? null : (checked.error.issues[0]?.message ?? "url is not valid");
}

export const CreateWebhook = z
  .object({
    url: z
      .string({ error: "url must be a string" })
      .max(1000, "url exceeds 1000 characters")
      .optional()
      .meta({ examples: ["https://ntfy.sh/your-long-random-topic"] })
      .describe("The receiver: a webhook URL, an ntfy topic URL, a Slack, Discord, Teams or Google Chat incoming webhook, mailto:you@example.com for email; for telegram the Bot API's origin (default https://api.telegram.org)"),
    format: Format.optional().describe("standard-webhooks (default): signed JSON; the others: a message in that service's shape, in words"),
    token: Token.optional().describe("ntfy: an access token (tk_…) for a protected topic; telegram: the bot's token. Never shown back"),
    chat_id: ChatId.optional().describe("telegram: the chat the bot writes to"),
    event_types: EventTypes.optional(),
    description: z.string().max(500).optional(),
    digest: Digest.optional(),
  })
  .superRefine((v, ctx) => {
    if (v.digest && (v.format ?? "standard-webhooks") === "standard-webhooks") ctx.addIssue({ code: "custom", path: ["digest"], message: "digest is for a person's channel (ntfy, slack, discord, teams, google-chat, telegram, email)" });
    if (v.format === "telegram") {
      if (!v.token) ctx.addIssue({ code: "custom", path: ["token"], message: "token: a telegram channel needs the bot's token (from @BotFather)" });
      if (!v.chat_id) ctx.addIssue({ code: "custom", path: ["chat_id"], message: "chat_id: a telegram channel needs the chat to write to" });
    } else if (!v.url) ctx.addIssue({ code: "custom", path: ["url"], message: "url is required" });
    const wrong = v.url === undefined ? null : urlProblem(v.format ?? "standard-webhooks", v.url);
    if (wrong) ctx.addIssue({ code: "custom", path: ["url"], message: wrong });
    if (v.chat_id && v.format !== "telegram") ctx.addIssue({ code: "custom", path: ["chat_id"], message: "chat_id is for a telegram channel only" });
    if (v.token && v.format !== "telegram" && v.format !== "ntfy") ctx.addIssue({ code: "custom", path: ["token"], message: "token is for an ntfy or a telegram channel only" });
  });

export const PatchWebhook = z
  .strictObject(
    {
      url: z.string({ error: "url must be a string" }).max(1000, "url exceeds 1000 characters").optional(),
      token: Token.nullable().optional(),
      chat_id: ChatId.optional(),
      event_types: EventTypes.optional(),
      description: z.string().max(500).nullable().optional(),
      active: z.boolean({ error: "active must be true or false" }).optional().describe("false switches it off; true switches it on and resumes a paused channel"),
      digest: Digest.nullable().optional().describe("null: no digest"),
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
  format: Format,
  has_token: z.boolean().describe("Whether a token is set (it is never shown)"),
  chat_id: z.string().nullable(),
  event_types: z.array(z.string()),
  description: z.string().nullable(),
  active: z.boolean(),
  paused: z
    .object({ at: z.string(), reason: z.string() })
    .nullable()
    .describe("Set when deliveries kept failing: nothing is sent until it is resumed (PATCH active: true)"),
  failures: z.number().int().describe("Failed deliveries in a row"),
  digest: z.object({ hour: z.number().int(), time_zone: z.string(), only: z.boolean() }).nullable(),
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
    agent: z.string().nullable().optional().describe('The browser for a person, never the raw user agent: "Chrome on Windows, desktop"'),
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
export const WebhookTest = z.object({
  delivered: z.boolean().describe("The receiver answered 2xx"),
  status_code: z.number().int().nullable(),
  error: z.string().nullable(),
});
export const Redelivery = z.object({ delivery_id: z.number().int(), status: z.literal("pending") });
