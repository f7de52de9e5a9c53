import { describe, expect, test } from "bun:test";
import { BurstDetector } from "../../../src/modules/redirect/burst";

describe("BurstDetector", () => {
  test("three links of one application from one IP within 10 s make a burst; the earlier clicks are named", () => {
    const b = new BurstDetector();
    expect(b.note("198.51.100.1", "app", "l1", "c1", 0)).toBeNull();
    expect(b.note("198.51.100.1", "app", "l2", "c2", 1000)).toBeNull();
    expect(b.note("198.51.100.2", "app", "l3", "c3", 1500)).toBeNull(); // another IP
    expect(b.note("198.51.100.1", "app", "l3", "c4", 2000)).toEqual({ reason: "burst: 3 links of one application in 2 s", earlier: ["c1", "c2"] });
    expect(b.note("198.51.100.9", "app", "l1", "c5", 0)).toBeNull();
    expect(b.note("198.51.100.9", "app", "l2", "c6", 11_000)).toBeNull(); // the first is out of the window
  });

  test("a flood from one IP on one link is remembered in a bounded list: a burst after it names at most 49 earlier clicks", () => {
    const b = new BurstDetector();
    for (let i = 0; i < 20_000; i++) expect(b.note("203.0.113.7", "app", "l1", `flood${i}`, i * 0.1)).toBeNull();
    b.note("203.0.113.7", "app", "l2", "x2", 2001);
    const burst = b.note("203.0.113.7", "app", "l3", "x3", 2002);
    expect(burst?.reason).toBe("burst: 3 links of one application in 1 s");
    expect(burst!.earlier.length).toBe(49);
    expect(burst!.earlier.slice(-2)).toEqual(["flood19999", "x2"]);
  });

  test("a burst that goes on names each earlier click once", () => {
    const b = new BurstDetector();
    b.note("198.51.100.1", "app", "l1", "c1", 0);
    b.note("198.51.100.1", "app", "l2", "c2", 100);
    expect(b.note("198.51.100.1", "app", "l3", "c3", 200)?.earlier).toEqual(["c1", "c2"]);
    // c3 itself was classified a scanner's when it came; nothing earlier is left to name.
    expect(b.note("198.51.100.1", "app", "l1", "c4", 300)).toEqual({ reason: "burst: 3 links of one application in 1 s", earlier: [] });
    expect(b.note("198.51.100.1", "app", "l2", "c5", 400)?.earlier).toEqual([]);
  });
});
