import { z } from "zod";

/**
 * JSON Schema of what a client sends (transforms and preprocessing are not the client's
 * concern). An integer's safe-integer bounds are left out: they say nothing a client
 * needs, and Swagger UI would show -9007199254740991 as every count's example.
 */
export const toJsonSchema = (schema: z.ZodType): object =>
  z.toJSONSchema(schema, {
    io: "input",
    unrepresentable: "any",
    override: ({ jsonSchema }) => {
      if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
      if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
    },
  }) as object;

/** An OpenAPI `content` entry for a zod schema, for routes that validate their body themselves. */
export const jsonContent = (schema: z.ZodType) => ({ "application/json": { schema: toJsonSchema(schema) } });

/**
 * The error bodies every route answers in (lib/render-error.ts), as named components of
 * the document: the seed's 400 of the ingest API, the guides' 401, and the one shape of
 * every other error.
 */
export const ErrorBody = z
  .object({
    error: z.string().describe("What went wrong, for a person"),
    timestamp: z.string().describe("ISO 8601 UTC"),
  })
  .catchall(z.unknown())
  .describe("An error of the link-tracking API: the message, the fields it concerns, the time");

export const UnauthorizedBody = z
  .object({ success: z.literal(false), error: z.literal("Unauthorized"), message: z.string() })
  .describe("No key, or a key that is not valid (the guides' 401 body)");

/** The error bodies as Elysia models: a route names them in its `response`, the document gets them once, as components. */
export const ERROR_MODELS = { Error: ErrorBody, Unauthorized: UnauthorizedBody };

/** A route's `response` entries for the errors it can answer, by status, each naming its model. */
export function errorResponses<S extends 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 503>(...statuses: S[]) {
  return Object.fromEntries(statuses.map((status) => [status, status === 401 ? "Unauthorized" : "Error"])) as Record<S, "Error" | "Unauthorized">;
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: "The request is not valid (the message says which field or parameter)",
  401: "No API key, or one that is not valid",
  403: "The key's scope does not allow this",
  404: "No such resource",
  409: "Conflicts with what is stored",
  413: "The body is over 5 MiB",
  415: "The body is not JSON",
  429: "Too many requests; Retry-After says when to try again",
  503: "The database cannot take the request now; Retry-After says when to try again",
};

/** The same errors as OpenAPI response objects, for a route whose success is not JSON (its `detail.responses`). */
export function errorResponseDocs(...statuses: (400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 503)[]) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      { description: ERROR_DESCRIPTIONS[status], content: { "application/json": { schema: { $ref: `#/components/schemas/${status === 401 ? "Unauthorized" : "Error"}` } } } },
    ]),
  );
}
