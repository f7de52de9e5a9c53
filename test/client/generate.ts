/**
 * Generates the API's TypeScript types from an OpenAPI document with openapi-typescript,
 * as an integrator would from `/swagger/json`. It lives in its own workspace package
 * because openapi-typescript drives TypeScript 5's compiler API.
 *
 *   bun test/client/generate.ts http://127.0.0.1:5001/swagger/json [OUT]
 */
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import openapiTS, { astToString } from "openapi-typescript";

export const GENERATED = join(import.meta.dir, "generated/api.ts");

/** The `paths`, `components` and `operations` types of a document, as source text. */
export async function generateTypes(document: object): Promise<string> {
  return astToString(await openapiTS(document as Parameters<typeof openapiTS>[0]));
}

export async function writeTypes(document: object, out = GENERATED): Promise<string> {
  mkdirSync(dirname(out), { recursive: true });
  await Bun.write(out, await generateTypes(document));
  return out;
}

if (import.meta.main) {
  const [url, out] = process.argv.slice(2);
  if (!url) {
    console.error("usage: bun test/client/generate.ts DOCUMENT_URL [OUT]");
    process.exit(2);
  }
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  console.log(await writeTypes((await res.json()) as object, out));
}
