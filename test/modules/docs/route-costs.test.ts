/**
 * docs/security.md lists what each route can cost the server's thread: a
 * route added without a line there fails here, and so does a line for a route that is gone.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setup } from "../../utils";

test("every route the server answers has its line in docs/security.md's table of route costs, and every line a route", () => {
  const page = readFileSync(join(import.meta.dir, "../../../docs/security.md"), "utf8");
  const section = page.slice(page.indexOf("### What each route can cost the server's thread"));
  expect(section.length).toBeGreaterThan(100);
  const listed = new Set(
    section
      .split("\n")
      .filter((line) => line.startsWith("| `"))
      .flatMap((line) => [...line.split(" | ")[0]!.matchAll(/`([A-Z]+) ([^`]+)`/g)].map((m) => `${m[1]} ${m[2]}`)),
  );
  const { app } = setup();
  // The docs' assets are listed under one pattern.
  const served = new Set(app.routes.map((r) => `${r.method} ${r.path.startsWith("/swagger/assets/") ? "/swagger/assets/*" : r.path}`));
  expect([...served].filter((r) => !listed.has(r)).sort()).toEqual([]);
  expect([...listed].filter((r) => !served.has(r)).sort()).toEqual([]);
});
