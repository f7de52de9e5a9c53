// The baseline: a bare Bun.serve answering every request with the same 302.
const server = Bun.serve({
  port: Number(process.env.PORT ?? 0),
  hostname: "127.0.0.1",
  fetch: () => new Response(null, { status: 302, headers: { Location: "https://linkedin.com/in/steve-glen", "Cache-Control": "no-store" } }),
});
console.log(JSON.stringify({ port: server.port }));
