/**
 * Request bodies, read so that none can hold the event loop: capped at MAX_BODY_BYTES
 * whether declared or streamed, and JSON nested deeper than MAX_JSON_DEPTH or made of more
 * than MAX_JSON_TOKENS keys and values refused while the bytes arrive, before JSON.parse
 * or any validator sees them (a 60 KB array nested 30,000 deep took a validator 20 s and
 * 2.5 GB; a 5 MiB object of 446,000 keys held the server's thread half a second).
 */
import { AppError, PayloadTooLarge, UnsupportedMediaType } from "./errors";
import { nextTurn } from "./turns";

/** 1000 events at the field limits fit; anything larger is refused before it is read. */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;

/** Levels of objects and arrays in a JSON body; the deepest real body (an event's metadata) needs a handful. */
export const MAX_JSON_DEPTH = 32;

/**
 * Keys and values in a JSON body. The largest real body, 1000 events of a dozen fields
 * with metadata of a few dozen more, has under 100,000; the cost of JSON.parse and of the
 * validators grows with this count far more than with the bytes.
 */
export const MAX_JSON_TOKENS = 200_000;

export const isJsonContentType = (contentType: string | null | undefined): boolean =>
  /^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType ?? "");

/** Refuses a declared Content-Length over the limit without reading the body (GET and HEAD bodies are never read). */
export function checkDeclaredLength(request: Request): void {
  if (request.method === "GET" || request.method === "HEAD") return;
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > MAX_BODY_BYTES) throw new PayloadTooLarge(MAX_BODY_BYTES);
}

export class TooDeep extends AppError {
  constructor() {
    super("BAD_REQUEST", `Request body nests objects or arrays deeper than ${MAX_JSON_DEPTH} levels`);
  }
}

export class TooManyTokens extends AppError {
  constructor() {
    super("BAD_REQUEST", `Request body has more than ${MAX_JSON_TOKENS} keys and values`);
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/**
 * The nesting depth and the size of JSON text, followed across chunks: one pass over the
 * bytes, no allocation. Brackets, commas and colons inside strings do not count (UTF-8
 * never puts an ASCII byte inside a multi-byte character, so bytes are enough). Tokens
 * are counted by what separates them: each `{`, `[`, `:` and `,` starts a key or a value,
 * so `{"a":1,"b":[2,3]}` is 6. It does not validate: JSON.parse does that once the text
 * is known to be safe to parse.
 */
export class JsonShapeScanner {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private tokens = 0;
  /** Bytes seen before the current chunk. */
  private offset = 0;
  /** Whether the text is an object (its first bracket a brace). */
  private object: boolean | null = null;
  /** The array values of the top-level object: where each opens and closes, and its elements' separating commas. */
  readonly arrays: { open: number; close: number; commas: number[] }[] = [];
  private openArray: { open: number; close: number; commas: number[] } | null = null;

  constructor(
    readonly limit = MAX_JSON_DEPTH,
    readonly tokenLimit = MAX_JSON_TOKENS,
  ) {}

  /** "deep" or "large" as soon as the text seen so far passes a limit; null while it does not. */
  push(bytes: Uint8Array): "deep" | "large" | null {
    let { depth, inString, escaped, tokens } = this;
    const { limit, tokenLimit, offset } = this;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (b === BACKSLASH) escaped = true;
        else if (b === QUOTE) inString = false;
      } else if (b === QUOTE) inString = true;
      else if (b === COMMA || b === COLON) {
        if (++tokens > tokenLimit) return "large";
        if (depth === 2 && b === COMMA && this.openArray) this.openArray.commas.push(offset + i);
      } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
        if (++depth > limit) return "deep";
        if (++tokens > tokenLimit) return "large";
        if (depth === 1) this.object ??= b === OPEN_BRACE;
        else if (depth === 2 && b === OPEN_BRACKET && this.object) this.openArray = { open: offset + i, close: -1, commas: [] };
      } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        if (depth === 2 && this.openArray) {
          this.openArray.close = offset + i;
          this.arrays.push(this.openArray);
          this.openArray = null;
        }
        depth--;
      }
    }
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    this.tokens = tokens;
    this.offset += bytes.length;
    return null;
  }
}

/** Bodies larger than this are parsed a part at a time (below it, one JSON.parse costs well under a millisecond). */
const PARSE_WHOLE_BYTES = 256 * 1024;
/** Bytes of array elements parsed between two turns of the event loop: about a millisecond's work. */
const PARSE_SLICE_BYTES = 256 * 1024;

const invalidJson = () => new AppError("BAD_REQUEST", "Request body is not valid JSON");

/** The escape that makes a NUL in JSON text (a raw one is not valid JSON). */
const NUL_ESCAPE = "\\u0000";

/**
 * A parsed value without NUL characters in its strings and keys: no database text holds
 * one (PostgreSQL refuses it), so both stores get the same cleaned value. Walked only
 * when the text has the escape.
 */
export function withoutNul<T>(value: T): T {
  if (typeof value === "string") return (value.includes("\u0000") ? value.replaceAll("\u0000", "") : value) as T;
  if (Array.isArray(value)) return value.map(withoutNul) as T;
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    // (As JSON.parse makes them: own properties, even one named __proto__.)
    Object.defineProperty(out, k.includes("\u0000") ? k.replaceAll("\u0000", "") : k, { value: withoutNul(v), enumerable: true, writable: true, configurable: true });
  }
  return out as T;
}

const parseClean = (text: string): unknown => (text.includes(NUL_ESCAPE) ? withoutNul(JSON.parse(text)) : JSON.parse(text));

/**
 * A large body parsed without holding the event loop: the largest array of the top-level
 * object (an ingest batch's events, a bulk request's links) element by element, a turn of
 * the loop every PARSE_SLICE_BYTES, and the rest of the object around a placeholder. The
 * same value JSON.parse would give, or the same error.
 */
async function parseInParts(bytes: Buffer, shape: JsonShapeScanner): Promise<unknown> {
  const largest = shape.arrays.reduce<(typeof shape.arrays)[number] | null>((a, b) => (!a || b.close - b.open > a.close - a.open ? b : a), null);
  if (!largest) return parseClean(bytes.toString("utf8"));
  const placeholder = `"\\u0000parts-${crypto.randomUUID()}"`;
  const rest = `${bytes.toString("utf8", 0, largest.open)}${placeholder}${bytes.toString("utf8", largest.close + 1)}`;
  const parsed = JSON.parse(rest) as Record<string, unknown>;
  const key = Object.keys(parsed).find((k) => parsed[k] === JSON.parse(placeholder));
  // Cleaned of NULs after the placeholder is found (it has one), the key with it.
  const around = (rest.replace(placeholder, "").includes(NUL_ESCAPE) ? withoutNul(parsed) : parsed) as Record<string, unknown>;
  const cleanKey = key === undefined ? undefined : key.replaceAll("\u0000", "");
  if (key === undefined || cleanKey === undefined) throw invalidJson();
  const bounds = [largest.open, ...largest.commas, largest.close];
  const elements: unknown[] = [];
  let sinceTurn = 0;
  for (let i = 0; i + 1 < bounds.length; i++) {
    const text = bytes.toString("utf8", bounds[i]! + 1, bounds[i + 1]!);
    // `[]` and `[ ]`: no element at all.
    if (bounds.length === 2 && text.trim() === "") break;
    elements.push(parseClean(text));
    sinceTurn += text.length;
    if (sinceTurn >= PARSE_SLICE_BYTES) {
      sinceTurn = 0;
      await nextTurn();
    }
  }
  // (As JSON.parse makes it: an own property, even one named __proto__.)
  Object.defineProperty(around, cleanKey, { value: elements, enumerable: true, writable: true, configurable: true });
  return around;
}

/**
 * Reads a JSON body, stopping as soon as it passes the size limit (a chunked body
 * declares no length), the depth limit or the token limit, and parses it (a large one a
 * part at a time). Every API body is a JSON object, so `null`, numbers and strings are
 * refused.
 */
export async function readJsonBody(request: Request): Promise<object> {
  const reader = request.body?.getReader();
  const chunks: Uint8Array[] = [];
  const shape = new JsonShapeScanner();
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
      const over = shape.push(value);
      if (over) {
        await reader.cancel();
        throw over === "deep" ? new TooDeep() : new TooManyTokens();
      }
      chunks.push(value);
    }
  }
  const bytes = Buffer.concat(chunks);
  let value: unknown;
  try {
    value = bytes.length > PARSE_WHOLE_BYTES ? await parseInParts(bytes, shape) : parseClean(bytes.toString("utf8"));
  } catch {
    throw new AppError("BAD_REQUEST", bytes.toString("utf8").trim() === "" ? "Request body is empty; a JSON object is required" : "Request body is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new AppError("BAD_REQUEST", "Request body must be a JSON object");
  }
  return value;
}

/**
 * The body parser of every route: JSON only. Any other declared type is refused before
 * a byte of it is read (Elysia's own parsers would read text, forms and multipart up to
 * the server's limit).
 */
export function parseBody(request: Request, contentType: string | undefined): Promise<object> {
  if (!isJsonContentType(contentType)) throw new UnsupportedMediaType();
  return readJsonBody(request);
}
