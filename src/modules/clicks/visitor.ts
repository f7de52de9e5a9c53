import { isbot } from "isbot";

export type VisitorKind = "human" | "bot" | "preview" | "scanner" | "owner";

/** The visitor kind a user agent alone can tell. */
export function classifyUserAgent(userAgent: string | undefined | null): { isBot: boolean; visitorKind: VisitorKind } {
  const bot = isbot(userAgent ?? "");
  return { isBot: bot, visitorKind: bot ? "bot" : "human" };
}
