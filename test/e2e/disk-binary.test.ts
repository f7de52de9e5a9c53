/**
 * The start-up warning for a database that goes with its container, driven through the
 * binary: a database in /dev/shm (tmpfs, as a container's memory disk is) is named at
 * start; one on this machine's disk is not.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ephemeralDiskWarning } from "../../src/lib/ephemeral";
import { KEY } from "../utils";
import { buildBinary, emptyFolder, startServer, stop } from "./binary";

beforeAll(() => buildBinary(), 60_000);
const shm = join("/dev/shm", `link-tracker-test-${crypto.randomUUID()}`);
afterAll(() => rmSync(shm, { recursive: true, force: true }));

describe.skipIf(!existsSync("/dev/shm"))("a database on a disk that is lost with its container", () => {
  test("in memory (tmpfs): warned at start, naming the way out; on a disk: nothing", async () => {
    const lost = await startServer(emptyFolder(), { WEBHOOK_API_KEY: KEY, DATABASE_PATH: join(shm, "link-tracker.db") });
    await stop(lost);
    expect(lost.output()).toContain(`is on memory (tmpfs at /dev/shm)`);
    expect(lost.output()).toContain("set DATABASE_URL");

    const folder = emptyFolder();
    const kept = await startServer(folder, { WEBHOOK_API_KEY: KEY });
    await stop(kept);
    expect(kept.output()).toContain('"msg":"listening"');
    // (Where this machine's temporary folder is itself in memory, the warning is right there too.)
    expect(kept.output().includes("every click is lost")).toBe(ephemeralDiskWarning(join(folder, "data/link-tracker.db")) !== null);
  }, 30_000);
});
