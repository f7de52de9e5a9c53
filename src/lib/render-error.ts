/**
 * Every error an API route can answer, in the shape its seed documents:
 * tracking-ingest-guide.md for /api/tracking-ingest, external-domain-guide.md elsewhere.
 */
import { AppError } from "./errors";
import { nowIso } from "./time";

const TITLES: Record<number, string> = {
  400: "Validation Failed",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

export type ErrorBody = Record<string, unknown>;

/** Every 401 has the seeds' shape (their message when no key or a wrong X-API-Key was sent). */
const unauthorizedBody = (message: string) => ({ success: false, error: "Unauthorized", message });

export function errorBody(path: string, status: number, message: string, details: Record<string, unknown> = {}): ErrorBody {
  if (status === 401) return unauthorizedBody(message);
  if (path.startsWith("/api/tracking-ingest")) {
    const body: ErrorBody = { success: false, error: TITLES[status] ?? "Error", message, ...details };
    if (status === 400) {
      // The seed's own client reads results.failed whenever success is false.
      const errors = (details.validation_errors as string[] | undefined) ?? [message];
      body.validation_errors = errors;
      body.results ??= { total_events: 0, successful: 0, failed: 0, duplicates: 0, errors };
    }
    body.timestamp = nowIso();
    return body;
  }
  return { error: message, ...details, timestamp: nowIso() };
}

export function appErrorBody(path: string, error: AppError): ErrorBody {
  return errorBody(path, error.status, error.message, error.details);
}
