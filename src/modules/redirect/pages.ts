/**
 * The pages a recruiter may see instead of a redirect. They reflect nothing from the
 * request, so there is nothing to escape, and they load nothing from elsewhere.
 */
const page = (title: string, text: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${title}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:0;display:grid;place-items:center;min-height:100vh;background:#f7f7f8;color:#222}main{max-width:32rem;padding:2rem}h1{font-size:1.4rem}</style>
</head>
<body><main><h1>${title}</h1><p>${text}</p></main></body>
</html>
`;

export const NOT_FOUND_PAGE = page(
  "This link is not available",
  "The link you followed may be incomplete: links in PDFs and emails are sometimes cut at a line break. Please check that the whole address was copied.",
);

export const GONE_PAGE = page("This link has expired", "The link you followed is no longer active.");

export const UNAVAILABLE_PAGE = page("Please try again in a moment", "This link cannot be opened right now. Please try again in a few minutes.");

const PAGE_HEADERS = {
  "Content-Type": "text/html; charset=utf-8",
  "Cache-Control": "no-store",
  "X-Robots-Tag": "noindex",
  "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
  "X-Content-Type-Options": "nosniff",
};

export const htmlPage = (status: 404 | 410 | 503, body: string, method: string): Response =>
  new Response(method === "HEAD" ? null : body, { status, headers: PAGE_HEADERS });

export const ROBOTS_TXT = "User-agent: *\nDisallow: /\n";

/** RATE_LIMIT_REDIRECT's refusal (off by default: a recruiter is never refused). */
export const tooManyRequests = (retryAfterSeconds: number): Response =>
  new Response("Too many requests. Please try again in a minute.\n", {
    status: 429,
    headers: { "Content-Type": "text/plain; charset=utf-8", "Retry-After": String(retryAfterSeconds), "Cache-Control": "no-store" },
  });
