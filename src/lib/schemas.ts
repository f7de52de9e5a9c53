/** Zod pieces several modules' models share. */
import { z } from "zod";

/** `?limit=` as a whole number from 1 to `max`. */
export const queryLimit = (max: number) => {
  const message = `limit must be a whole number from 1 to ${max}`;
  return z.string().regex(/^\d+$/, message).transform(Number).pipe(z.number().min(1, message).max(max, message));
};

/** For z.strictObject: name the unknown fields, or say the body is no object. */
export const strictBodyError = (iss: { code?: string; keys?: string[] }) =>
  iss.code === "unrecognized_keys" ? `Unknown field(s): ${(iss.keys ?? []).join(", ")}` : "Request body must be a JSON object";
