/**
 * The bare-Bun reproduction `npm run bench` prints next to link-tracker's own line: a
 * Bun.serve whose /slow holds the loop 300 ms, and three quick routes, one answering at
 * once, one after a `setImmediate`, one after a microtask. While clients loop /slow, how
 * long does each quick route wait? (Bun may run no `setImmediate` callback or timer for
 * as long as such requests keep arriving; a redirect must not wait on one.)
 */
const spin = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};
const starving = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch(req) {
    const path = new URL(req.url).pathname;
    if (path === "/slow") spin(300);
    else if (path === "/immediate") await new Promise((resolve) => setImmediate(resolve));
    else if (path === "/microtask") await new Promise<void>((resolve) => queueMicrotask(resolve));
    return new Response(null, { status: 302, headers: { Location: "https://example.com/" } });
  },
});
console.log(JSON.stringify({ port: starving.port }));
export {};
