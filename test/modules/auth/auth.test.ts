import { describe, expect, test } from "bun:test";
import { createKey, ensureInitialKey, hashKey } from "../../../src/modules/auth/service";
import { call, KEY, setup, sql } from "../../utils";

const TEST_URL = "/api/tracking-ingest/test";
const UNAUTHORIZED = { success: false, error: "Unauthorized", message: "Valid API key required in X-API-Key header" };

describe("API keys", () => {
  test("X-API-Key with WEBHOOK_API_KEY answers the seed's test body", async () => {
    const { app } = setup();
    const res = await call(app, TEST_URL, { method: "POST" });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      success: true,
      message: "API connection successful",
      authenticated: true,
      timestamp: expect.stringMatching(/Z$/),
    });
  });

  test("Authorization: Bearer works too (external-domain-guide.md)", async () => {
    const { app } = setup();
    const res = await call(app, TEST_URL, { method: "POST", key: null, headers: { authorization: `Bearer ${KEY}` } });
    expect(res.status).toBe(200);
  });

  test.each([
    ["no key", {}],
    ["a key that differs only in its last character", { "x-api-key": `${KEY.slice(0, -1)}g` }],
    ["a prefix of the key", { "x-api-key": KEY.slice(0, 8) }],
    ["the key with extra characters", { "x-api-key": `${KEY}x` }],
    ["an empty key", { "x-api-key": "" }],
    ["a Basic authorization", { authorization: `Basic ${btoa(`user:${KEY}`)}` }],
    ["a Bearer without a token", { authorization: "Bearer " }],
  ])("%s: 401 with the seed's body", async (_name, headers) => {
    const { app } = setup();
    const res = await call(app, TEST_URL, { method: "POST", key: null, headers });
    expect(res.status).toBe(401);
    expect(res.body).toEqual(UNAUTHORIZED);
  });

  test("a wrong key on the batch route is 401 and stores nothing", async () => {
    const { app, store } = setup();
    const res = await call(app, "/api/tracking-ingest/batch", { json: { events: [{ tracking_id: "x" }] }, key: "wrong-key-0123456789" });
    expect(res.status).toBe(401);
    expect(res.body).toEqual(UNAUTHORIZED);
    expect(((await sql(store)).query("select count(*) as n from link_clicks").get() as { n: number }).n).toBe(0);
  });

  test("the health route needs no key", async () => {
    const { app } = setup();
    const res = await call(app, "/api/tracking-ingest/health", { key: null });
    expect(res.status).toBe(200);
  });

  test("a stored key works, is kept only as its hash, and stops working once revoked", async () => {
    const { app, store } = setup({ webhookApiKey: undefined });
    const key = await createKey(store, "redirect-node", "ingest");
    expect(key).toMatch(/^lt_[A-Za-z0-9_-]{43}$/);
    const stored = (await sql(store)).query("select * from api_keys").get() as Record<string, string>;
    expect(stored.key_hash).toBe(hashKey(key));
    expect(JSON.stringify(stored)).not.toContain(key);
    expect((await call(app, TEST_URL, { method: "POST", key })).status).toBe(200);
    (await sql(store)).run("update api_keys set revoked_at = ?", [new Date().toISOString()]);
    expect((await call(app, TEST_URL, { method: "POST", key })).status).toBe(401);
  });
});

describe("first start", () => {
  test("with no key configured, an admin key is made once and only its hash stored", async () => {
    const { store, config } = setup({ webhookApiKey: undefined });
    const key = await ensureInitialKey(store, config);
    expect(key).toMatch(/^lt_/);
    expect(await ensureInitialKey(store, config)).toBeNull();
    const rows = (await sql(store)).query("select name, scope, key_hash from api_keys").all();
    expect(rows).toEqual([{ name: "initial-admin", scope: "admin", key_hash: hashKey(key!) }]);
  });

  test("with WEBHOOK_API_KEY set, no key is made", async () => {
    const { store, config } = setup();
    expect(await ensureInitialKey(store, config)).toBeNull();
  });
});
