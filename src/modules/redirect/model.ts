/** First path segments that belong to the server, never to a link source. */
export const RESERVED_SOURCES = new Set([
  "api",
  "track",
  "health",
  "metrics",
  "swagger",
  "dashboard",
  "favicon.ico",
  "robots.txt",
]);

/** The path segment a link_function becomes: "LinkedIn" → "linkedin", "Company Website" → "company-website". */
export function sourceSlug(linkFunction: string): string {
  return linkFunction
    .toLowerCase()
    .replace(/[^a-z0-9._~-]+/g, "-")
    .replace(/^[-.]+|[-.]+$/g, "")
    .slice(0, 50);
}

/** Whether `/{slug}?uuid=` can carry a link: not empty, not the server's own, not swagger/dashboard pages. */
export const isUsableSource = (slug: string): boolean =>
  slug !== "" && !RESERVED_SOURCES.has(slug) && !slug.startsWith("swagger") && !slug.startsWith("dashboard");

/** The route patterns of the redirect (index.ts): what a recruiter's click hits. */
export const isRedirectRoute = (pattern: string): boolean => pattern === "/:source" || pattern === "/track/:id";
