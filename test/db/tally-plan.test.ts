/**
 * How a period is cut into roll-up units and pieces of link_clicks (tally-plan.ts cut):
 * every instant of the period counted exactly once, every other instant not at all, and
 * link_clicks left with little to read at each end.
 */
import { expect, test } from "bun:test";
import fc from "fast-check";
import { cut, DAY_MS, HOUR_MS, QUARTER_MS, type Range } from "../../src/db/tally-plan";
import { FC_SEED } from "../utils";

const T0 = Date.parse("2026-03-02T00:00:00Z");
const GRAINS = [
  [{ unitMs: DAY_MS }, { unitMs: QUARTER_MS }],
  [{ unitMs: DAY_MS }, { unitMs: HOUR_MS }],
  [{ unitMs: DAY_MS }],
  [{ unitMs: QUARTER_MS }],
];
const within = (r: Range, t: number) => t >= r.from && t < r.to;

test("every instant of the period is counted once, every other not at all; link_clicks reads at most one finest unit", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 9 * DAY_MS }),
      fc.integer({ min: 1, max: 9 * DAY_MS }),
      fc.integer({ min: 0, max: 12 * DAY_MS }),
      fc.constantFrom(...GRAINS),
      fc.array(fc.integer({ min: -DAY_MS, max: 20 * DAY_MS }), { minLength: 20, maxLength: 20 }),
      (from, length, now, grains, probes) => {
        const r = { from: T0 + from, to: T0 + from + length };
        const { whole, left } = cut(r, grains, T0 + now);
        const covered = (t: number) => whole.reduce((n, w) => n + (within(w.range, t) ? w.sign : 0), 0) + left.reduce((n, p) => n + (within(p, t) ? p.sign : 0), 0);
        for (const t of [...probes.map((p) => T0 + p), r.from, r.to - 1, r.to, r.from - 1]) expect(covered(t)).toBe(within(r, t) ? 1 : 0);
        // What link_clicks reads before `now`: at most half a unit of the finest grain at each end.
        const finest = grains.at(-1)!.unitMs;
        const live = left.reduce((n, p) => n + Math.max(0, Math.min(p.to, T0 + now) - p.from), 0);
        expect(live).toBeLessThanOrEqual(finest);
        for (const w of whole) expect((w.range.to - w.range.from) % w.grain.unitMs).toBe(0);
      },
    ),
    { seed: FC_SEED, numRuns: 2000 },
  );
});

test("a week from 06:00, read at 20:00: the days since and today whole, the first day less its first 6 hours", () => {
  const now = T0 + 7 * DAY_MS + 20 * HOUR_MS;
  const r = { from: T0 + 6 * HOUR_MS, to: Date.parse("9999-01-01T00:00:00Z") };
  const { whole, left } = cut(r, [{ unitMs: DAY_MS }, { unitMs: QUARTER_MS }], now);
  const days = whole.filter((w) => w.grain.unitMs === DAY_MS);
  expect(days.map((w) => [new Date(w.range.from).toISOString().slice(0, 10), w.sign])).toEqual([
    ["2026-03-03", 1],
    ["2026-03-02", 1],
  ]);
  // The first day's first 6 hours, taken away as whole quarter-hours; nothing of link_clicks.
  const quarters = whole.filter((w) => w.grain.unitMs === QUARTER_MS);
  expect(quarters).toEqual([{ grain: { unitMs: QUARTER_MS }, range: { from: T0, to: T0 + 6 * HOUR_MS }, sign: -1 }]);
  expect(left).toEqual([]);
});

test("a Berlin day's end at 23:00 UTC: today's row less an hour still to come", () => {
  const now = T0 + 5 * DAY_MS + 9 * HOUR_MS;
  const r = { from: T0 - HOUR_MS, to: T0 + 5 * DAY_MS + 23 * HOUR_MS };
  const { whole, left } = cut(r, [{ unitMs: DAY_MS }, { unitMs: QUARTER_MS }], now);
  expect(whole).toContainEqual({ grain: { unitMs: DAY_MS }, range: { from: T0 + 5 * DAY_MS, to: T0 + 6 * DAY_MS }, sign: 1 });
  expect(whole).toContainEqual({ grain: { unitMs: QUARTER_MS }, range: { from: T0 + 5 * DAY_MS + 23 * HOUR_MS, to: T0 + 6 * DAY_MS }, sign: -1 });
  expect(whole).toContainEqual({ grain: { unitMs: QUARTER_MS }, range: { from: T0 - HOUR_MS, to: T0 }, sign: 1 });
  expect(left).toEqual([]);
});
