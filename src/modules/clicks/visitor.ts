import { isbot } from "isbot";

export type VisitorKind = "human" | "bot" | "preview" | "scanner" | "owner";

// isbot runs one large regular expression; recruiters' browsers repeat the same few
// user agents, so answers are remembered (bounded: the map is emptied when full).
const MAX_REMEMBERED = 2000;
const remembered = new Map<string, boolean>();

function isBotAgent(userAgent: string): boolean {
  let answer = remembered.get(userAgent);
  if (answer === undefined) {
    answer = isbot(userAgent);
    if (remembered.size >= MAX_REMEMBERED) remembered.clear();
    remembered.set(userAgent, answer);
  }
  return answer;
}

/** The visitor kind a user agent alone can tell. */
export function classifyUserAgent(userAgent: string | undefined | null): { isBot: boolean; visitorKind: VisitorKind } {
  const bot = isBotAgent(userAgent ?? "");
  return { isBot: bot, visitorKind: bot ? "bot" : "human" };
}
