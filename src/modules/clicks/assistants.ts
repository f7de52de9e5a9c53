/**
 * AI assistants that fetch a page because a person asked them to, right then (a
 * recruiter asking about the candidate, someone pasting the link into a chat): neither a
 * crawler's noise nor the person's own browser. Each entry is a user agent token its
 * vendor documents for fetches made on a user's request, with where it says so. The
 * crawlers that train or index (GPTBot, OAI-SearchBot, ClaudeBot, PerplexityBot, CCBot,
 * Bytespider, Google-Extended's crawls…) are not here: they stay bots.
 */
export type Assistant = { token: string; name: string; vendor: string; source: string };

export const ASSISTANTS: readonly Assistant[] = [
  { token: "ChatGPT-User", name: "ChatGPT", vendor: "OpenAI", source: "https://platform.openai.com/docs/bots" },
  {
    token: "Claude-User",
    name: "Claude",
    vendor: "Anthropic",
    source: "https://support.claude.com/en/articles/8896518-does-anthropic-crawl-data-from-the-web-and-how-can-site-owners-block-the-crawler",
  },
  { token: "Perplexity-User", name: "Perplexity", vendor: "Perplexity", source: "https://docs.perplexity.ai/guides/bots" },
  { token: "MistralAI-User", name: "Le Chat", vendor: "Mistral AI", source: "https://docs.mistral.ai/robots" },
  { token: "DuckAssistBot", name: "DuckAssist", vendor: "DuckDuckGo", source: "https://duckduckgo.com/duckduckgo-help-pages/results/duckassistbot" },
  { token: "Google-NotebookLM", name: "NotebookLM", vendor: "Google", source: "https://developers.google.com/crawling/docs/crawlers-fetchers/google-user-triggered-fetchers" },
  { token: "Meta-ExternalFetcher", name: "Meta AI", vendor: "Meta", source: "https://developers.facebook.com/docs/sharing/webmasters/web-crawlers" },
];

// A token as its own word: "ChatGPT-User/1.0", "compatible; Claude-User", never "NotChatGPT-Users".
const PATTERN = new RegExp(`(?:^|[^A-Za-z0-9-])(${ASSISTANTS.map((a) => a.token.replace(/[-]/g, "\\-")).join("|")})(?![A-Za-z0-9-])`, "i");
const BY_TOKEN = new Map(ASSISTANTS.map((a) => [a.token.toLowerCase(), a]));

/** The assistant a user agent names, or null. */
export function assistantOf(userAgent: string): Assistant | null {
  const match = PATTERN.exec(userAgent);
  return match ? BY_TOKEN.get(match[1]!.toLowerCase())! : null;
}

/** "AI assistant ChatGPT (OpenAI, ChatGPT-User)": a click's reason. */
export const assistantReason = (a: Assistant) => `AI assistant ${a.name} (${a.vendor}, ${a.token})`;
