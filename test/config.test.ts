import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../src/config";

describe("configuration", () => {
  test("no settings: port 5001 and ./data/link-tracker.db", () => {
    const result = loadConfig({});
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.port).toBe(5001);
    expect(result.config.databasePath).toBe("./data/link-tracker.db");
    expect(result.config.publicBaseUrl).toBe("http://localhost:5001");
    expect(result.config.trustProxy).toBe(false);
  });

  test("DATA_DIR holds the database unless DATABASE_PATH names it; beside DATABASE_URL it is the location data's folder", () => {
    const image = loadConfig({ DATA_DIR: "/data/" });
    expect(image.ok && image.config.databasePath).toBe("/data/link-tracker.db");
    const named = loadConfig({ DATA_DIR: "/data", DATABASE_PATH: "/srv/lt.db" });
    expect(named.ok && named.config.databasePath).toBe("/srv/lt.db");
    const pg = loadConfig({ DATA_DIR: "/data", DATABASE_URL: "postgres://lt:secret@db.example.com:5432/link_tracker" });
    expect(pg.ok && pg.config.postgres !== null).toBe(true);
  });

  test("edge mode needs both URLs and a key", () => {
    const urls = { TRACKING_API_URL: "https://central.example/api/tracking-ingest/batch", LOOKUP_API_URL: "https://central.example/api/link-tracking/lookup/" };
    const edge = loadConfig({ ...urls, WEBHOOK_API_KEY: "k".repeat(20) });
    expect(edge.ok && edge.config.edge).toEqual({ trackingApiUrl: urls.TRACKING_API_URL, lookupApiUrl: "https://central.example/api/link-tracking/lookup", cacheSeconds: 300 });
    const one = loadConfig({ TRACKING_API_URL: urls.TRACKING_API_URL, WEBHOOK_API_KEY: "k".repeat(20) });
    expect(!one.ok && one.message).toContain("both TRACKING_API_URL and LOOKUP_API_URL");
    const keyless = loadConfig(urls);
    expect(!keyless.ok && keyless.message).toContain("WEBHOOK_API_KEY");
    expect(loadConfig({}).ok && (loadConfig({}) as { config: { edge: unknown } }).config.edge).toBeNull();
  });

  test("DATABASE_URL selects PostgreSQL; malformed, beside DATABASE_PATH, or on an edge it is refused", () => {
    const url = "postgres://lt:secret@db.example.com:5432/link_tracker";
    const pg = loadConfig({ DATABASE_URL: url, DATABASE_POOL_SIZE: "4", DATABASE_PREPARE: "false" });
    expect(pg.ok && pg.config.postgres).toEqual({ url, poolSize: 4, prepare: false, listen: true, caCert: null, connectWaitSeconds: 30 });
    const polling = loadConfig({ DATABASE_URL: url, DATABASE_LISTEN: "false" });
    expect(polling.ok && polling.config.postgres && polling.config.postgres.listen).toBe(false);
    expect(loadConfig({}).ok && (loadConfig({}) as { config: { postgres: unknown } }).config.postgres).toBeNull();
    for (const bad of ["mysql://db/x", "postgres//db/x", "not a url", "postgres:///nohost"]) {
      const r = loadConfig({ DATABASE_URL: bad });
      expect(!r.ok && r.message).toContain("must be a postgres:// URL");
    }
    const both = loadConfig({ DATABASE_URL: url, DATABASE_PATH: "./x.db" });
    expect(!both.ok && both.message).toContain("not both");
    const edge = loadConfig({
      DATABASE_URL: url,
      TRACKING_API_URL: "https://central.example/api/tracking-ingest/batch",
      LOOKUP_API_URL: "https://central.example/api/link-tracking/lookup/",
      WEBHOOK_API_KEY: "k".repeat(20),
    });
    expect(!edge.ok && edge.message).toContain("an edge keeps its outbox in SQLite");
    const pool = loadConfig({ DATABASE_URL: url, DATABASE_POOL_SIZE: "0" });
    expect(!pool.ok && pool.message).toContain("DATABASE_POOL_SIZE");
  });

  test("EXCLUDE_IPS takes addresses and ranges", () => {
    const result = loadConfig({ EXCLUDE_IPS: "192.0.2.1, 10.0.0.0/8,2001:db8::/32" });
    expect(result.ok && result.config.excludeIps).toEqual(["192.0.2.1", "10.0.0.0/8", "2001:db8::/32"]);
    expect(result.ok && result.config.isOwnerIp("10.1.2.3")).toBe(true);
  });

  test("values are parsed and a trailing slash on PUBLIC_BASE_URL dropped", () => {
    const result = loadConfig({ PORT: "8080", PUBLIC_BASE_URL: "https://steve-glen.com/", TRUST_PROXY: "true", LOG_LEVEL: "warn" });
    expect(result.ok && result.config).toMatchObject({ port: 8080, publicBaseUrl: "https://steve-glen.com", trustProxy: true, logLevel: "warn" });
  });

  test.each([
    ["PORT", "abc"],
    ["PORT", "70000"],
    ["PUBLIC_BASE_URL", "ftp://example.com"],
    ["PUBLIC_BASE_URL", "not a url"],
    ["TRUST_PROXY", "maybe"],
    ["LOG_LEVEL", "loud"],
    ["WEBHOOK_API_KEY", "short"],
    ["NOT_FOUND_REDIRECT", "javascript:alert(1)"],
    ["EXCLUDE_IPS", "10.0.0.0/33"],
    ["EXCLUDE_IPS", "192.0.2.1, my-laptop"],
  ])("%s=%s is refused with a message naming it", (name, value) => {
    const result = loadConfig({ [name]: value });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain(name);
  });
});

describe("settings from files (NAME_FILE, as Docker and Compose secrets are given)", () => {
  const folder = mkdtempSync(join(tmpdir(), "lt-secrets-"));
  const secret = (name: string, text: string) => {
    const path = join(folder, name);
    writeFileSync(path, text);
    return path;
  };

  test("any setting: the file's contents, its trailing newline trimmed", () => {
    const url = "postgres://lt:s3cret@db.example.com:5432/link_tracker";
    const r = loadConfig({ WEBHOOK_API_KEY_FILE: secret("key", "from-a-file-0123456789abcdef\n"), DATABASE_URL_FILE: secret("url", `${url}\r\n`), PORT_FILE: secret("port", "5055") });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.webhookApiKey).toBe("from-a-file-0123456789abcdef");
    expect(r.config.postgres?.url).toBe(url);
    expect(r.config.port).toBe(5055);
  });

  test("a value and a file for one setting: refused, naming both", () => {
    const r = loadConfig({ WEBHOOK_API_KEY: "direct-0123456789abcdef", WEBHOOK_API_KEY_FILE: secret("key2", "file-0123456789abcdef") });
    expect(r).toEqual({ ok: false, message: expect.stringContaining("both WEBHOOK_API_KEY and WEBHOOK_API_KEY_FILE are set") });
  });

  test("a file that cannot be read: refused, naming the setting and the file", () => {
    const missing = join(folder, "nope");
    const r = loadConfig({ DATABASE_URL_FILE: missing });
    expect(r).toEqual({ ok: false, message: expect.stringContaining(`DATABASE_URL_FILE: cannot read ${missing} (ENOENT)`) });
  });

  test("what the file holds is checked like the value itself", () => {
    const r = loadConfig({ PORT_FILE: secret("bad-port", "http\n") });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toContain("PORT");
  });
});
