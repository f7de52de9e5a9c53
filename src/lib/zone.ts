/**
 * Days in the viewer's time zone (an IANA name, `?tz=Europe/Berlin`): where each local day
 * begins as a UTC instant, so that counts kept per quarter-hour (every zone's midnight
 * falls on one) can be summed into that zone's days.
 */
const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    if (formatters.size > 1000) formatters.clear();
    formatters.set(tz, f);
  }
  return f;
}

/** Whether `tz` names a time zone this runtime knows. */
export function isTimeZone(tz: string): boolean {
  if (tz.length === 0 || tz.length > 64) return false;
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

/** How far ahead of UTC the zone's clocks are at `ms`, in milliseconds. */
export function offsetMs(tz: string, ms: number): number {
  if (tz === "UTC") return 0;
  const parts: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(ms)) if (p.type !== "literal") parts[p.type] = Number(p.value);
  const local = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return local - Math.floor(ms / 1000) * 1000;
}

/** The zone's calendar day at `ms`: "2026-11-30". */
export const localDay = (tz: string, ms: number): string => new Date(ms + offsetMs(tz, ms)).toISOString().slice(0, 10);

const nextDay = (day: string): string => new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);

/** When the zone's day `day` begins, in milliseconds since the epoch. */
export function startOfDay(tz: string, day: string): number {
  const midnight = Date.parse(`${day}T00:00:00Z`);
  const guess = midnight - offsetMs(tz, midnight);
  // Asked again at the guess: the offset may change between UTC midnight and the local one.
  return midnight - offsetMs(tz, guess);
}

/** The whole local days the instants from..to touch: [start of from's day, end of to's day). */
export function wholeDays(tz: string, fromMs: number, toMs: number): { from: number; to: number } {
  return { from: startOfDay(tz, localDay(tz, fromMs)), to: startOfDay(tz, nextDay(localDay(tz, toMs))) };
}

/**
 * The local days of [fromMs, toMs) as runs of equal length: within a run, day i spans
 * [start + i·length, start + (i+1)·length). A zone without daylight saving time is one
 * run of 24-hour days; one with it breaks at each 23- or 25-hour day. Days are counted
 * from the zone's midnight before `fromMs`.
 */
export function dayRuns(tz: string, fromMs: number, toMs: number): { start: number; length: number; days: string[] }[] {
  const runs: { start: number; length: number; days: string[] }[] = [];
  let day = localDay(tz, fromMs);
  let start = startOfDay(tz, day);
  while (start < toMs) {
    const following = nextDay(day);
    const end = startOfDay(tz, following);
    const length = end - start;
    const run = runs.at(-1);
    if (run && run.length === length && run.start + run.days.length * length === start) run.days.push(day);
    else runs.push({ start, length, days: [day] });
    day = following;
    start = end;
  }
  return runs;
}
