/**
 * The served OpenAPI document passes Redocly's recommended rules with no error and no
 * warning (the rules `@redocly/cli lint` applies, through its library, in process).
 */
import { expect, test } from "bun:test";
import { createConfig, lintFromString } from "@redocly/openapi-core";
import { call, setup } from "../../utils";

test("redocly lint, recommended rules: zero errors, zero warnings", async () => {
  const { app } = setup({ publicBaseUrl: "https://steve-glen.com" });
  const { body } = await call(app, "/swagger/json", { key: null });
  expect(body.servers).toEqual([{ url: "https://steve-glen.com", description: "this link-tracker" }]);
  expect(body.info.license.name).toBe("MIT");
  expect(body.paths["/api/tracking-ingest/health"].get.security).toEqual([]);
  const problems = await lintFromString({
    source: JSON.stringify(body),
    absoluteRef: "/swagger/json",
    config: await createConfig({ extends: ["recommended"] }),
  });
  expect(problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location?.[0]?.pointer}`)).toEqual([]);
});

test("every operation has an id a generator makes a method of, one declared tag, says which key it needs, and the CSV export is text/csv", async () => {
  const { app } = setup();
  const { body } = await call(app, "/swagger/json", { key: null });
  const operations = Object.entries(body.paths as Record<string, Record<string, { operationId?: string; description?: string; security?: unknown[]; tags?: string[] }>>).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ at: `${method.toUpperCase()} ${path}`, ...op })),
  );
  expect(operations.length).toBeGreaterThanOrEqual(31);
  const ids = operations.map((o) => o.operationId);
  expect(operations.filter((o) => !/^[a-z][A-Za-z]+$/.test(o.operationId ?? "")).map((o) => o.at)).toEqual([]);
  expect(new Set(ids).size).toBe(ids.length);
  const publicOnes = operations.filter((o) => Array.isArray(o.security) && o.security.length === 0).map((o) => o.operationId).sort();
  expect(publicOnes).toEqual(["dashboardSession", "getHealth", "signInDashboard", "signOutDashboard"]);
  const silent = operations.filter((o) => !publicOnes.includes(o.operationId!) && !/^Needs an API key with the `(ingest|read|admin)` scope/.test(o.description ?? ""));
  expect(silent.map((o) => o.at)).toEqual([]);
  const tags = new Set((body.tags as { name: string; description: string }[]).map((t) => t.name));
  expect(operations.filter((o) => o.tags?.length !== 1 || !tags.has(o.tags[0])).map((o) => o.at)).toEqual([]);
  // Any request of these methods may carry a body: every one can be malformed JSON, too large or not JSON (src/lib/body.ts).
  const withBody = operations.filter((o) => !o.at.startsWith("GET "));
  const responses = (o: (typeof operations)[number]) => Object.keys((o as { responses?: object }).responses ?? {});
  expect(withBody.filter((o) => !["400", "413", "415"].every((s) => responses(o).includes(s))).map((o) => o.at)).toEqual([]);
  expect(Object.keys(body.paths["/api/link-tracking/clicks.csv"].get.responses["200"].content)).toEqual(["text/csv"]);
});
