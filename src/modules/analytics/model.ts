import { z } from "zod";
import { isoInstant } from "../../lib/schemas";
import { DestinationView } from "../links/model";
import { isTimeZone } from "../../lib/zone";

/** An IANA time zone that days are counted in (default UTC). */
export const TimeZone = z
  .string()
  .refine(isTimeZone, { error: (issue) => `tz must be an IANA time zone such as Europe/Berlin: ${String(issue.input).slice(0, 64)} is not one` })
  .describe("The IANA time zone days are counted in, e.g. Europe/Berlin (default UTC)");

export const AnalyticsQuery = z
  .object({
    from: isoInstant("from", "2026-11-01T00:00:00Z").optional(),
    to: isoInstant("to", "2026-12-01T00:00:00Z").optional(),
    tz: TimeZone.optional(),
    include_bots: z.enum(["true", "false"], { error: "include_bots must be true or false" }).optional(),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, "from must not be after to");
export type AnalyticsQuery = z.infer<typeof AnalyticsQuery>;

export const TrackingIdParam = z.object({
  tracking_id: z.string().max(100, "tracking_id exceeds 100 characters"),
});

// What the analytics routes answer (their OpenAPI response schemas).

const int = () => z.number().int();
const nullableString = () => z.string().nullable();

export const KindCounts = z
  .object({ human: int(), assistant: int().describe("Fetches by an AI assistant a person asked to open the link"), bot: int(), preview: int(), scanner: int(), owner: int() })
  .describe("Clicks by visitor kind");
const Count = z.object({ value: z.string(), clicks: int() });

/** Clicks by country and by network, with the data's attribution (its licence asks for it where results are shown). */
export const PlaceBreakdowns = {
  by_country: z.array(Count).describe("ISO 3166-1 alpha-2; (unknown) for private, reserved and unlocated addresses"),
  by_network: z.array(z.object({ asn: int().nullable(), network: z.string().describe("The organisation that owns the address; (unknown) when not located"), clicks: int() })),
  location_attribution: z.string(),
};

/** Where a click (or a visit: its first click) came from. */
const ClickPlaceFields = { country: nullableString(), asn: int().nullable(), network: nullableString() };

export const LinkAnalytics = z.object({
  link_info: z.object({
    tracking_id: z.string(),
    original_url: z.string(),
    link_function: z.string(),
    link_type: z.string(),
    job_id: nullableString(),
    application_id: nullableString(),
    is_active: z.boolean(),
    description: nullableString(),
  }),
  click_statistics: z.object({
    total_clicks: int(),
    unique_sessions: int(),
    first_click: nullableString(),
    last_click: nullableString(),
    clicks_24h: int(),
    clicks_7d: int(),
  }),
  bot_clicks: int().describe("Clicks not made by a person's own browser (is_bot): clicks_by_kind's assistant + bot + preview + scanner (not owner: your own)"),
  clicks_by_kind: KindCounts,
  counted: z.enum(["human clicks", "all clicks"]),
  breakdowns: z.object({
    by_source: z.array(Count),
    by_referrer_domain: z.array(Count),
    by_day: z.array(z.object({ day: z.string(), clicks: int() })),
    by_browser: z.array(Count),
    by_os: z.array(Count),
    by_device: z.array(Count),
    ...PlaceBreakdowns,
  }),
  clicks_per_day: z
    .array(KindCounts.extend({ day: z.string() }))
    .describe("Every day from the first click (or from) to today (or to), the last 366 at most, with its clicks of each kind; a day without clicks is all zeros"),
  recent_clicks: z.array(
    z.object({
      clicked_at: z.string(),
      click_source: nullableString(),
      visitor_kind: z.string(),
      visitor_reason: nullableString(),
      browser: nullableString(),
      referrer_domain: z.string(),
      ...ClickPlaceFields,
    }),
  ),
  filters: z.object({ from: nullableString(), to: nullableString(), include_bots: z.boolean(), tz: z.string() }),
});

const Totals = z.object({ links: int(), human_clicks: int(), links_clicked: int(), first_human_click: nullableString() });

/** An application's name where an answer shows one (applications/service.ts). */
const ApplicationName = {
  label: z.string().describe('"Acme — Senior Engineer"; the id\'s first 8 characters when it has no name'),
  company: nullableString(),
  role: nullableString(),
  sent_at: nullableString(),
};
const applicationLabel = nullableString().describe("The application's label (its name, or its short id), null without one");

const LinkRollup = z.object({
  tracking_id: z.string(),
  link_function: z.string(),
  link_type: z.string(),
  original_url: z.string(),
  redirect_url: z.string(),
  job_id: nullableString(),
  application_id: nullableString(),
  is_active: z.boolean(),
  created_at: z.string(),
  human_clicks: int(),
  clicks_by_kind: KindCounts,
  first_human_click: nullableString(),
  last_human_click: nullableString(),
  time_to_first_click_seconds: int().nullable(),
  destination: DestinationView.nullable().optional().describe("Where the link leads, as last checked (an application's and a job's roll-up); null: not checked yet"),
});

const Visit = z.object({
  session_id: nullableString(),
  agent: nullableString().describe('Browser, system and device of its first click: "Safari on iOS, mobile"'),
  started_at: z.string(),
  ended_at: z.string(),
  ...ClickPlaceFields,
  company_network: z.boolean().describe("The visit came from the network of the application's company (its name matched the network's organisation; never a cloud's)"),
  clicks: z.array(z.object({ tracking_id: z.string(), link_function: z.string(), clicked_at: z.string(), click_source: nullableString() })),
});

/** Human clicks of all the links, by country and by network. */
const RollupBreakdowns = z.object(PlaceBreakdowns);

export const ApplicationRollup = z.object({
  application_id: z.string(),
  ...ApplicationName,
  totals: Totals,
  links: z.array(LinkRollup),
  visits: z.array(Visit),
  other_clicks: z
    .array(
      z.object({
        clicked_at: z.string(),
        link_function: z.string(),
        visitor_kind: z.enum(["assistant", "bot", "preview", "scanner", "owner"]),
        visitor_reason: nullableString(),
        agent: nullableString(),
        ...ClickPlaceFields,
      }),
    )
    .describe("The latest 50 clicks that were not a recruiter's (AI assistants, bots, previews, scanners, yours), each with why"),
  breakdowns: RollupBreakdowns,
});

export const JobRollup = z.object({
  job_id: z.string(),
  totals: Totals,
  applications: z.array(Totals.extend({ application_id: z.string(), label: z.string() })),
  links: z.array(LinkRollup),
  visits: z.array(Visit),
  breakdowns: RollupBreakdowns,
});

export const ApplicationStatus = z
  .enum(["not_opened", "opened", "came_back"])
  .describe("not_opened: no human click yet; opened: human clicks, none after a gap; came_back: a human click over SIGNAL_RETURN_DAYS after the one before it");

export const ApplicationsOverview = z.object({
  counts: z
    .object({ applications: int(), not_opened: int(), opened: int(), came_back: int() })
    .describe("Every application by where it stands, all pages together"),
  applications: z.array(
    Totals.extend({
      application_id: z.string(),
      ...ApplicationName,
      job_id: nullableString(),
      first_link_at: nullableString().describe("When its first link was made; null for one named but not linked yet"),
      status: ApplicationStatus,
      last_human_click: nullableString(),
      visitors: int().describe("Distinct visitors among its human clicks (cookieless sessions: one browser, one day)"),
      visits: int().describe("Visits: one visitor's clicks of one day (the application's timeline also splits a day's at gaps over 30 minutes)"),
    }),
  ),
  next_cursor: nullableString().describe("Asks for the next page; null on the last"),
});

export const Overview = z.object({
  period: z.object({ from: z.string(), to: z.string(), tz: z.string() }).describe("The whole days of the time zone the period touches"),
  totals: z.object({
    links: int(),
    active_links: int(),
    applications: int(),
    applications_clicked: int(),
    human_clicks: int(),
    clicks_by_kind: KindCounts,
  }),
  top_links: z.array(z.object({ tracking_id: z.string(), link_function: nullableString(), application_id: nullableString(), application_label: applicationLabel, human_clicks: int() })),
  clicks_per_day: z.array(z.object({ day: z.string(), clicks: int() })),
  breakdowns: RollupBreakdowns,
  recent_clicks: z.array(
    z.object({
      clicked_at: z.string(),
      tracking_id: z.string(),
      link_function: nullableString(),
      application_id: nullableString(),
      application_label: applicationLabel,
      click_source: nullableString(),
      visitor_kind: z.string(),
      visitor_reason: nullableString(),
      outcome: z.string(),
    }),
  ),
  orphans: z.array(
    z.object({
      tracking_id: z.string(),
      hits: int(),
      first_seen: z.string(),
      last_seen: z.string(),
      probably: z
        .object({ tracking_id: z.string(), redirect_url: nullableString(), link_function: nullableString(), application_id: nullableString(), application_label: applicationLabel })
        .nullable(),
    }),
  ),
  applications_without_human_click: z.array(z.object({ application_id: z.string(), label: z.string(), links: int(), first_link_at: z.string() })),
});

export const Attributed = z.object({ orphan_id: z.string(), tracking_id: z.string(), hits_attributed: int() });
