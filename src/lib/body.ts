import { AppError, PayloadTooLarge } from "./errors";

/** 1000 events at the field limits fit; anything larger is refused before it is read. */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;

export const isJsonContentType = (contentType: string | undefined): boolean =>
  /^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType ?? "");

/** Refuses a declared Content-Length over the limit without reading the body (GET and HEAD bodies are never read). */
export function checkDeclaredLength(request: Request): void {
  if (request.method === "GET" || request.method === "HEAD") return;
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > MAX_BODY_BYTES) throw new PayloadTooLarge(MAX_BODY_BYTES);
}

/**
 * Reads a JSON body, stopping as soon as it passes the limit (a chunked body declares
 * no length). Every API body is a JSON object, so `null`, numbers and strings are refused.
 */
export async function readJsonBody(request: Request): Promise<object> {
  const reader = request.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (reader) {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_BODY_BYTES) {
        await reader.cancel();
        throw new PayloadTooLarge(MAX_BODY_BYTES);
      }
      chunks.push(value);
    }
  }
  const text = Buffer.concat(chunks).toString("utf8");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AppError("BAD_REQUEST", text.trim() === "" ? "Request body is empty; a JSON object is required" : "Request body is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new AppError("BAD_REQUEST", "Request body must be a JSON object");
  }
  return value;
}
