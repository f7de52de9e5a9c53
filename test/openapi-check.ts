/**
 * The document cannot drift from the code: every JSON answer a test receives through
 * `call()` (test/utils.ts) is checked against the response schema the served OpenAPI
 * document gives for its operation and status (JSON Schema 2020-12, ajv), and a mismatch
 * fails that test, and so does a JSON answer whose operation and status the document does
 * not describe.
 */
import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import { createApp } from "../src/app";
import { testConfig } from "../src/config";
import { openSqliteStore } from "../src/db/sqlite/store";

type Operation = { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> };
type Document = { paths: Record<string, Record<string, Operation>>; components?: Record<string, unknown> };

let document: Promise<{ doc: Document; routes: { method: string; pattern: RegExp; template: string }[]; ajv: Ajv2020 }> | null = null;
const validators = new Map<string, ValidateFunction>();

/** What was checked (operation and status) and what could not be, for a report. */
export const checked = new Set<string>();
export const undocumented = new Set<string>();

function load() {
  document ??= (async () => {
    const app = createApp({ store: openSqliteStore(":memory:"), config: testConfig({ webhookApiKey: "k".repeat(20) }) });
    const doc = (await (await app.handle(new Request("http://localhost/swagger/json"))).json()) as Document;
    const routes = Object.entries(doc.paths).flatMap(([template, ops]) =>
      Object.keys(ops).map((method) => ({ method: method.toUpperCase(), template, pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+").replaceAll(".", "\\.")}$`) })),
    );
    // Specific paths before templated ones (/analytics/applications before /analytics/{tracking_id}).
    routes.sort((a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0));
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    ajv.addSchema({ $id: "openapi", components: doc.components ?? {} });
    return { doc, routes, ajv };
  })();
  return document;
}

const rewriteRefs = (schema: unknown): unknown =>
  JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/'));

export async function checkResponse(method: string, url: string, status: number, contentType: string | null, body: unknown): Promise<void> {
  if (!contentType?.includes("application/json")) return;
  const path = new URL(url).pathname;
  if (!path.startsWith("/api/") && path !== "/metrics") return;
  const { doc, routes, ajv } = await load();
  const route = routes.find((r) => r.method === method && r.pattern.test(path));
  if (!route) return;
  const key = `${method} ${route.template} ${status}`;
  const schema = doc.paths[route.template][route.method.toLowerCase()].responses?.[String(status)]?.content?.["application/json"]?.schema;
  if (!schema) {
    if (!undocumented.has(key)) note("undescribed", key);
    undocumented.add(key);
    throw new Error(`${key}: a JSON answer the OpenAPI document does not describe (add it to the route's response)`);
  }
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile(rewriteRefs(schema) as object);
    validators.set(key, validate);
  }
  if (!validate(body)) {
    throw new Error(`${key}: the answer does not match the OpenAPI document: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 500)}`);
  }
  if (!checked.has(key)) note("checked", key);
  checked.add(key);
}

// OPENAPI_REPORT=FILE bun test: each response checked ("checked …") or not described
// ("undescribed …") is appended to FILE, for a report (sort -u FILE).
const report = process.env.OPENAPI_REPORT;
const note = (what: "checked" | "undescribed", key: string) => {
  if (report) require("node:fs").appendFileSync(report, `${what} ${key}\n`);
};
