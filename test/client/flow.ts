/**
 * An integration as the job-application system would write it: a client generated from
 * the served OpenAPI document (generate.ts) and openapi-fetch, type-checked against those
 * types (tsconfig.json here), so an API change that breaks a caller breaks this file.
 *
 *   bun test/client/flow.ts BASE_URL API_KEY  → prints what it saw as JSON
 */
import createClient from "openapi-fetch";
import type { paths } from "./generated/api";

const RECRUITER = {
  "user-agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
  "accept-language": "en-GB,en;q=0.9",
};

/** The data of a call that must succeed; a documented error is thrown with its body. */
function ok<T>(result: { data?: T; error?: unknown; response: Response }, what: string): T {
  if (result.data === undefined) throw new Error(`${what}: ${result.response.status} ${JSON.stringify(result.error)}`);
  return result.data;
}

export async function flow(baseUrl: string, key: string) {
  const api = createClient<paths>({ baseUrl, headers: { "X-API-Key": key } });
  const applicationId = crypto.randomUUID();

  const created = ok(
    await api.POST("/api/link-tracking/links/bulk", {
      body: {
        links: [
          { original_url: "https://www.linkedin.com/in/steve-glen", link_function: "LinkedIn", link_type: "profile", application_id: applicationId },
          { original_url: "https://steve-glen.dev/", link_function: "Portfolio", application_id: applicationId },
        ],
      },
    }),
    "create the application's links",
  );
  const [linkedin, portfolio] = created.links;

  // A recruiter opens the résumé's LinkedIn link: a plain GET of the tracked URL.
  const click = await fetch(`${baseUrl}/${linkedin.link_function.toLowerCase()}?uuid=${linkedin.tracking_id}`, { redirect: "manual", headers: RECRUITER });

  // The portfolio's click reached a redirect node, which ships it in a batch.
  const batch = ok(
    await api.POST("/api/tracking-ingest/batch", {
      body: { events: [{ tracking_id: portfolio.tracking_id, event_id: crypto.randomUUID(), ip_address: "198.51.100.20", user_agent: RECRUITER["user-agent"], click_source: "email" }] },
    }),
    "ingest a batch",
  );

  const rollUp = ok(await api.GET("/api/link-tracking/analytics/applications/{application_id}", { params: { path: { application_id: applicationId } } }), "read the roll-up");
  const analytics = ok(await api.GET("/api/link-tracking/analytics/{tracking_id}", { params: { path: { tracking_id: linkedin.tracking_id } } }), "read the link's analytics");
  const missing = await api.GET("/api/link-tracking/analytics/{tracking_id}", { params: { path: { tracking_id: "no-such-link" } } });

  // The event feed, page by page (2 a page), until a page comes back empty.
  const events: { type: string; scope?: string; tracking_id: string }[] = [];
  let after: string | undefined;
  let pages = 0;
  for (;;) {
    const page = ok(await api.GET("/api/link-tracking/events", { params: { query: { after, limit: "2" } } }), "page the event feed");
    pages++;
    if (page.events.length === 0) break;
    for (const e of page.events) {
      if (e.type === "click.first_human") events.push({ type: e.type, scope: e.data.scope, tracking_id: e.data.link.tracking_id });
      else if (e.type === "link.orphan_hit") events.push({ type: e.type, tracking_id: e.data.orphan_id });
      else events.push({ type: e.type, tracking_id: e.data.link.tracking_id });
    }
    after = page.next_cursor;
  }

  return {
    links: created.links.map((l) => ({ tracking_id: l.tracking_id, redirect_url: l.redirect_url })),
    click: { status: click.status, location: click.headers.get("location") },
    batch: batch.results,
    rollUp: { human_clicks: rollUp.totals.human_clicks, links_clicked: rollUp.totals.links_clicked, visits: rollUp.visits.length },
    analytics: { total_clicks: analytics.click_statistics.total_clicks, human: analytics.clicks_by_kind.human, by_browser: analytics.breakdowns.by_browser },
    missing: { status: missing.response.status, error: missing.error },
    events,
    pages,
  };
}

if (import.meta.main) {
  const [base, key] = process.argv.slice(2);
  console.log(JSON.stringify(await flow(base, key)));
}
