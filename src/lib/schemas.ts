/** Zod pieces several modules' models share, and the one way a list of items is checked. */
import { z } from "zod";
import { parseIsoDateTime } from "./time";
import { nextTurn } from "./turns";

/** URL-safe characters; not dots alone (`.` and `..` are path segments: /track/.. is not a link). */
export const TRACKING_ID_PATTERN = /^(?!\.+$)[A-Za-z0-9._~-]+$/;

const missing = (name: string) => `Missing required field: ${name}`;

/** A tracking_id: 1 to 100 characters of A-Z a-z 0-9 . _ ~ - (tracking-ingest-guide.md). */
export const TrackingId = z
  .string({ error: (iss) => (iss.input == null ? missing("tracking_id") : "tracking_id must be a string") })
  .min(1, { error: missing("tracking_id"), abort: true })
  .max(100, "tracking_id exceeds 100 characters")
  .regex(TRACKING_ID_PATTERN, "Invalid tracking_id format (allowed: A-Z a-z 0-9 . _ ~ -)");

/** An ISO 8601 date-time with Z or an offset, as the UTC instant it names (`…Z`). */
export const isoInstant = (name: string, example = "2027-06-30T23:59:59Z") =>
  z
    .string({ error: `${name} must be an ISO 8601 date-time` })
    // An example on the string a client sends: zod leaves a transform's examples out of the input schema.
    .meta({ examples: [example] })
    .transform((value, ctx) => {
      const iso = parseIsoDateTime(value);
      if (iso === null) {
        ctx.addIssue({ code: "custom", message: `${name} must be an ISO 8601 date-time with Z or an offset` });
        return z.NEVER;
      }
      return iso;
    })
    .meta({ format: "date-time" });

/**
 * An absolute http(s) URL with a host, at most 1000 characters, in its normal form:
 * nothing a browser would run, or resolve against another page.
 */
export const httpUrl = (name: string, example: string) =>
  z
    .string({ error: (iss) => (iss.input == null ? missing(name) : `${name} must be a string`) })
    .max(1000, `${name} exceeds 1000 characters`)
    .refine((value) => {
      try {
        const url = new URL(value);
        return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "" && /^https?:\/\/[^/]/i.test(value);
      } catch {
        return false;
      }
    }, `${name} must be an absolute http:// or https:// URL with a host`)
    .meta({ examples: [example] }) // on what the client sends, as isoInstant's
    .transform((value) => new URL(value).href)
    .refine((href) => href.length <= 1000, `${name} exceeds 1000 characters`)
    .meta({ format: "uri" });

/** The first problem of a request's envelope (e.g. no events array, too many links), or null. */
export function envelopeProblem(schema: z.ZodType, body: unknown): string | null {
  const parsed = schema.safeParse(body);
  return parsed.success ? null : (parsed.error.issues[0]?.message ?? "Invalid request body");
}

/** Items checked between two turns of the event loop: a few hundred microseconds' work. */
const ITEMS_PER_TURN = 100;

/**
 * Checks each item of a list, a slice per turn of the event loop (redirects are answered
 * between slices): the valid ones parsed, and each invalid one's problems as
 * "`label` N: …" (N 1-based), the way the seeds' guides word them.
 */
export type Checked<T> = { success: true; data: T } | { success: false; error: { issues: { message: string }[] } };

export async function checkEach<T>(items: unknown[], check: (item: unknown) => Checked<T>, label: string) {
  const valid: { position: number; value: T }[] = [];
  const errors: string[] = [];
  for (let i = 0; i < items.length; i++) {
    if (i > 0 && i % ITEMS_PER_TURN === 0) await nextTurn();
    const parsed = check(items[i]);
    if (parsed.success) valid.push({ position: i + 1, value: parsed.data });
    else errors.push(`${label} ${i + 1}: ${[...new Set(parsed.error.issues.map((issue) => issue.message))].join("; ")}`);
  }
  return { valid, errors };
}

/** `?limit=` as a whole number from 1 to `max`. */
export const queryLimit = (max: number) => {
  const message = `limit must be a whole number from 1 to ${max}`;
  return z.string().regex(/^\d+$/, message).transform(Number).pipe(z.number().min(1, message).max(max, message));
};

const NAMED_KEYS = 5;

/** For z.strictObject: name the unknown fields (the first few, each cropped: no body is echoed back), or say the body is no object. */
export const strictBodyError = (iss: { code?: string; keys?: string[] }) => {
  if (iss.code !== "unrecognized_keys") return "Request body must be a JSON object";
  const keys = iss.keys ?? [];
  const named = keys.slice(0, NAMED_KEYS).map((k) => (k.length > 50 ? `${k.slice(0, 50)}…` : k));
  return `Unknown field(s): ${named.join(", ")}${keys.length > NAMED_KEYS ? ` and ${keys.length - NAMED_KEYS} more` : ""}`;
};
