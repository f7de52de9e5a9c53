/**
 * The links a PostgreSQL instance keeps in memory: bounded, told of changes by
 * notifications, emptied by the version poll when a change went unannounced, and still
 * serving what it knew while the database is away.
 */
import { describe, expect, test } from "bun:test";
import type { Link } from "../../../src/db/store";
import { silentLogger } from "../../../src/lib/log";
import { LinkCache, MAX_LINKS } from "../../../src/db/postgres/link-cache";

const link = (id: string, isActive = true): Link => ({
  trackingId: id, jobId: null, applicationId: null, linkFunction: "LinkedIn", linkType: "profile", originalUrl: "https://example.com/",
  redirectUrl: `https://steve-glen.com/linkedin?uuid=${id}`, createdAt: "2026-01-01T00:00:00.000Z", updatedAt: "2026-01-01T00:00:00.000Z",
  createdBy: "system", isActive, description: null, expiresAt: null, shortCode: null,
});

/** What a read through the cache does: reading, found, done. */
const read = (cache: LinkCache, id: string, found: Link | undefined) => {
  cache.reading(id);
  cache.found(id, found);
  cache.done(id);
};

describe("the PostgreSQL link cache", () => {
  test(`holds at most ${MAX_LINKS.toLocaleString("en")} links, the least recently used going first`, () => {
    const cache = new LinkCache(silentLogger());
    for (let i = 0; i < MAX_LINKS; i++) read(cache, `l${i}`, link(`l${i}`));
    expect(cache.peek("l0")?.trackingId).toBe("l0"); // used: now the most recent
    read(cache, "new", link("new"));
    expect(cache.size()).toBe(MAX_LINKS);
    expect(cache.peek("l1")).toBeUndefined(); // the least recently used went
    expect(cache.peek("l0")?.trackingId).toBe("l0");
  });

  test("an id with no link is known as such for a few seconds, and forgotten when links are added", () => {
    const cache = new LinkCache(silentLogger());
    read(cache, "soon", undefined);
    expect(cache.peek("soon")).toBeNull();
    expect(cache.peek("soon", Date.now() + 10_000)).toBeUndefined();
    cache.notified("5 + soon other");
    expect(cache.peek("soon")).toBeUndefined();
  });

  test("a notification drops the links it names; an addition keeps what is known; '*' drops everything", () => {
    const cache = new LinkCache(silentLogger());
    for (const id of ["a", "b", "c"]) read(cache, id, link(id));
    cache.notified("1 + a");
    expect(cache.peek("a")?.trackingId).toBe("a");
    cache.notified("2 b");
    expect(cache.peek("b")).toBeUndefined();
    expect(cache.peek("c")?.trackingId).toBe("c");
    cache.notified("3 *");
    expect(cache.peek("c")).toBeUndefined();
  });

  test("a read that crossed a change of its link is not kept", () => {
    const cache = new LinkCache(silentLogger());
    cache.reading("x");
    cache.notified("4 x");
    cache.found("x", link("x"));
    cache.done("x");
    expect(cache.peek("x")).toBeUndefined();
  });

  test("the version poll: nothing while notifications explain it, everything dropped once a change stays unannounced", () => {
    const cache = new LinkCache(silentLogger());
    cache.listening = true;
    cache.resumed(10);
    read(cache, "a", link("a"));
    cache.notified("11 z");
    cache.polled(11, 0, 250);
    expect(cache.peek("a")?.trackingId).toBe("a");
    cache.polled(12, 1000, 250); // not yet explained: a notification may be on its way
    expect(cache.peek("a")?.trackingId).toBe("a");
    cache.polled(12, 1300, 250); // still not: it was lost
    expect(cache.peek("a")).toBeUndefined();
    expect(cache.drops).toBe(1);
    // Without a listener every move empties it at once.
    cache.listening = false;
    read(cache, "b", link("b"));
    cache.polled(13, 2000, 250);
    expect(cache.peek("b")).toBeUndefined();
  });

  test("what was dropped for no change of its own is there for when the database cannot be read; a changed link is not", () => {
    const cache = new LinkCache(silentLogger());
    for (const id of ["kept", "changed"]) read(cache, id, link(id));
    cache.dropAll();
    expect(cache.peek("kept")).toBeUndefined();
    expect(cache.staleOf("kept")?.trackingId).toBe("kept");
    cache.notified("9 changed");
    expect(cache.staleOf("changed")).toBeUndefined();
    read(cache, "kept", link("kept", false));
    expect(cache.staleOf("kept")).toBeUndefined();
    expect(cache.peek("kept")?.isActive).toBe(false);
  });
});
