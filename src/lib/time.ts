/** ISO 8601 UTC with milliseconds and a trailing Z: the one timestamp format stored and returned. */
export const nowIso = (): string => new Date().toISOString();

// Date-time with a mandatory zone (Z or ±hh:mm); fractional seconds optional.
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * Parses an ISO 8601 date-time with a zone and returns it as UTC ISO, or null when it
 * is not one or names a day or time that does not exist (2025-13-45, 2025-02-30).
 */
export function parseIsoDateTime(value: string): string | null {
  const ms = parseIsoDateTimeMs(value);
  return ms === null ? null : new Date(ms).toISOString();
}

/** parseIsoDateTime's instant in milliseconds since the epoch, or null. */
export function parseIsoDateTimeMs(value: string): number | null {
  const m = ISO_DATE_TIME.exec(value);
  if (!m) return null;
  const month = Number(m[2]), day = Number(m[3]), hour = Number(m[4]), minute = Number(m[5]), second = Number(m[6] ?? 0);
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null;
  if (day < 1 || day > daysInMonth(Number(m[1]), month)) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

const THIRTY_DAYS = new Set([4, 6, 9, 11]);

const daysInMonth = (year: number, month: number): number =>
  month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : THIRTY_DAYS.has(month) ? 30 : 31;
