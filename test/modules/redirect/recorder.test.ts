/**
 * The redirect's group commit waits on no macrotask: Bun can go a long time without running
 * `setImmediate` callbacks and timers while requests that each hold the loop keep
 * arriving, and a 302 waits for its click's write.
 */
import { describe, expect, test } from "bun:test";
import type { NewClick } from "../../../src/db/store";
import { silentLogger } from "../../../src/lib/log";
import { createMetrics } from "../../../src/lib/metrics";
import { WriteHealth } from "../../../src/modules/health/service";
import { ClickRecorder } from "../../../src/modules/redirect/recorder";
import { click } from "../../db/store/conformance";

function recorder() {
  const writes: NewClick[][] = [];
  const rec = new ClickRecorder({ write: async (clicks) => void writes.push(clicks) }, createMetrics(), silentLogger(), new WriteHealth());
  return { rec, writes };
}

/** Only microtasks run: no timer, no setImmediate, no I/O. */
async function microtasks(n = 20) {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

const spin = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

describe("the click recorder", () => {
  test("a click when redirects are rare is written in a microtask, and its promise settles without a turn of the loop", async () => {
    const { rec, writes } = recorder();
    let settled = false;
    void rec.record(click("a", 0)).then(() => (settled = true));
    await microtasks();
    expect(writes.map((w) => w.length)).toEqual([1]);
    expect(settled).toBe(true);
  });

  test("clicks that come together are written together, and a group the loop never turned for is written by the next request's nudge", async () => {
    const { rec, writes } = recorder();
    // A burst in one turn: the three go in one write, right after the handlers.
    const first = rec.record(click("a", 0));
    const rest = [rec.record(click("a", 1)), rec.record(click("a", 2))];
    await microtasks();
    await Promise.all([first, ...rest]);
    expect(writes.map((w) => w.length)).toEqual([3]);
    // Just after a write: the next click gathers for the loop's next turn...
    let settled = false;
    void rec.record(click("a", 3)).then(() => (settled = true));
    await microtasks();
    expect(writes).toHaveLength(1);
    // ...which a slow request holds off; the next request to arrive writes the group.
    spin(5);
    rec.nudge();
    await microtasks();
    expect(writes.map((w) => w.length)).toEqual([3, 1]);
    expect(settled).toBe(true);
  });

  test("a nudge writes nothing before the group has gathered, or when there is none", async () => {
    const { rec, writes } = recorder();
    rec.nudge();
    await rec.record(click("a", 0));
    void rec.record(click("a", 1));
    rec.nudge();
    await microtasks();
    expect(writes).toHaveLength(1);
    await Bun.sleep(0); // the loop turns: the group goes
    expect(writes.map((w) => w.length)).toEqual([1, 1]);
  });
});
