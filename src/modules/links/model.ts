import { z } from "zod";
import { httpUrl, isoInstant, queryLimit, strictBodyError, TrackingId } from "../../lib/schemas";
import { ApplicationLabel, ApplicationView } from "../applications/model";

export const MAX_BULK_LINKS = 100;

/** http(s) with a host, at most 1000 characters: nothing a browser would run or resolve elsewhere. */
export const DestinationUrl = httpUrl("original_url", "https://linkedin.com/in/steve-glen");

const label = (name: string) =>
  z
    .string({ error: (iss) => (iss.input == null ? `Missing required field: ${name}` : `${name} must be a string`) })
    .trim()
    .min(1, `Missing required field: ${name}`)
    .max(50, `${name} exceeds 50 characters`);

const Uuid = (name: string) => z.guid(`${name} must be a UUID`);

export const CreateLink = z.object({
  original_url: DestinationUrl,
  link_function: label("link_function").describe('What the link is for: "LinkedIn", "Calendly", "Portfolio"…; its lower case is the URL path').meta({ examples: ["LinkedIn"] }),
  link_type: label("link_type").default("link").describe('"profile", "job_posting"…; default "link"').meta({ examples: ["profile"] }),
  job_id: Uuid("job_id").nullish().meta({ examples: ["550e8400-e29b-41d4-a716-446655440000"] }),
  application_id: Uuid("application_id").nullish().meta({ examples: ["550e8400-e29b-41d4-a716-446655440001"] }),
  description: z.string({ error: "description must be a string" }).max(2000, "description exceeds 2000 characters").nullish().meta({ examples: ["Résumé header"] }),
  expires_at: isoInstant("expires_at").nullish(),
  tracking_id: TrackingId.optional().describe("Custom id; generated (22 random letters and digits) when absent").meta({ examples: ["acme-sre-linkedin"] }),
  created_by: z.string().trim().min(1).max(100, "created_by exceeds 100 characters").optional().meta({ examples: ["job-application-system"] }),
});
export type CreateLink = z.infer<typeof CreateLink>;

/** Bulk creation's `application`: names the application its links carry (one is made up when no id is given). */
export const BulkApplication = ApplicationLabel.extend({
  application_id: z.guid("application.application_id must be a UUID").optional().describe("Generated when neither it nor the links give one"),
});

export const BulkCreateLinks = z.object({
  links: z
    .array(z.unknown(), { error: "links must be an array" })
    .min(1, "links must contain at least 1 link")
    .max(MAX_BULK_LINKS, `links must contain at most ${MAX_BULK_LINKS} links`),
  application: z.unknown().optional(),
});

export const PatchLink = z
  .strictObject(
    {
      is_active: z.boolean({ error: "is_active must be true or false" }).optional(),
      original_url: DestinationUrl.optional(),
      expires_at: isoInstant("expires_at").nullable().optional(),
      description: z.string({ error: "description must be a string" }).max(2000, "description exceeds 2000 characters").nullable().optional(),
      link_type: label("link_type").optional(),
      job_id: Uuid("job_id").nullable().optional(),
      application_id: Uuid("application_id").nullable().optional(),
    },
    { error: strictBodyError },
  )
  .refine((v) => Object.keys(v).length > 0, "Nothing to change: send at least one field");
export type PatchLink = z.infer<typeof PatchLink>;

export const ListQuery = z.object({
  job_id: z.string().optional(),
  application_id: z.string().optional(),
  link_function: z.string().optional(),
  active: z.enum(["true", "false"], { error: "active must be true or false" }).optional(),
  limit: queryLimit(500).optional(),
  cursor: z.string().max(400).optional(),
});

/** The last check of where a link leads (DESTINATION_CHECK_SECONDS; POST …/links/{tracking_id}/check). */
export const DestinationView = z
  .object({
    ok: z.boolean().describe("The last check passed: an answer below 400, or 401, 403 or 429 (there, but not for a program)"),
    down: z.boolean().describe("Two checks in a row failed: the recruiter finds an error page there"),
    status: z.number().int().nullable().describe("The last answer's HTTP status; null when none came"),
    error: z.string().nullable().describe('Why the last check failed: "404 Not Found", "timed out after 10 s", "DNS: no such host", …'),
    checked_at: z.string(),
    down_since: z.string().nullable().describe("When it went down; null while it is up"),
  })
  .describe("Whether the destination still answers; null: not checked yet");
export type DestinationView = z.infer<typeof DestinationView>;

/** The seed's "Essential Link Data Structure", flat, plus the fields this server adds. */
export const LinkView = z.object({
  tracking_id: z.string(),
  original_url: z.string(),
  redirect_url: z.string(),
  link_function: z.string(),
  link_type: z.string(),
  job_id: z.string().nullable(),
  application_id: z.string().nullable(),
  is_active: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
  created_by: z.string(),
  description: z.string().nullable(),
  expires_at: z.string().nullable(),
  short_code: z.string().optional().describe("An imported short code (link-tracker import): GET /{short_code} answers this link too"),
  // Absent from a redirect node's lookup, which has no use for it.
  destination: DestinationView.nullable().optional(),
});
export type LinkView = z.infer<typeof LinkView>;

/** A page of links, each with its human clicks; next_cursor asks for the next page (null: the last). */
export const LinkPage = z.object({
  links: z.array(LinkView.extend({ clicks: z.number().int().describe("Human clicks of the link") })),
  next_cursor: z.string().nullable(),
});

export const CreatedLinks = z.object({ links: z.array(LinkView), application: ApplicationView.optional().describe("When the request named one") });

export const DeletedLink = z.object({ tracking_id: z.string(), deleted: z.literal(true), clicks_deleted: z.number().int() });

/** record-click's answer: the click as stored (status recorded), or the one already stored with its key (status duplicate). */
export const RecordedClick = z.object({
  click_id: z.string(),
  tracking_id: z.string(),
  clicked_at: z.string(),
  click_source: z.string().nullable(),
  status: z.enum(["recorded", "duplicate"]),
});

/** The links whose destination is down, longest down first. */
export const DownLinks = z.object({
  links: z.array(
    LinkView.extend({
      destination: DestinationView,
      application_label: z.string().nullable().describe("The application's name (applications by name), or null for a link without one"),
    }),
  ),
});
