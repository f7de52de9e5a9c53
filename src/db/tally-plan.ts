/**
 * How a period is read from roll-ups, for both stores (sqlite/tallies.ts,
 * postgres/tallies.ts): the period cut into the whole units of each grain, coarsest
 * first, and the pieces left at its ends, which only link_clicks itself can count. And
 * how the breakdowns the API shows are read from the two kept ones ("visit", "place").
 */
import type { CountDimension } from "./store";

export const QUARTER_MS = 900_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
/** An open end: every click is after 1970 and before 9999. */
const END_OF_TIME = Date.parse("9999-01-01T00:00:00Z");

/** A half-open range of instants, in milliseconds. */
export type Range = { from: number; to: number };

/** The filter's instants as a half-open range (its `to` is inclusive). */
export const rangeOf = (f: { from?: string; to?: string }): Range => ({ from: f.from ? Date.parse(f.from) : 0, to: f.to ? Date.parse(f.to) + 1 : END_OF_TIME });

/** The whole units of `unitMs` inside a range, and the pieces left at its ends. */
export function split(r: Range, unitMs: number): { inner: Range | null; outer: Range[] } {
  const a = Math.ceil(r.from / unitMs) * unitMs;
  const b = Math.floor(r.to / unitMs) * unitMs;
  if (a >= b) return { inner: null, outer: r.from < r.to ? [r] : [] };
  return { inner: { from: a, to: b }, outer: [r.from < a ? { from: r.from, to: a } : null, b < r.to ? { from: b, to: r.to } : null].filter((x): x is Range => x !== null) };
}

/**
 * A piece of a period: `sign` 1 adds its clicks, -1 takes them away (the rest of a unit
 * counted whole: see cut).
 */
export type Piece = Range & { sign: 1 | -1 };

/** How much of a range can hold clicks: the part before `now` (clicks are not in the future). */
const live = (r: Range, now: number) => Math.max(0, Math.min(r.to, now) - r.from);

/**
 * A range cut by grains, coarsest first: each grain's whole units (`whole`, ranges of a
 * grain, to be added or taken away), and what no grain covers (`left`, the pieces
 * link_clicks counts). A piece covering most of a unit is counted as the whole unit less
 * the rest of it, the rest cut by the finer grains in turn: a period ending now (or at
 * the end of a day in Berlin) is today's row less the hours still to come, which hold no
 * clicks; one from 06:00 is the day less its first 6 hours. So each grain reads at most
 * half a unit of the next at each end of a period, and link_clicks at most half a unit
 * of the finest.
 */
export function cut<G extends { unitMs: number }>(r: Range, grains: G[], now = Date.now()): { whole: { grain: G; range: Range; sign: 1 | -1 }[]; left: Piece[] } {
  const whole: { grain: G; range: Range; sign: 1 | -1 }[] = [];
  let left: Piece[] = r.from < r.to ? [{ ...r, sign: 1 }] : [];
  for (const grain of grains) {
    const next: Piece[] = [];
    for (const piece of left) {
      const { inner, outer } = split(piece, grain.unitMs);
      if (inner) whole.push({ grain, range: inner, sign: piece.sign });
      // What is left spans at most two units (a range with none whole): taken a unit at a time.
      for (const o of outer) {
        for (let start = Math.floor(o.from / grain.unitMs) * grain.unitMs; start < o.to; start += grain.unitMs) {
          const unit = { from: start, to: start + grain.unitMs };
          const part = { from: Math.max(o.from, unit.from), to: Math.min(o.to, unit.to) };
          const rest = [
            { from: unit.from, to: part.from },
            { from: part.to, to: unit.to },
          ].filter((x) => x.from < x.to);
          if (rest.reduce((n, x) => n + live(x, now), 0) < live(part, now)) {
            whole.push({ grain, range: unit, sign: piece.sign });
            for (const x of rest) next.push({ ...x, sign: piece.sign === 1 ? -1 : 1 });
          } else next.push({ ...part, sign: piece.sign });
        }
      }
    }
    left = next;
  }
  return { whole, left };
}

/** What separates the parts of a kept breakdown's value. */
export const VALUE_SEPARATOR = "\u001f";
export type Kept = "visit" | "place";

const part = (value: string | null, i: number) => value?.split(VALUE_SEPARATOR)[i] || null;

/** Where each breakdown the API shows is kept, and how its value is read from there. */
export const SHOWN: Record<Exclude<CountDimension, "kind">, { kept: Kept; value: (v: string | null) => string | null }> = {
  source: { kept: "visit", value: (v) => part(v, 0) },
  referrer: { kept: "visit", value: (v) => part(v, 1) },
  browser: { kept: "visit", value: (v) => part(v, 2) },
  os: { kept: "visit", value: (v) => part(v, 3) },
  device: { kept: "visit", value: (v) => part(v, 4) },
  country: { kept: "place", value: (v) => part(v, 0) },
  network: {
    kept: "place",
    value: (v) => {
      const asn = part(v, 1);
      return asn === null ? null : `${asn} ${part(v, 2) ?? ""}`;
    },
  },
};

/** Adds up rows that map to the same value, largest first. */
export function regroup(rows: { g: string | null; clicks: number }[], map: (v: string | null) => string | null) {
  const totals = new Map<string | null, number>();
  for (const r of rows) totals.set(map(r.g), (totals.get(map(r.g)) ?? 0) + r.clicks);
  return [...totals].map(([value, clicks]) => ({ value, clicks })).sort((a, b) => b.clicks - a.clicks || String(a.value).localeCompare(String(b.value)));
}

type Shown = Exclude<CountDimension, "kind">;
const shownOf = (by: CountDimension[]) => by.filter((b): b is Shown => b !== "kind");

/** The kept breakdowns that some shown ones are read from. */
export const keptFor = (by: CountDimension[]): Kept[] => [...new Set(shownOf(by).map((b) => SHOWN[b].kept))];

/** The shown breakdowns, from the kept ones' rows (keptFor) and, for kind, the counts by kind. */
export function shownFrom(
  by: CountDimension[],
  kept: Map<Kept, { g: string | null; clicks: number }[]>,
  kinds: { kind: string; clicks: number }[] | null,
): Partial<Record<CountDimension, { value: string | null; clicks: number }[]>> {
  const out: Partial<Record<CountDimension, { value: string | null; clicks: number }[]>> = {};
  for (const b of shownOf(by)) out[b] = regroup(kept.get(SHOWN[b].kept)!, SHOWN[b].value);
  if (kinds) out.kind = regroup(kinds.map((r) => ({ g: r.kind, clicks: r.clicks })), (v) => v);
  return out;
}

/** An application's day (UTC) with human clicks, from click_daily. */
export type HumanDay = { applicationId: string; day: string; clicks: number };
type Edge = { applicationId: string; day: string; order: "asc" | "desc" };

/**
 * The days whose first or last click decides whether a human came back: those of two
 * days in a row with clicks whose distance is within a day of `returnDays` (days further
 * apart came back for sure, nearer for sure not). `days` in application and day order.
 */
export function edgesNeeded(days: HumanDay[], returnDays: number): Edge[] {
  const out: Edge[] = [];
  for (let i = 1; i < days.length; i++) {
    const d = days[i];
    const before = days[i - 1];
    if (before.applicationId !== d.applicationId) continue;
    const apart = (Date.parse(d.day) - Date.parse(before.day)) / DAY_MS;
    if (apart - 1 <= returnDays && apart + 1 > returnDays) out.push({ applicationId: d.applicationId, day: d.day, order: "asc" }, { applicationId: d.applicationId, day: before.day, order: "desc" });
  }
  return out;
}

/**
 * Per application, its human clicks and whether a human came back more than
 * `returnDays` after the click before: from its days with clicks, with exact times
 * (`edge`: a day's first or last human click) only where edgesNeeded says.
 */
export function standingsOf(days: HumanDay[], returnDays: number, edge: (applicationId: string, day: string, order: "asc" | "desc") => string | undefined) {
  const out = new Map<string, { applicationId: string; cameBack: boolean; clicks: number }>();
  const of = (id: string) => out.get(id) ?? out.set(id, { applicationId: id, cameBack: false, clicks: 0 }).get(id)!;
  for (const [i, d] of days.entries()) {
    const a = of(d.applicationId);
    a.clicks += d.clicks;
    const before = days[i - 1];
    if (a.cameBack || !before || before.applicationId !== d.applicationId) continue;
    const apart = (Date.parse(d.day) - Date.parse(before.day)) / DAY_MS;
    // Days `apart` apart hold clicks between apart - 1 and apart + 1 days apart.
    if (apart - 1 > returnDays) a.cameBack = true;
    else if (apart + 1 > returnDays) a.cameBack = Date.parse(edge(d.applicationId, d.day, "asc")!) - Date.parse(edge(d.applicationId, before.day, "desc")!) > returnDays * DAY_MS;
  }
  return [...out.values()];
}
