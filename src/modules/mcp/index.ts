/**
 * /mcp: the Model Context Protocol's Streamable HTTP transport, stateless (a server and a
 * transport per request, answers as JSON, no session to keep across instances). The key
 * is checked from the headers before the body is read (app.ts), like every /api route;
 * the body is read by the same capped parser. A browser page may call it only from
 * PUBLIC_BASE_URL's origin or MCP_ALLOWED_ORIGINS (the specification's defence against
 * DNS rebinding); a client that sends no Origin (an assistant's own process) always may.
 */
import { Elysia } from "elysia";
import { authPlugin, type ModuleContext } from "../auth";

/** The SDK (and the JSON Schema validator it brings) is loaded at the first call, not at every start: most servers never get one. */
let protocol: Promise<[typeof import("./server"), typeof import("@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js")]> | null = null;
const loadProtocol = () => (protocol ??= Promise.all([import("./server"), import("@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js")]));

/** A JSON-RPC error answer with no id (the request was refused before it was read). */
const refusal = (status: number, code: number, message: string, headers: Record<string, string> = {}) =>
  Response.json({ jsonrpc: "2.0", error: { code, message }, id: null }, { status, headers });

/** JSON-RPC batches were dropped by the protocol; an old client's batch is bounded all the same. */
const MAX_BATCH = 20;

export const mcpModule = ({ store, config, log, ...auth }: ModuleContext) => {
  const allowed = new Set([new URL(config.publicBaseUrl).origin, ...config.mcpAllowedOrigins]);
  const originRefused = (request: Request) => {
    const origin = request.headers.get("origin");
    return origin !== null && !allowed.has(origin);
  };
  const notAllowed = () => refusal(405, -32000, "Method not allowed: this server answers POST only (stateless, no event stream)", { allow: "POST" });
  return new Elysia({ tags: ["MCP"] })
    .use(authPlugin(auth))
    .post(
      "/mcp",
      async ({ request, body }) => {
        if (originRefused(request)) return refusal(403, -32000, "Forbidden: this Origin may not call /mcp (see MCP_ALLOWED_ORIGINS)");
        if (Array.isArray(body) && body.length > MAX_BATCH) return refusal(400, -32600, `A batch holds at most ${MAX_BATCH} messages`);
        const { scope } = await auth.gate(request);
        const [{ mcpServer }, { WebStandardStreamableHTTPServerTransport }] = await loadProtocol();
        const server = mcpServer({ store, config, log }, scope);
        const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
        await server.connect(transport);
        try {
          return await transport.handleRequest(request, { parsedBody: body });
        } finally {
          await server.close();
        }
      },
      {
        auth: "read",
        detail: {
          hide: true,
          // Named so that app.ts reads the body (JSON-RPC) through its capped parser.
          requestBody: { required: true, content: { "application/json": { schema: { type: "object" } } } },
        },
      },
    )
    .get("/mcp", notAllowed, { auth: "read", detail: { hide: true } })
    .delete("/mcp", notAllowed, { auth: "read", detail: { hide: true } });
};
