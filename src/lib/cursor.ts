/**
 * The cursors of paged lists: where the next page starts, as the row it starts after
 * (a pair of strings: its sort key and its id), opaque to clients.
 */
import { ValidationFailed } from "./errors";

export const encodeCursor = (key: string, id: string): string => Buffer.from(JSON.stringify([key, id])).toString("base64url");

/** The pair a cursor of this server holds; anything else is the documented 400. */
export function decodeCursor(cursor: string): [key: string, id: string] {
  try {
    const [key, id] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (typeof key === "string" && typeof id === "string") return [key, id];
  } catch {}
  throw new ValidationFailed("cursor is not one this server issued", { validation_errors: ["cursor is not one this server issued"] });
}
