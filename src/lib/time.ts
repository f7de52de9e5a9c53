/** ISO 8601 UTC with milliseconds and a trailing Z: the one timestamp format stored and returned. */
export const nowIso = (): string => new Date().toISOString();

// Date-time with a mandatory zone (Z or ±hh:mm); fractional seconds optional.
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * Parses an ISO 8601 date-time with a zone and returns it as UTC ISO, or null when it
 * is not one or names a day or time that does not exist (2025-13-45, 2025-02-30).
 */
export function parseIsoDateTime(value: string): string | null {
  const m = ISO_DATE_TIME.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s = "0"] = m;
  const month = Number(mo), day = Number(d), hour = Number(h), minute = Number(mi), second = Number(s);
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null;
  const daysInMonth = new Date(Date.UTC(Number(y), month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}
