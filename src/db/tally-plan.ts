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
 * A range cut by grains, coarsest first: each grain's whole units (`whole`, a range per
 * grain it covers), and what no grain covers (`left`, for link_clicks).
 */
export function cut<G extends { unitMs: number }>(r: Range, grains: G[]): { whole: { grain: G; range: Range }[]; left: Range[] } {
  const whole: { grain: G; range: Range }[] = [];
  let left: Range[] = [r];
  for (const grain of grains) {
    const next: Range[] = [];
    for (const piece of left) {
      const { inner, outer } = split(piece, grain.unitMs);
      if (inner) whole.push({ grain, range: inner });
      next.push(...outer);
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
