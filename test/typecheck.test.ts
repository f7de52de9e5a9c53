import { expect, test } from "bun:test";
import { join } from "node:path";

test("the sources and tests type-check", () => {
  const root = join(import.meta.dir, "..");
  const result = Bun.spawnSync([join(root, "node_modules/.bin/tsc"), "--noEmit", "-p", root], { cwd: root });
  expect(result.stdout.toString() + result.stderr.toString()).toBe("");
  expect(result.exitCode).toBe(0);
}, 120_000);
