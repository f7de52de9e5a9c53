/**
 * Dashboard sessions as a browser uses them: signing in with a key sets a session cookie
 * (never the key), the API answers that cookie from the dashboard's own origin, signing
 * out ends it, "sign out everywhere" ends every session of the key, a revoked or changed
 * key ends its sessions, and the owner cookie counts only while its session holds.
 */
import { describe, expect, test } from "bun:test";
import { createApp } from "../../../src/app";
import { createKey, revokeKeyByName } from "../../../src/modules/auth/service";
import { BROWSER_SESSION_MS, REMEMBER_MS } from "../../../src/modules/auth/sessions";
import { call, checkedApp, KEY, setup, sql, testStore } from "../../utils";
import { testConfig } from "../../../src/config";
import { createMetrics } from "../../../src/lib/metrics";

const SAME_ORIGIN = { "sec-fetch-site": "same-origin" };
const CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/** The cookies of a Set-Cookie answer, by name: value and attributes. */
function cookiesOf(headers: Headers) {
  return Object.fromEntries(
    headers.getSetCookie().map((line) => {
      const [pair, ...attributes] = line.split(";").map((p) => p.trim());
      const [name, value] = [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)];
      return [name, { value, attributes }];
    }),
  );
}

/** Signs in as a browser does; returns the Cookie header it would then send. */
async function signIn(app: ReturnType<typeof setup>["app"], { key = KEY, remember }: { key?: string; remember?: boolean } = {}) {
  const res = await call(app, "/dashboard/session", { method: "POST", key, headers: { ...SAME_ORIGIN, "user-agent": CHROME }, ...(remember === undefined ? {} : { json: { remember } }) });
  expect(res.status).toBe(200);
  const cookies = cookiesOf(res.headers);
  return { body: res.body, cookies, cookie: `lt_session=${cookies.lt_session.value}; lt_owner=${cookies.lt_owner.value}` };
}

const asBrowser = (cookie: string, headers: Record<string, string> = SAME_ORIGIN) => ({ key: null, headers: { cookie, ...headers } });

describe("dashboard sessions", () => {
  test("signing in sets an HttpOnly SameSite=Strict session cookie, never the key; the API answers it", async () => {
    const { app } = setup();
    const { body, cookies, cookie } = await signIn(app);
    expect(body).toMatchObject({ scope: "admin", name: "WEBHOOK_API_KEY", remember: false });
    expect(cookies.lt_session.attributes).toEqual(["Path=/", "HttpOnly", "SameSite=Strict"]);
    expect(cookies.lt_session.value).not.toContain(KEY);
    expect(cookies.lt_session.value).toMatch(/^[\w-]{43}$/);
    // The owner cookie: Lax (a click from a mail is a navigation from another site), as long-lived as the session.
    expect(cookies.lt_owner.attributes).toEqual(["Path=/", "HttpOnly", "SameSite=Lax"]);
    expect((await call(app, "/api/link-tracking/links", asBrowser(cookie))).status).toBe(200);
    expect(await call(app, "/dashboard/session", asBrowser(cookie))).toMatchObject({ status: 200, body: { signed_in: true, scope: "admin", remember: false } });
    expect(await call(app, "/dashboard/session", { key: null })).toMatchObject({ status: 200, body: { signed_in: false } });
    const expires = Date.parse(body.expires_at) - Date.now();
    expect(expires).toBeGreaterThan(BROWSER_SESSION_MS - 60_000);
    expect(expires).toBeLessThanOrEqual(BROWSER_SESSION_MS);
  });

  test("remember this browser: both cookies last 30 days, the session too; Secure when PUBLIC_BASE_URL is https", async () => {
    const { app } = setup({ publicBaseUrl: "https://links.example" });
    const { body, cookies } = await signIn(app, { remember: true });
    expect(body.remember).toBe(true);
    for (const name of ["lt_session", "lt_owner"]) expect(cookies[name].attributes).toContain(`Max-Age=${REMEMBER_MS / 1000}`);
    expect(cookies.lt_session.attributes).toContain("Secure");
    expect(Date.parse(body.expires_at) - Date.now()).toBeGreaterThan(REMEMBER_MS - 60_000);
  });

  test("a cookie counts only from the dashboard's own origin", async () => {
    const { app } = setup();
    const { cookie } = await signIn(app);
    const path = "/api/link-tracking/links";
    expect((await call(app, path, asBrowser(cookie, { "sec-fetch-site": "cross-site" }))).status).toBe(401);
    expect((await call(app, path, asBrowser(cookie, { "sec-fetch-site": "same-site" }))).status).toBe(401);
    // An old browser without Sec-Fetch-Site: its Origin must be this host.
    expect((await call(app, path, asBrowser(cookie, { origin: "https://evil.example" }))).status).toBe(401);
    expect((await call(app, path, asBrowser(cookie, { origin: "http://localhost" }))).status).toBe(200);
    // No browser at all (curl with the cookie): neither header.
    expect((await call(app, path, asBrowser(cookie, {}))).status).toBe(200);
    const refused = await call(app, path, asBrowser(cookie, { "sec-fetch-site": "cross-site" }));
    expect(refused.body).toEqual({ success: false, error: "Unauthorized", message: "The dashboard session has ended or is not this site's: sign in again" });
  });

  test("sign out ends this browser's session only; sign out everywhere ends every one of the key's", async () => {
    const { app, store } = setup();
    const phone = await signIn(app);
    const laptop = await signIn(app);
    const signedOut = await call(app, "/dashboard/session", { method: "DELETE", ...asBrowser(phone.cookie) });
    expect(signedOut).toMatchObject({ status: 200, body: { signed_out: true, sessions_ended: 1 } });
    expect(Object.values(cookiesOf(signedOut.headers)).map((c) => c.attributes)).toEqual([expect.arrayContaining(["Max-Age=0"]), expect.arrayContaining(["Max-Age=0"])]);
    expect((await call(app, "/dashboard/session", asBrowser(phone.cookie))).body).toEqual({ signed_in: false });
    expect((await call(app, "/dashboard/session", asBrowser(laptop.cookie))).body.signed_in).toBe(true);
    // Signing out again, or without a cookie at all, still answers.
    expect(await call(app, "/dashboard/session", { method: "DELETE", ...asBrowser(phone.cookie) })).toMatchObject({ status: 200, body: { sessions_ended: 0 } });

    const tablet = await signIn(app, { remember: true });
    expect(await call(app, "/dashboard/sessions", { method: "DELETE", ...asBrowser(tablet.cookie) })).toMatchObject({ status: 200, body: { sessions_ended: 2 } });
    for (const browser of [laptop, tablet]) expect((await call(app, "/api/link-tracking/links", asBrowser(browser.cookie))).status).toBe(401);
    expect(await store.sessions.listActive(new Date().toISOString())).toEqual([]);
    // Sign out everywhere needs a session or a key.
    expect((await call(app, "/dashboard/sessions", { method: "DELETE", key: null })).status).toBe(401);
  });

  test("sign out everywhere ends only the sessions of the key it is sent with", async () => {
    const { app, store } = setup();
    const coachKey = await createKey(store, "coach", "read");
    const mine = await signIn(app);
    const coach = await signIn(app, { key: coachKey });
    expect(coach.body).toMatchObject({ name: "coach", scope: "read" });
    expect(await call(app, "/dashboard/sessions", { method: "DELETE", ...asBrowser(coach.cookie) })).toMatchObject({ body: { sessions_ended: 1 } });
    expect((await call(app, "/dashboard/session", asBrowser(mine.cookie))).body.signed_in).toBe(true);
  });

  test("a key revoked or changed ends its sessions; a read key's session cannot do what it cannot", async () => {
    const { app, store, config } = setup();
    const key = await createKey(store, "laptop", "read");
    const laptop = await signIn(app, { key });
    expect((await call(app, "/api/link-tracking/links", asBrowser(laptop.cookie))).status).toBe(200);
    expect((await call(app, "/api/link-tracking/links", { method: "POST", json: { link_function: "x", link_type: "x", original_url: "https://example.com" }, ...asBrowser(laptop.cookie) })).status).toBe(403);
    await revokeKeyByName(store, "laptop");
    expect((await call(app, "/api/link-tracking/links", asBrowser(laptop.cookie))).status).toBe(401);

    // WEBHOOK_API_KEY changed (the same database, a new process with another key): its sessions end.
    const admin = await signIn(app);
    const changed = checkedApp(createApp({ store, config: { ...config, webhookApiKey: "another-key-0123456789abcdef" }, metrics: createMetrics() }));
    expect((await call(changed, "/dashboard/session", asBrowser(admin.cookie))).body.signed_in).toBe(false);
    expect((await call(app, "/dashboard/session", asBrowser(admin.cookie))).body.signed_in).toBe(true);
  });

  test("an ended session's cookie does not use up the network's failed sign-ins; a wrong key does", async () => {
    const { app } = setup({ rateLimits: { api: 6000, authFailures: 3, redirect: 0 } });
    const { cookie } = await signIn(app);
    await call(app, "/dashboard/session", { method: "DELETE", ...asBrowser(cookie) });
    for (let i = 0; i < 10; i++) expect((await call(app, "/api/link-tracking/links", asBrowser(cookie))).status).toBe(401);
    expect((await signIn(app)).body.scope).toBe("admin");
    for (let i = 0; i < 3; i++) expect((await call(app, "/api/link-tracking/links", { key: "wrong-key-0123456789" })).status).toBe(401);
    expect((await call(app, "/api/link-tracking/links", { key: "wrong-key-0123456789" })).status).toBe(429);
  });

  test("the 401 names what was sent: the seeds' message for X-API-Key, Bearer's for Bearer", async () => {
    const { app } = setup();
    expect((await call(app, "/api/link-tracking/links", { key: "wrong-key-0123456789" })).body.message).toBe("Valid API key required in X-API-Key header");
    expect((await call(app, "/api/link-tracking/links", { key: null })).body.message).toBe("Valid API key required in X-API-Key header");
    const bearer = await call(app, "/api/link-tracking/links", { key: null, headers: { authorization: "Bearer wrong-key-0123456789" } });
    expect(bearer.body).toEqual({ success: false, error: "Unauthorized", message: "Valid API key required in the Authorization: Bearer header" });
  });

  test("bad sign-in bodies are refused in the documented shape; no body is a browser-session sign-in", async () => {
    const { app } = setup();
    for (const json of [{ remember: "yes" }, { remember: true, extra: 1 }, [true], "remember"]) {
      const res = await call(app, "/dashboard/session", { method: "POST", json, headers: SAME_ORIGIN });
      expect(res.status).toBe(400);
      expect(res.body.error).toEqual(expect.any(String));
    }
    expect((await call(app, "/dashboard/session", { method: "POST", key: null, headers: SAME_ORIGIN })).status).toBe(401);
    expect((await call(app, "/dashboard/session", { method: "POST", headers: SAME_ORIGIN })).body.remember).toBe(false);
    // A session is not a key: it cannot open another session.
    const { cookie } = await signIn(app);
    expect((await call(app, "/dashboard/session", { method: "POST", ...asBrowser(cookie) })).status).toBe(401);
  });

  test("the owner cookie counts while its session holds: sign out and the same cookie is anyone's", async () => {
    const { app, store } = setup();
    await call(app, "/api/link-tracking/links", { json: { tracking_id: "own-1", link_function: "linkedin", link_type: "social", original_url: "https://www.linkedin.com/in/me" } });
    const { cookie, cookies } = await signIn(app);
    const click = () => app.handle(new Request("http://localhost/linkedin?uuid=own-1", { headers: { cookie: `lt_owner=${cookies.lt_owner.value}`, "user-agent": CHROME, "accept-language": "en" } }));
    expect((await click()).status).toBe(302);
    await call(app, "/dashboard/session", { method: "DELETE", ...asBrowser(cookie) });
    expect((await click()).status).toBe(302);
    // A forged one (another session's id, a signature that is not ours) counts for nothing.
    const forged = `${crypto.randomUUID()}.${cookies.lt_owner.value.split(".")[1]}`;
    expect((await app.handle(new Request("http://localhost/linkedin?uuid=own-1", { headers: { cookie: `lt_owner=${forged}`, "user-agent": CHROME, "accept-language": "en" } }))).status).toBe(302);
    const kinds = (await sql(store)).query("select visitor_kind as kind from link_clicks order by clicked_at, click_id").all();
    expect(kinds).toEqual([{ kind: "owner" }, { kind: "human" }, { kind: "human" }]);
  });

  test("a new process on the same database keeps the sessions (they are the database's, not memory's)", async () => {
    const config = testConfig({ webhookApiKey: KEY });
    const store = testStore(config);
    const first = checkedApp(createApp({ store, config, metrics: createMetrics() }));
    const { cookie } = await signIn(first as ReturnType<typeof setup>["app"], { remember: true });
    const second = checkedApp(createApp({ store, config, metrics: createMetrics() }));
    expect((await call(second, "/dashboard/session", asBrowser(cookie))).body.signed_in).toBe(true);
  });
});
