import { describe, expect, test } from "bun:test";
import { ASSISTANTS, assistantOf } from "../../../src/modules/clicks/assistants";
import { classify } from "../../../src/modules/clicks/visitor";
import { call, setup, sql } from "../../utils";

const none = () => false;

/** The user agents as their vendors document them (each entry's source in assistants.ts). */
const ASSISTANT_AGENTS: [string, string, string][] = [
  ["ChatGPT-User", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; ChatGPT-User/1.0; +https://openai.com/bot", "AI assistant ChatGPT (OpenAI, ChatGPT-User)"],
  ["Claude-User", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Claude-User/1.0; +Claude-User@anthropic.com)", "AI assistant Claude (Anthropic, Claude-User)"],
  ["Perplexity-User", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Perplexity-User/1.0; +https://perplexity.ai/perplexity-user)", "AI assistant Perplexity (Perplexity, Perplexity-User)"],
  ["MistralAI-User", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; MistralAI-User/1.0; +https://docs.mistral.ai/robots)", "AI assistant Le Chat (Mistral AI, MistralAI-User)"],
  ["DuckAssistBot", "DuckAssistBot/1.2; (+http://duckduckgo.com/duckassistbot.html)", "AI assistant DuckAssist (DuckDuckGo, DuckAssistBot)"],
  ["Google-NotebookLM", "Mozilla/5.0 (compatible; Google-NotebookLM)", "AI assistant NotebookLM (Google, Google-NotebookLM)"],
  ["Meta-ExternalFetcher", "meta-externalfetcher/1.1 (+https://developers.facebook.com/docs/sharing/webmasters/crawler)", "AI assistant Meta AI (Meta, Meta-ExternalFetcher)"],
];

/** Crawlers that train or index: bots, as before. */
const CRAWLERS: [string, string][] = [
  ["GPTBot", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; GPTBot/1.1; +https://openai.com/gptbot"],
  ["OAI-SearchBot", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; OAI-SearchBot/1.0; +https://openai.com/searchbot"],
  ["ClaudeBot", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)"],
  ["PerplexityBot", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; PerplexityBot/1.0; +https://perplexity.ai/perplexitybot)"],
  ["CCBot", "CCBot/2.0 (https://commoncrawl.org/faq/)"],
  ["Bytespider", "Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)"],
  ["MistralAI crawler", "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; MistralAI-Crawler/1.0)"],
];

describe("AI assistants acting on a person's request", () => {
  test("every entry names its vendor and a source", () => {
    for (const a of ASSISTANTS) {
      expect(a.vendor.length).toBeGreaterThan(0);
      expect(a.source).toStartWith("https://");
    }
    expect(ASSISTANT_AGENTS.map(([token]) => token).sort()).toEqual(ASSISTANTS.map((a) => a.token).sort());
  });

  test.each(ASSISTANT_AGENTS)("%s is an assistant, with a reason naming it", (_token, userAgent, reason) => {
    expect(classify({ userAgent, ip: "198.51.100.1", acceptLanguage: null, isOwnerIp: none })).toEqual({ visitorKind: "assistant", visitorReason: reason });
  });

  test.each(CRAWLERS)("%s stays a bot", (_name, userAgent) => {
    expect(classify({ userAgent, ip: "198.51.100.1", acceptLanguage: null, isOwnerIp: none }).visitorKind).toBe("bot");
  });

  test("a token only as its own word: no match inside another name", () => {
    expect(assistantOf("NotChatGPT-Users/1.0")).toBeNull();
    expect(assistantOf("Mozilla/5.0 (compatible; claude-user/2.0)")?.vendor).toBe("Anthropic");
  });

  test("on the redirect and on ingest: stored as assistant, counted apart from humans, in the CSV", async () => {
    const { app, store } = setup({ trustProxy: true });
    await call(app, "/api/link-tracking/links", { json: { original_url: "https://example.com/", link_function: "LinkedIn", tracking_id: "asked" } });
    const [chatgpt, claude] = ASSISTANT_AGENTS;
    // The assistant fetches from its vendor's cloud, without Accept-Language: still the assistant.
    const res = await app.handle(new Request("http://localhost/linkedin?uuid=asked", { headers: { "user-agent": chatgpt![1], "x-forwarded-for": "20.171.206.1" } }));
    expect(res.status).toBe(302);
    const ingested = await call(app, "/api/tracking-ingest/batch", {
      json: { events: [{ event_id: "a-1", tracking_id: "asked", clicked_at: new Date().toISOString(), user_agent: claude![1], ip_address: "160.79.104.10" }] },
    });
    expect(ingested.status).toBe(200);
    const rows = (await sql(store)).query("select origin, visitor_kind, visitor_reason, is_bot from link_clicks order by origin desc").all();
    expect(rows).toEqual([
      { origin: "redirect", visitor_kind: "assistant", visitor_reason: "AI assistant ChatGPT (OpenAI, ChatGPT-User)", is_bot: 1 },
      { origin: "ingest", visitor_kind: "assistant", visitor_reason: "AI assistant Claude (Anthropic, Claude-User)", is_bot: 1 },
    ]);
    const stats = await call(app, "/api/link-tracking/analytics/asked");
    expect(stats.body.click_statistics.total_clicks).toBe(0);
    expect(stats.body.clicks_by_kind).toMatchObject({ human: 0, assistant: 2, bot: 0 });
    expect(stats.body.bot_clicks).toBe(2);
    expect(stats.body.clicks_per_day.at(-1)).toMatchObject({ assistant: 2, human: 0 });
    const csv = await app.handle(new Request("http://localhost/api/link-tracking/clicks.csv?include_bots=true", { headers: { "x-api-key": "test-key-0123456789abcdef" } }));
    expect((await csv.text()).match(/,assistant,/g)).toHaveLength(2);
  });
});

describe("the click.assistant signal", () => {
  test("an assistant's fetch of a link is an event, once per link a day, named by its application; a crawler's is none", async () => {
    const { app } = setup({ signalHoldSeconds: 0 });
    const application = "d4d4d4d4-0000-4000-8000-000000000004";
    await call(app, "/api/link-tracking/links/bulk", {
      json: { application: { application_id: application, company: "Acme", role: "SRE" }, links: [{ tracking_id: "acme-cv", link_function: "Portfolio", original_url: "https://example.com/" }] },
    });
    const [chatgpt, claude] = ASSISTANT_AGENTS;
    const today = new Date().toISOString();
    const events = [
      { event_id: "s-1", tracking_id: "acme-cv", clicked_at: today, user_agent: chatgpt![1] },
      { event_id: "s-2", tracking_id: "acme-cv", clicked_at: today, user_agent: claude![1] },
      { event_id: "s-3", tracking_id: "acme-cv", clicked_at: today, user_agent: CRAWLERS[0]![1] },
    ];
    expect((await call(app, "/api/tracking-ingest/batch", { json: { events } })).status).toBe(200);
    // Another batch the same day: still one.
    expect((await call(app, "/api/tracking-ingest/batch", { json: { events: [{ ...events[0], event_id: "s-4" }] } })).status).toBe(200);
    const feed = await call(app, "/api/link-tracking/events");
    const assisted = feed.body.events.filter((e: { type: string }) => e.type === "click.assistant");
    expect(assisted).toHaveLength(1);
    expect(assisted[0].data).toMatchObject({
      application_id: application,
      application: { label: "Acme — SRE" },
      link: { tracking_id: "acme-cv", link_function: "Portfolio" },
      assistant: { name: "ChatGPT", vendor: "OpenAI", token: "ChatGPT-User" },
      click: { visitor_kind: "assistant" },
    });
    expect(feed.body.events.filter((e: { type: string }) => e.type === "click.first_human")).toEqual([]);
  });
});
