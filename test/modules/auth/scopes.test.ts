import { describe, expect, test } from "bun:test";
import { createKey, type Scope } from "../../../src/modules/auth/service";
import { call, setup, sql } from "../../utils";

const link = { original_url: "https://linkedin.com/in/steve-glen", link_function: "LinkedIn" };

/** Every API route with the narrowest scope that may use it (SPEC.md, Authentication). */
const ROUTES: [string, string, unknown, Scope][] = [
  ["POST", "/api/tracking-ingest/test", undefined, "ingest"],
  ["POST", "/api/tracking-ingest/batch", { events: [{ tracking_id: "x" }] }, "ingest"],
  ["POST", "/api/link-tracking/record-click", { tracking_id: "x" }, "ingest"],
  ["GET", "/api/link-tracking/lookup/fixed", undefined, "ingest"],
  ["GET", "/api/link-tracking/lookup?uuid=fixed", undefined, "ingest"],
  ["GET", "/api/link-tracking/analytics/fixed", undefined, "ingest"],
  ["GET", "/api/link-tracking/links", undefined, "read"],
  ["GET", "/api/link-tracking/links/fixed", undefined, "read"],
  ["GET", "/api/link-tracking/clicks.csv", undefined, "read"],
  ["GET", "/api/link-tracking/analytics", undefined, "read"],
  ["GET", "/api/link-tracking/analytics/applications/aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", undefined, "read"],
  ["GET", "/api/link-tracking/analytics/jobs/bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb", undefined, "read"],
  ["GET", "/metrics", undefined, "read"],
  ["DELETE", "/api/link-tracking/clicks?ip=192.0.2.1", undefined, "admin"],
  ["POST", "/api/link-tracking/orphans/orph1/attribute", { tracking_id: "fixed" }, "admin"],
  ["GET", "/api/link-tracking/events", undefined, "read"],
  ["POST", "/api/link-tracking/webhooks", { url: "https://example.com/hook" }, "admin"],
  ["GET", "/api/link-tracking/webhooks", undefined, "admin"],
  ["POST", "/api/link-tracking/links", link, "admin"],
  ["POST", "/api/link-tracking/links/bulk", { links: [link] }, "admin"],
  ["PATCH", "/api/link-tracking/links/fixed", { description: "x" }, "admin"],
  ["DELETE", "/api/link-tracking/links/other", undefined, "admin"],
];

const RANK: Record<Scope, number> = { ingest: 0, read: 1, admin: 2 };

describe("scopes", () => {
  test("each key scope reaches exactly the routes of its scope and below", async () => {
    const { app, store } = setup({ webhookApiKey: undefined });
    const keys = { ingest: await createKey(store, "i", "ingest"), read: await createKey(store, "r", "read"), admin: await createKey(store, "a", "admin") };
    await call(app, "/api/link-tracking/links", {
      json: { ...link, tracking_id: "fixed", application_id: "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", job_id: "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb" },
      key: keys.admin,
    });
    await call(app, "/api/tracking-ingest/batch", { json: { events: [{ tracking_id: "orph1" }] }, key: keys.ingest });
    const seen: string[] = [];
    for (const [method, path, body, needed] of ROUTES) {
      for (const held of ["ingest", "read", "admin"] as Scope[]) {
        if (path.endsWith("/other")) await call(app, "/api/link-tracking/links", { json: { ...link, tracking_id: "other" }, key: keys.admin });
        const res = await call(app, path, { method, ...(body === undefined ? {} : { json: body }), key: keys[held] });
        const allowed = RANK[held] >= RANK[needed];
        seen.push(`${held} ${method} ${path} ${allowed ? (res.status < 300 ? "ok" : res.status) : res.status}`);
        if (allowed) expect(res.status).toBeLessThan(300);
        else {
          expect(res.status).toBe(403);
          expect(res.body.error).toContain(needed);
        }
      }
    }
    expect(seen.length).toBe(ROUTES.length * 3);
  });

  test("a stored key's last use is recorded", async () => {
    const { app, store } = setup({ webhookApiKey: undefined });
    const key = await createKey(store, "used", "ingest");
    await call(app, "/api/tracking-ingest/test", { method: "POST", key });
    const row = (await sql(store)).query("select last_used_at from api_keys where name = 'used'").get() as { last_used_at: string | null };
    expect(row.last_used_at).toMatch(/Z$/);
  });
});
