/**
 * The assistant's tools: the questions a job seeker asks about their search, each
 * answered by the same service the API route answers with (so the answers agree), as
 * text a model can quote and as the route's JSON. Each tool needs the scope its route
 * needs: reads `read`, changes `admin`.
 */
import { z } from "zod";
import type { Config } from "../../config";
import type { Store } from "../../db/store";
import { ValidationFailed } from "../../lib/errors";
import { isoInstant, TrackingId } from "../../lib/schemas";
import { nowIso } from "../../lib/time";
import { ApplicationsOverview, ApplicationRollup, Attributed, LinkAnalytics, TimeZone } from "../analytics/model";
import { attribute } from "../analytics/overview";
import { applicationRollup, applicationsOverview } from "../analytics/rollups";
import { agentText, linkAnalytics } from "../analytics/service";
import { ApplicationLabel, ApplicationView } from "../applications/model";
import { applicationIdFromStart, labelsOf, searchApplications } from "../applications/service";
import type { Scope } from "../auth/service";
import { countsByKind } from "../clicks/visitor";
import { CreatedLinks, CreateLink, LinkView } from "../links/model";
import { createLinks, getLink, patchLink } from "../links/service";
import { EventFeed } from "../webhooks/model";
import { feed } from "../webhooks/service";
import { placeText } from "../webhooks/signals";
import { from, KIND_WORDS, othersText, plural, STATUS_WORDS, when, eventText } from "./words";

export type ToolDeps = { store: Store; config: Config };

/** A tool's answer: what the model reads, and the same as JSON (the route's shape). */
export type ToolAnswer = { text: string; structured: Record<string, unknown> };

export type Tool = {
  name: string;
  title: string;
  description: string;
  scope: Scope;
  input: z.ZodType;
  output: z.ZodType;
  /** Hints for the client (MCP's ToolAnnotations): whether the tool only reads, and whether a change can be undone. */
  annotations: { readOnlyHint: boolean; destructiveHint?: boolean; idempotentHint?: boolean; openWorldHint: false };
  run: (deps: ToolDeps, args: never) => Promise<ToolAnswer>;
};

/** Declares a tool with its handler typed by its input schema. */
const tool = <I extends z.ZodType>(t: Omit<Tool, "input" | "run"> & { input: I; run: (deps: ToolDeps, args: z.output<I>) => Promise<ToolAnswer> }): Tool => t as unknown as Tool;

const READS = { readOnlyHint: true, openWorldHint: false } as const;

const ApplicationRef = z
  .string({ error: "application must be a string" })
  .trim()
  .min(4, "application must be an application id, or its first 4 characters or more")
  .max(36, "application must be an application id, or its first 4 characters or more")
  .describe("The application's id (application_id), or its first 8 characters as list_applications and find_applications show them");

/** An application as the model names it: its whole id, or the start of it when only one id starts so (ids are stored lower case). */
async function applicationIdOf(store: Store, given: string): Promise<string> {
  const found = await applicationIdFromStart(store, given.toLowerCase());
  if ("id" in found) return found.id;
  throw new ValidationFailed(`application: ${found.error}${found.problem === "many" ? "" : " (find one with find_applications)"}`);
}

const LastSeen = z
  .object({ at: z.string(), from: z.string().nullable(), agent: z.string().nullable() })
  .nullable()
  .describe("The latest click by a person: when, from which network and country, with which browser");
const StandingItem = ApplicationsOverview.shape.applications.element.extend({ last_seen: LastSeen });
const Standings = ApplicationsOverview.extend({ applications: z.array(StandingItem) });

const listApplications = tool({
  name: "list_applications",
  title: "Where each application stands",
  description:
    "Lists the job seeker's applications, most recent first, each with where it stands: not opened yet, opened (a person clicked one of its links), or came back (a person clicked again days later), with how many people, when last and from where (network and country). Start here for questions like 'who opened my applications?' or 'has anyone looked at my résumé?'. Clicks by bots, mail scanners and link previews are not counted as opens.",
  scope: "read",
  input: z.object({
    limit: z.number({ error: "limit must be a number" }).int("limit must be a whole number").min(1, "limit must be at least 1").max(100, "limit must be at most 100").default(25).describe("Applications per page (1 to 100, default 25)"),
    cursor: z.string().max(400, "cursor exceeds 400 characters").optional().describe("next_cursor of the page before"),
  }),
  output: Standings,
  annotations: READS,
  run: async ({ store, config }, { limit, cursor }) => {
    const page = await applicationsOverview(store, config.signalReturnDays, { limit, cursor });
    const opened = page.applications.filter((a) => a.human_clicks > 0).map((a) => a.application_id);
    const links = opened.length > 0 ? await store.links.ofApplications(opened) : [];
    // The latest click by a person of each opened application on the page (a page is at most 100).
    const latest = new Map(
      await Promise.all(
        opened.map(async (id) => {
          const [click] = await store.clicks.humanOf(links.filter((l) => l.applicationId === id).map((l) => l.trackingId), 1);
          return [id, click ? { at: click.clickedAt, from: placeText(click), agent: agentText(click) } : null] as const;
        }),
      ),
    );
    const applications = page.applications.map((a) => ({ ...a, last_seen: latest.get(a.application_id) ?? null }));
    const { counts } = page;
    const lines = applications.map((a) => {
      const head = `- ${a.label} (application ${a.application_id.slice(0, 8)}${a.sent_at ? `, sent ${a.sent_at.slice(0, 10)}` : ""}): ${STATUS_WORDS[a.status]}`;
      if (a.human_clicks === 0) return `${head}; ${plural(a.links, "link")}.`;
      const seen = a.last_seen ? `; last ${when(a.last_seen.at)}${a.last_seen.from ? ` from ${a.last_seen.from}` : ""}${a.last_seen.agent ? ` (${a.last_seen.agent})` : ""}` : "";
      return `${head}: ${plural(a.human_clicks, "click")} by people on ${a.links_clicked} of ${plural(a.links, "link")}, ${plural(a.visitors, "visitor")}${seen}.`;
    });
    const text = [
      `${plural(counts.applications, "application")} in all: ${counts.not_opened} not opened yet, ${counts.opened} opened, ${counts.came_back} came back.`,
      ...lines,
      page.next_cursor ? `More applications: call list_applications again with cursor "${page.next_cursor}".` : "",
    ].filter(Boolean);
    return { text: text.join("\n"), structured: { ...page, applications } };
  },
});

const Found = z.object({ applications: z.array(ApplicationView) });

const findApplications = tool({
  name: "find_applications",
  title: "Find an application by company or role",
  description:
    "Finds applications whose company or role contains the given text (case aside), e.g. 'Acme' or 'platform engineer'. Answers each one's application_id, which application_visits and create_application's caller need.",
  scope: "read",
  input: z.object({
    text: z.string({ error: "text must be a string" }).trim().min(1, "text must not be empty").max(200, "text exceeds 200 characters").describe("A part of the company's name or of the role"),
  }),
  output: Found,
  annotations: READS,
  run: async ({ store }, { text }) => {
    const applications = await searchApplications(store, text);
    const lines = applications.map((a) => `- ${a.label}: application_id ${a.application_id}${a.sent_at ? `, sent ${a.sent_at.slice(0, 10)}` : ""}, ${plural(a.links, "link")}.`);
    return {
      text: applications.length === 0 ? `No application's company or role contains "${text}".` : [`${plural(applications.length, "application")} match "${text}":`, ...lines].join("\n"),
      structured: { applications },
    };
  },
});

const applicationVisits = tool({
  name: "application_visits",
  title: "One application's visits, in order",
  description:
    "Tells one application's story: its links (with the tracked URLs to put in a résumé), every visit by a person in time order (when, from which network and country, with which browser, which links they opened), and the clicks that were not a person's (mail scanners, bots, link previews, the job seeker's own), each with why.",
  scope: "read",
  input: z.object({ application: ApplicationRef }),
  output: ApplicationRollup,
  annotations: READS,
  run: async ({ store }, { application }) => {
    const rollup = await applicationRollup(store, await applicationIdOf(store, application));
    const links = rollup.links.map(
      (l) => `- ${l.link_function}: ${l.redirect_url} → ${l.original_url}${l.is_active ? "" : " (inactive)"}: ${plural(l.human_clicks, "click")} by people${l.first_human_click ? `, first ${when(l.first_human_click)}` : ""}.`,
    );
    const visits = rollup.visits.map((v, i) => {
      const opened = [...new Set(v.clicks.map((c) => c.link_function))].join(", ");
      const minutes = Math.round((Date.parse(v.ended_at) - Date.parse(v.started_at)) / 60_000);
      const own = v.company_network ? ` (from ${rollup.company}'s own network)` : "";
      return `${i + 1}. ${when(v.started_at)}: a person${v.agent ? ` (${v.agent})` : ""}${from(v)}${own} opened ${opened}${v.clicks.length > 1 ? ` (${plural(v.clicks.length, "click")} over ${minutes} min)` : ""}.`;
    });
    const others = rollup.other_clicks.map((c) => `- ${when(c.clicked_at)}: ${KIND_WORDS[c.visitor_kind]} opened ${c.link_function}${c.visitor_reason ? ` (why: ${c.visitor_reason})` : ""}.`);
    const text = [
      `${rollup.label}${rollup.sent_at ? `, sent ${rollup.sent_at.slice(0, 10)}` : ""} (application_id ${rollup.application_id}): ${plural(rollup.totals.human_clicks, "click")} by people on ${rollup.totals.links_clicked} of ${plural(rollup.totals.links, "link")}.`,
      "Links:",
      ...links,
      visits.length > 0 ? `Visits by people, oldest first (${visits.length}):` : "No person has opened any of its links yet.",
      ...visits,
      ...(others.length > 0 ? ["Clicks that were not a person's (not counted as opens):", ...others] : []),
    ];
    return { text: text.join("\n"), structured: rollup };
  },
});

const DAY_MS = 86_400_000;

const WhatsNew = EventFeed.extend({ since: z.string().nullable().describe("The time asked about; null when a cursor was given") });

const whatsNew = tool({
  name: "whats_new",
  title: "What happened since a time",
  description:
    "Lists what happened since a time (default: the last 24 hours), oldest first: an application or link opened by a person for the first time, someone coming back to an application after days, and hits on a link that was cut short (with the link it probably was). The answer to 'anything new this morning?' or 'what happened this week?'. Events show a short while after the click (scanners are told apart first).",
  scope: "read",
  input: z.object({
    since: isoInstant("since", "2026-11-30T08:00:00Z").optional().describe("ISO 8601 date-time; default 24 hours ago"),
    cursor: z.string().regex(/^\d+$/, "cursor must be next_cursor from a previous answer").optional().describe("next_cursor of the answer before: what happened after it"),
    limit: z.number({ error: "limit must be a number" }).int("limit must be a whole number").min(1, "limit must be at least 1").max(200, "limit must be at most 200").default(50).describe("Events at most (1 to 200, default 50)"),
  }),
  output: WhatsNew,
  annotations: READS,
  run: async ({ store }, { since, cursor, limit }) => {
    const asked = cursor === undefined ? (since ?? new Date(Date.now() - DAY_MS).toISOString()) : null;
    let after = Number(cursor ?? 0);
    if (asked !== null) {
      const first = await store.signals.firstSeqSince(asked);
      after = first === null ? await store.signals.maxSeq() : first - 1;
    }
    const page = await feed(store, after, limit);
    const lines = page.events.map((e) => `- ${eventText(e)}`);
    const text = [
      lines.length === 0 ? `Nothing new${asked ? ` since ${asked}` : ""}: no first open, return or cut-short link.` : `${plural(lines.length, "event")}${asked ? ` since ${asked}` : ""}, oldest first:`,
      ...lines,
      page.events.length === limit ? `There may be more: call whats_new again with cursor "${page.next_cursor}".` : "",
    ].filter(Boolean);
    return { text: text.join("\n"), structured: { ...page, since: asked } };
  },
});

const linkAnalyticsTool = tool({
  name: "link_analytics",
  title: "One link's analytics",
  description:
    "One tracked link's numbers: clicks by people (total, unique sessions, last 24 hours and 7 days, first and last), the clicks that were not a person's by kind, and breakdowns by source, referrer, browser, system, device, country and network, with clicks per day. Needs the link's tracking_id (application_visits lists an application's links).",
  scope: "read",
  input: z.object({
    tracking_id: TrackingId.describe("The link's tracking_id"),
    from: isoInstant("from", "2026-11-01T00:00:00Z").optional(),
    to: isoInstant("to", "2026-12-01T00:00:00Z").optional(),
    tz: TimeZone.optional(),
    include_bots: z.boolean({ error: "include_bots must be true or false" }).default(false).describe("Count every kind of click, not only people's"),
  }),
  output: LinkAnalytics,
  annotations: READS,
  run: async ({ store }, { tracking_id, include_bots, ...period }) => {
    if (period.from && period.to && period.from > period.to) throw new ValidationFailed("from must not be after to");
    const [answer, link] = await Promise.all([linkAnalytics(store, tracking_id, { ...period, include_bots: include_bots ? "true" : "false" }), getLink(store, tracking_id)]);
    const label = (await labelsOf(store, link.application_id ? [link.application_id] : []))(link.application_id);
    const s = answer.click_statistics;
    const counted = include_bots ? "clicks of every kind" : "clicks by people";
    const top = (rows: { value: string; clicks: number }[]) => rows.slice(0, 5).map((r) => `${r.value} ${r.clicks}`).join(", ") || "none";
    const b = answer.breakdowns;
    const others = othersText(countsByKind(Object.entries(answer.clicks_by_kind).map(([kind, clicks]) => ({ kind, clicks }))));
    const text = [
      `The ${link.link_function} link${label ? ` of ${label}` : ""} (${link.redirect_url} → ${link.original_url})${link.is_active ? "" : ", inactive"}:`,
      `${plural(s.total_clicks, "click")} (${counted}), ${plural(s.unique_sessions, "unique session")}; ${s.clicks_24h} in the last 24 hours, ${s.clicks_7d} in the last 7 days${s.first_click ? `; first ${when(s.first_click)}, last ${when(s.last_click!)}` : ""}.`,
      others ? `Not a person's: ${others}.` : "Every click was a person's.",
      `Countries: ${top(b.by_country)}. Networks: ${b.by_network.slice(0, 5).map((n) => `${n.network} ${n.clicks}`).join(", ") || "none"}.`,
      `Browsers: ${top(b.by_browser)}. Devices: ${top(b.by_device)}. Sources: ${top(b.by_source)}.`,
    ];
    return { text: text.join("\n"), structured: answer };
  },
});

/** A link of a new application: the API's CreateLink, without the ids the application gives. */
const NewLink = CreateLink.pick({ original_url: true, link_function: true, link_type: true, description: true, expires_at: true });

const createApplication = tool({
  name: "create_application",
  title: "Create an application with its links",
  description:
    "Makes a new application (company, role, when it was sent) with its tracked links, and answers each link's tracked URL to put in the résumé or cover letter. Always makes a new one: use find_applications first when it may exist already.",
  scope: "admin",
  input: ApplicationLabel.pick({ company: true, role: true, sent_at: true, notes: true })
    .extend({ links: z.array(NewLink, { error: "links must be a list" }).min(1, "links must hold at least 1 link").max(20, "links must hold at most 20 links") })
    .refine((a) => !!a.company || !!a.role, { error: "company or role is required", path: ["company"] }),
  output: CreatedLinks,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  run: async ({ store, config }, { links, ...application }) => {
    const made = await createLinks(store, config, { links, application });
    const label = made.application?.label ?? "the application";
    const text = [`Made ${label} (application_id ${made.application?.application_id}) with ${plural(made.links.length, "link")}; put these URLs in the résumé:`, ...made.links.map((l) => `- ${l.link_function}: ${l.redirect_url}`)];
    return { text: text.join("\n"), structured: made };
  },
});

const LinkRef = z.object({ tracking_id: TrackingId.describe("The link's tracking_id") });

const activeTool = (active: boolean) =>
  tool({
    name: active ? "reactivate_link" : "deactivate_link",
    title: active ? "Reactivate a link" : "Deactivate a link",
    description: active
      ? "Makes a deactivated link redirect to its destination again (deactivate_link's undo); its clicks are counted again from then on."
      : "Stops a tracked link from redirecting: it answers 410 Gone from then on (its clicks stay). For a link that should not be followed any more, e.g. a withdrawn application. reactivate_link undoes it.",
    scope: "admin",
    input: LinkRef,
    output: LinkView,
    annotations: { readOnlyHint: false, destructiveHint: !active, idempotentHint: true, openWorldHint: false },
    run: async ({ store }, { tracking_id }) => {
      const link = await patchLink(store, tracking_id, { is_active: active });
      const state = active ? "redirects again" : "is inactive: it answers 410 Gone";
      return { text: `The ${link.link_function} link ${link.redirect_url} ${state} (since ${nowIso()}).`, structured: link };
    },
  });

const attributeOrphan = tool({
  name: "attribute_orphan",
  title: "Attribute a cut-short link's hits",
  description:
    "Counts the hits on an unknown id (a link cut short when copied, as whats_new reports them) as clicks of the link they were meant for. Needs the orphan id and the link's tracking_id (whats_new names the link it probably was).",
  scope: "admin",
  input: z.object({
    orphan_id: z.string({ error: "orphan_id must be a string" }).min(1, "orphan_id must not be empty").max(100, "orphan_id exceeds 100 characters").describe("The unknown id that was hit"),
    tracking_id: TrackingId.describe("The link the hits were meant for"),
  }),
  output: Attributed,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  run: async ({ store }, { orphan_id, tracking_id }) => {
    const done = await attribute(store, orphan_id, tracking_id);
    return { text: `${plural(done.hits_attributed, "hit")} on "${orphan_id}" now count as clicks of ${tracking_id}.`, structured: done };
  },
});

export const TOOLS: Tool[] = [listApplications, findApplications, applicationVisits, whatsNew, linkAnalyticsTool, createApplication, activeTool(false), activeTool(true), attributeOrphan];
