import { z } from "zod";

/** JSON Schema of what a client sends (transforms and preprocessing are not the client's concern). */
export const toJsonSchema = (schema: z.ZodType): object => z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as object;

/** An OpenAPI `content` entry for a zod schema, for routes that validate their body themselves. */
export const jsonContent = (schema: z.ZodType) => ({ "application/json": { schema: toJsonSchema(schema) } });
