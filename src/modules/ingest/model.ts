import { isIP } from "node:net";
import { z } from "zod";
import { normaliseIp } from "../../lib/ip";
import { TrackingId } from "../../lib/schemas";
import { parseIsoDateTimeMs } from "../../lib/time";

export const MAX_EVENTS = 1000;
export const MAX_METADATA_BYTES = 4096;
const DAY_MS = 24 * 60 * 60 * 1000;

const optionalText = (name: string, max: number) =>
  z.string({ error: `${name} must be a string` }).max(max, `${name} exceeds ${max} characters`).optional();

const CLICKED_AT_FORMAT = "Invalid clicked_at format (must be ISO 8601 datetime)";

const ClickedAt = z
  .string({ error: CLICKED_AT_FORMAT })
  .transform((value, ctx) => {
    const ms = parseIsoDateTimeMs(value);
    if (ms === null) {
      ctx.addIssue({ code: "custom", message: CLICKED_AT_FORMAT });
      return z.NEVER;
    }
    if (ms > Date.now() + DAY_MS) {
      ctx.addIssue({ code: "custom", message: "clicked_at is more than one day in the future" });
      return z.NEVER;
    }
    return new Date(ms).toISOString();
  })
  .meta({ format: "date-time", description: "ISO 8601 with Z or an offset; stored as UTC. Defaults to server time." });

const IpAddress = z
  .string({ error: "ip_address must be a string" })
  .max(45, "ip_address exceeds 45 characters")
  .refine((v) => isIP(v) !== 0, "ip_address is not a valid IPv4 or IPv6 address")
  // One spelling per address (2001:DB8::AB and ::ffff:1.2.3.4 too), so that erasure finds them.
  .transform((v) => normaliseIp(v)!);

const Metadata = z
  .record(z.string(), z.unknown(), { error: "metadata must be a JSON object" })
  .refine(
    (v) => {
      try {
        return Buffer.byteLength(JSON.stringify(v)) <= MAX_METADATA_BYTES;
      } catch {
        return false; // too deep to serialise (bodies are depth-checked first; this is the backstop)
      }
    },
    `metadata exceeds ${MAX_METADATA_BYTES} bytes when serialised`,
  );

/** One click as sent by a redirect node (tracking-ingest-guide.md, Field Specifications). */
export const ClickEvent = z.object({
  tracking_id: TrackingId.meta({ examples: ["Xq3vB9kLm2TzR8wYpA4nHc"] }),
  clicked_at: ClickedAt.optional().meta({ examples: ["2025-10-23T09:02:44.501Z"] }),
  ip_address: IpAddress.optional().meta({ examples: ["203.0.113.7"] }),
  user_agent: optionalText("user_agent", 500).meta({ examples: ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"] }),
  click_source: optionalText("click_source", 50).meta({ examples: ["linkedin"] }),
  referrer_url: optionalText("referrer_url", 1000).meta({ examples: ["https://mail.google.com/"] }),
  session_id: optionalText("session_id", 100).meta({ examples: ["s-4f1c2a"] }),
  metadata: Metadata.optional(),
  event_id: optionalText("event_id", 100).describe(
    "Idempotency key: an event whose event_id was already stored is not stored again.",
  ),
  request: z
    .object({
      accept_language: z.boolean({ error: "request.accept_language must be true or false" }).optional(),
    }, { error: "request must be a JSON object" })
    .optional()
    .describe(
      "What the redirect node saw of the request (link-tracker's edge nodes send it): accept_language false (the request carried no Accept-Language header) makes the click a scanner's, as on a redirect served here.",
    ),
});
export type ClickEvent = z.infer<typeof ClickEvent>;

/** What the request body must be before its events are looked at one by one. */
export const BatchEnvelope = z.object(
  {
    events: z
      .array(z.unknown(), { error: "events must be an array" })
      .min(1, "events must contain at least 1 event")
      .max(MAX_EVENTS, `events must contain at most ${MAX_EVENTS} events`),
  },
  { error: "Request body must be a JSON object with an events array" },
);

/** For the OpenAPI document: the envelope with its events described. */
export const BatchRequest = z.object({ events: z.array(ClickEvent).min(1).max(MAX_EVENTS) });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The event without its empty fields: empty strings and nulls count as "not sent" (the
 * seeds' own clients send `''` for a missing header). tracking_id is kept, so that an
 * empty one is reported missing.
 */
export function withoutEmptyFields(input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in input) {
    const value = input[key];
    if (key === "tracking_id" || (value !== "" && value !== null)) out[key] = value;
  }
  return out;
}

const NOT_AN_OBJECT = z.never({ error: "Event must be a JSON object" });

/** Parses one event, empty fields dropped first (anything but an object: "Event must be a JSON object"). */
export const parseClickEvent = (input: unknown) => (isObject(input) ? ClickEvent.safeParse(withoutEmptyFields(input)) : NOT_AN_OBJECT.safeParse(input));

export const BatchResults = z.object({
  total_events: z.number(),
  successful: z.number(),
  failed: z.number(),
  duplicates: z.number(),
  errors: z.array(z.string()),
});

/** The seed's 400 "Validation Failed" body, with results (the seed's client reads results.failed whenever success is false). */
export const IngestValidationFailed = z.object({
  success: z.literal(false),
  error: z.literal("Validation Failed"),
  message: z.string(),
  validation_errors: z.array(z.string()),
  results: BatchResults,
  timestamp: z.string(),
});
