/**
 * The Model Context Protocol server: the tools of tools.ts, the overview as a resource and
 * a morning-summary prompt, for a key of one scope. Built on the SDK's low-level Server
 * (not McpServer) so that a tool the key may not call is a protocol error, as a route the
 * key may not call is a 403, while bad arguments stay a tool error naming the field (what
 * a model can correct). One server per HTTP request (stateless), one per stdio session.
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  type CallToolResult,
} from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { StoreUnavailable } from "../../db/store";
import { AppError } from "../../lib/errors";
import type { Logger } from "../../lib/log";
import { VERSION } from "../../version";
import { overview } from "../analytics/overview";
import { allows, type Scope } from "../auth/service";
import { TOOLS, type Tool, type ToolDeps } from "./tools";

/** A JSON-RPC error of the implementation-defined range: the key's scope does not allow the tool. */
export const FORBIDDEN_TOOL = -32003;

const INSTRUCTIONS =
  "link-tracker tracks the links a job seeker puts in résumés and cover letters: which application was opened, when, and from where. " +
  "A click by a person is a recruiter or someone at the company; clicks by mail scanners, bots and link previews are told apart and never count as opens. " +
  "Start with list_applications or whats_new; find_applications finds one by company or role; application_visits tells one application's story.";

/** Each tool's JSON Schemas, made once (a server is made per request). */
const schemas = new Map<Tool, { inputSchema: Record<string, unknown>; outputSchema: Record<string, unknown> }>();
const jsonSchema = (schema: z.ZodType, io: "input" | "output") => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { target: "draft-7", io, unrepresentable: "any" }) as Record<string, unknown>;
  return rest;
};
function schemasOf(tool: Tool) {
  let known = schemas.get(tool);
  if (!known) schemas.set(tool, (known = { inputSchema: jsonSchema(tool.input, "input"), outputSchema: jsonSchema(tool.output, "output") }));
  return known;
}

const OVERVIEW_URI = "link-tracker://overview";

const toolError = (text: string): CallToolResult => ({ content: [{ type: "text", text }], isError: true });

/** "links.0.original_url: original_url must be …; company: company or role is required". */
const argumentProblems = (error: z.ZodError) => error.issues.map((i) => (i.path.length > 0 ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");

async function callTool(deps: ToolDeps, log: Logger, tool: Tool, args: unknown): Promise<CallToolResult> {
  const parsed = tool.input.safeParse(args ?? {});
  if (!parsed.success) return toolError(`Invalid arguments for ${tool.name}: ${argumentProblems(parsed.error)}`);
  try {
    const { text, structured } = await tool.run(deps, parsed.data as never);
    return { content: [{ type: "text", text }], structuredContent: structured };
  } catch (error) {
    if (error instanceof AppError) {
      const more = Array.isArray(error.details.validation_errors) ? (error.details.validation_errors as string[]).filter((e) => e !== error.message) : [];
      const about = ["tracking_id", "application_id", "orphan_id"].map((k) => error.details[k]).find((v) => typeof v === "string");
      return toolError([about ? `${error.message}: ${about}` : error.message, ...more].join("; "));
    }
    if (error instanceof StoreUnavailable) return toolError("The database is unavailable right now; try again in a moment.");
    log.error({ err: error, tool: tool.name }, "mcp tool failed");
    return toolError("Internal error");
  }
}

export function mcpServer(deps: ToolDeps & { log: Logger }, scope: Scope): Server {
  const { log, ...toolDeps } = deps;
  const server = new Server(
    { name: "link-tracker", title: "link-tracker", version: VERSION },
    { capabilities: { tools: {}, resources: {}, prompts: {} }, instructions: INSTRUCTIONS },
  );
  const allowed = TOOLS.filter((t) => allows(scope, t.scope));

  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: allowed.map((t) => ({ name: t.name, title: t.title, description: t.description, ...schemasOf(t), annotations: t.annotations })),
  }));

  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const tool = TOOLS.find((t) => t.name === request.params.name);
    if (!tool) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${request.params.name.slice(0, 100)}`);
    if (!allows(scope, tool.scope)) throw new McpError(FORBIDDEN_TOOL, `${tool.name} needs a key with the ${tool.scope} scope; this key's scope is ${scope}`);
    return callTool(toolDeps, log, tool, request.params.arguments);
  });

  server.setRequestHandler(ListResourcesRequestSchema, () => ({
    resources: [
      {
        uri: OVERVIEW_URI,
        name: "overview",
        title: "The last 30 days",
        description: "Totals, top links, clicks by people per day, recent clicks with their kind, cut-short links with the link they probably were, and applications nobody opened yet (the API's GET /api/link-tracking/analytics).",
        mimeType: "application/json",
      },
    ],
  }));

  server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
    if (request.params.uri !== OVERVIEW_URI) throw new McpError(ErrorCode.InvalidParams, `Unknown resource: ${request.params.uri.slice(0, 200)}`);
    const answer = await overview(toolDeps.store, {});
    return { contents: [{ uri: OVERVIEW_URI, mimeType: "application/json", text: JSON.stringify(answer) }] };
  });

  server.setRequestHandler(ListPromptsRequestSchema, () => ({
    prompts: [{ name: "morning_summary", title: "Morning summary", description: "What happened with the job applications since yesterday, in a few lines." }],
  }));

  server.setRequestHandler(GetPromptRequestSchema, (request) => {
    if (request.params.name !== "morning_summary") throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${request.params.name.slice(0, 100)}`);
    return {
      description: "What happened with the job applications since yesterday",
      messages: [
        {
          role: "user",
          content: {
            type: "text",
            text:
              "Give me my morning summary from link-tracker. Call whats_new for the last 24 hours, then list_applications. " +
              "In a few lines: which applications were opened for the first time, where someone came back, and any cut-short link to attribute; then how many applications are still not opened. " +
              "Say where a click came from by its network and country only, never guess who the person is, and do not count mail scanners, bots or link previews as opens.",
          },
        },
      ],
    };
  });

  return server;
}
