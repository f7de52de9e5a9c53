import { describe, expect, test } from "bun:test";
import { call, setup, sqliteOf } from "../../utils";

describe("GET /api/tracking-ingest/health", () => {
  test("answers the seed's body after really querying the database", async () => {
    const { app } = setup();
    const res = await call(app, "/api/tracking-ingest/health", { key: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "healthy", service: "tracking_ingest_api", version: "1.0.0", server_version: (await import("../../../package.json")).version, timestamp: expect.stringMatching(/Z$/) });
  });

  test("a database that cannot be queried answers 503 unhealthy", async () => {
    const { app, store } = setup();
    sqliteOf(store).close();
    const res = await call(app, "/api/tracking-ingest/health", { key: null });
    expect(res.status).toBe(503);
    expect(res.body.status).toBe("unhealthy");
  });
});
