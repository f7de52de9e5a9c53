/**
 * Domain errors. Each carries a code from a closed list; the HTTP status follows from
 * the code, and app.ts renders every one of them as the documented JSON.
 */
export const errorStatus = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra fields merged into the JSON body, e.g. `tracking_id` or `validation_errors`. */
    readonly details: Record<string, unknown> = {},
    /** Extra response headers, e.g. Retry-After. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = errorStatus[code];
  }
}

export class ValidationFailed extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("BAD_REQUEST", message, details);
  }
}

/** How a refused request presented itself: the answer says what it should have sent. */
export type Presented = "key" | "bearer" | "session";

const UNAUTHORIZED_MESSAGES: Record<Presented, string> = {
  key: "Valid API key required in X-API-Key header",
  bearer: "Valid API key required in the Authorization: Bearer header",
  session: "The dashboard session has ended or is not this site's: sign in again",
};

export class Unauthorized extends AppError {
  constructor(presented: Presented = "key") {
    super("UNAUTHORIZED", UNAUTHORIZED_MESSAGES[presented]);
  }
}

export class Forbidden extends AppError {
  constructor(needed: string) {
    super("FORBIDDEN", `This API key's scope does not allow this request (needs ${needed})`);
  }
}

export class NotFound extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("NOT_FOUND", message, details);
  }
}

export class Conflict extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super("CONFLICT", message, details);
  }
}

export class PayloadTooLarge extends AppError {
  constructor(limitBytes: number) {
    super("PAYLOAD_TOO_LARGE", `Request body exceeds ${limitBytes} bytes`);
  }
}

export class UnsupportedMediaType extends AppError {
  constructor() {
    super("UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json");
  }
}

export class RateLimited extends AppError {
  constructor(retryAfterSeconds: number) {
    super("RATE_LIMITED", "Too many requests; retry later", {}, { "Retry-After": String(retryAfterSeconds) });
  }
}

export class Unavailable extends AppError {
  constructor(message: string, retryAfterSeconds = 5) {
    super("UNAVAILABLE", message, {}, { "Retry-After": String(retryAfterSeconds) });
  }
}
