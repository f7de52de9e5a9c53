/**
 * TLS to PostgreSQL as a managed database asks for it: `?sslmode=…` with libpq's meanings
 * (tls.ts), the CA given as DATABASE_CA_CERT (a platform binds it into a variable) or
 * sslrootcert=PATH. A cluster of the test's own serves TLS with a certificate for
 * "localhost" signed by a CA scripts/ensure-postgres.sh makes; Debian's main cluster
 * serves none. Skipped with the reason where there is no server.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import postgres from "postgres";
import { realPostgres } from "../postgres-utils";
import { BINARY, buildBinary, emptyFolder, startServer, stop, type Server } from "./binary";

const KEY = "pg-tls-key-0123456789abcdef";
const tls = await realPostgres({ name: "link_tracker_tls", port: 5437, tls: true });
const plain = await realPostgres();
const caPath = (() => {
  const line = Bun.spawnSync(["pg_lsclusters", "--no-header"]).stdout.toString().split("\n").find((l) => l.split(/\s+/)[1] === "link_tracker_tls");
  return line ? `/etc/postgresql/${line.split(/\s+/)[0]}/link_tracker_tls/link-tracker-ca.pem` : "";
})();
const running: Server[] = [];

afterAll(async () => {
  for (const s of running) if (s.proc.exitCode === null) s.proc.kill("SIGKILL");
  await tls.dropAll();
  await plain.dropAll();
}, 60_000);

/** The URL of a new database on `server`, by `host`, with `params`. */
async function urlOf(server: typeof tls, params: string, host = "127.0.0.1") {
  const url = new URL(await server.freshDatabase());
  url.hostname = host;
  return `${url.toString()}${params}`;
}

async function runToExit(env: Record<string, string>): Promise<{ code: number | null; err: string }> {
  const proc = Bun.spawn([BINARY], {
    cwd: emptyFolder(),
    env: { PATH: process.env.PATH ?? "", PORT: "0", HOST: "127.0.0.1", DESTINATION_CHECK_SECONDS: "0", WEBHOOK_API_KEY: KEY, DATABASE_CONNECT_WAIT_SECONDS: "2", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
  const [err, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, err };
}

/** Starts the binary on `url`, checks it serves, and says whether its connections are encrypted. */
async function serves(url: string, env: Record<string, string> = {}): Promise<{ encrypted: boolean }> {
  const server = await startServer(emptyFolder(), { WEBHOOK_API_KEY: KEY, DATABASE_URL: url, ...env });
  running.push(server);
  expect((await fetch(`${server.base}/api/tracking-ingest/health`)).status).toBe(200);
  const where = new URL(url.split("?")[0]!);
  const on = postgres(where.port === "5437" ? tls.url! : plain.url!, { max: 1, onnotice: () => {} });
  const rows = await on`select s.ssl from pg_stat_ssl s join pg_stat_activity a using (pid) where a.datname = ${where.pathname.slice(1)} and a.application_name = 'link-tracker'`;
  await on.end({ timeout: 1 });
  await stop(server);
  expect(rows.length).toBeGreaterThan(0);
  return { encrypted: rows.every((r) => r.ssl) };
}

describe.skipIf(!tls.url || !caPath)(`TLS to PostgreSQL, libpq's sslmode${tls.url ? "" : ` (skipped: ${tls.reason})`}`, () => {
  beforeAll(() => buildBinary(), 60_000);
  const ca = () => readFileSync(caPath, "utf8");

  test("sslmode=require, no CA (a managed database's URL as given): encrypted, the chain not checked", async () => {
    expect(await serves(await urlOf(tls, "?sslmode=require"))).toEqual({ encrypted: true });
  }, 30_000);

  test("sslmode=require with DATABASE_CA_CERT (the platform's binding): verified against it", async () => {
    expect(await serves(await urlOf(tls, "?sslmode=require"), { DATABASE_CA_CERT: ca() })).toEqual({ encrypted: true });
    // The same CA from a file, as a Compose secret gives it.
    expect(await serves(await urlOf(tls, "?sslmode=require"), { DATABASE_CA_CERT_FILE: caPath })).toEqual({ encrypted: true });
  }, 30_000);

  test("a CA that did not sign the server's certificate: exit 1 saying so, naming the setting", async () => {
    const other = Bun.spawnSync(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=another CA", "-keyout", "/dev/null"], { stderr: "pipe" });
    const wrong = other.stdout.toString();
    expect(wrong).toContain("BEGIN CERTIFICATE");
    const { code, err } = await runToExit({ DATABASE_URL: await urlOf(tls, "?sslmode=require"), DATABASE_CA_CERT: wrong });
    expect(code).toBe(1);
    expect(err).toContain("the server's certificate could not be verified");
    expect(err).toContain("DATABASE_CA_CERT");
    expect(err).not.toContain("link_tracker_test:link_tracker_test");
  }, 30_000);

  test("verify-full checks the host name; verify-ca does not", async () => {
    expect(await serves(await urlOf(tls, "?sslmode=verify-full", "localhost"), { DATABASE_CA_CERT: ca() })).toEqual({ encrypted: true });
    const mismatch = await runToExit({ DATABASE_URL: await urlOf(tls, "?sslmode=verify-full"), DATABASE_CA_CERT: ca() });
    expect(mismatch.code).toBe(1);
    expect(mismatch.err).toContain("the server's certificate is not for the host 127.0.0.1");
    expect(await serves(await urlOf(tls, "?sslmode=verify-ca"), { DATABASE_CA_CERT: ca() })).toEqual({ encrypted: true });
    expect(await serves(await urlOf(tls, `?sslmode=verify-full&sslrootcert=${encodeURIComponent(caPath)}`, "localhost"))).toEqual({ encrypted: true });
  }, 60_000);

  test("verify-full without a CA, or a bad one: exit before connecting, naming what to set", async () => {
    const none = await runToExit({ DATABASE_URL: await urlOf(tls, "?sslmode=verify-full", "localhost") });
    expect(none.code).toBe(1);
    expect(none.err).toContain("give its CA as DATABASE_CA_CERT");
    const bad = await runToExit({ DATABASE_URL: await urlOf(tls, "?sslmode=require"), DATABASE_CA_CERT: "not a certificate" });
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("DATABASE_CA_CERT");
    const mode = await runToExit({ DATABASE_URL: await urlOf(tls, "?sslmode=sometimes") });
    expect(mode.code).toBe(1);
    expect(mode.err).toContain("sslmode=sometimes in DATABASE_URL is not one of");
  }, 30_000);

  test("disable: plain; prefer (the default) against a server with TLS: encrypted", async () => {
    expect(await serves(await urlOf(tls, "?sslmode=disable"))).toEqual({ encrypted: false });
    expect(await serves(await urlOf(tls, ""))).toEqual({ encrypted: true });
  }, 30_000);

  test.skipIf(!plain.url)("a server without TLS: prefer speaks plain, require exits 1 saying the server offers none", async () => {
    expect(await serves(await urlOf(plain, ""))).toEqual({ encrypted: false });
    const { code, err } = await runToExit({ DATABASE_URL: await urlOf(plain, "?sslmode=require") });
    expect(code).toBe(1);
    expect(err).toContain("the server does not offer TLS, and sslmode=require asks for it");
  }, 30_000);
});

