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
