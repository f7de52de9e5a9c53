/** Zod pieces several modules' models share. */
import { z } from "zod";

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
