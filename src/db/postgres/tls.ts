/**
 * TLS to PostgreSQL with libpq's meanings of `sslmode` (https://www.postgresql.org/docs/current/libpq-ssl.html),
 * which node-postgres does not keep (it reads `require` as "verify the chain", so a
 * managed database's `?sslmode=require` URL fails on its provider's CA):
 *
 *   disable       no TLS
 *   allow, prefer TLS when the server offers it, not verified; plain otherwise (prefer is
 *                 libpq's default, and so here)
 *   require       TLS, not verified, unless a root certificate is given: then as verify-ca
 *   verify-ca     TLS, the chain verified against the root certificate, not the host name
 *   verify-full   TLS, the chain and the host name verified
 *
 * The root certificate is `sslrootcert=PATH` in the URL, or DATABASE_CA_CERT holding the
 * PEM itself (a platform binds its database's CA into a variable). node-postgres' own
 * `sslmode=no-verify` is taken as require.
 */
import { readFileSync } from "node:fs";
import type { ConnectionOptions } from "node:tls";

export type SslMode = "disable" | "allow" | "prefer" | "require" | "verify-ca" | "verify-full";

const MODES = new Set<string>(["disable", "allow", "prefer", "require", "verify-ca", "verify-full", "no-verify"]);
/** Parameters of ours (and libpq's TLS ones): taken out of the URL before node-postgres reads it. */
const TLS_PARAMS = ["sslmode", "sslrootcert", "sslcert", "sslkey", "sslpassword", "uselibpqcompat"];

export class TlsSettingError extends Error {}

export type TlsPlan = {
  /** The URL without its TLS parameters. */
  connectionString: string;
  mode: SslMode;
  /** What node-postgres is given first: false for no TLS. */
  ssl: false | ConnectionOptions;
  /** prefer/allow: plain, for a server that does not offer TLS. */
  fallback: false | null;
};

/** What `url` and `caCert` (DATABASE_CA_CERT's PEM) ask for; a setting that cannot be met is a TlsSettingError naming it. */
export function tlsPlan(url: string, caCert?: string | null): TlsPlan {
  const parsed = new URL(url);
  const asked = parsed.searchParams.get("sslmode") ?? "prefer";
  if (!MODES.has(asked)) throw new TlsSettingError(`sslmode=${asked} in DATABASE_URL is not one of disable, allow, prefer, require, verify-ca, verify-full`);
  const mode: SslMode = asked === "no-verify" ? "require" : (asked as SslMode);
  const rootPath = parsed.searchParams.get("sslrootcert");
  const client = { cert: parsed.searchParams.get("sslcert"), key: parsed.searchParams.get("sslkey") };
  for (const name of TLS_PARAMS) parsed.searchParams.delete(name);
  const connectionString = parsed.toString();
  if (mode === "disable") return { connectionString, mode, ssl: false, fallback: null };
  let ca: string | undefined = caCert ?? undefined;
  if (rootPath && rootPath !== "system") {
    try {
      ca = readFileSync(rootPath, "utf8");
    } catch (error) {
      throw new TlsSettingError(`sslrootcert=${rootPath} in DATABASE_URL cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  }
  const clientCert: Pick<ConnectionOptions, "cert" | "key"> = {};
  try {
    if (client.cert) clientCert.cert = readFileSync(client.cert, "utf8");
    if (client.key) clientCert.key = readFileSync(client.key, "utf8");
  } catch (error) {
    throw new TlsSettingError(`sslcert/sslkey in DATABASE_URL cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (mode === "allow" || mode === "prefer") return { connectionString, mode, ssl: { rejectUnauthorized: false, ...clientCert }, fallback: false };
  const verifying = mode === "verify-full" || mode === "verify-ca" || (mode === "require" && ca !== undefined);
  if (!verifying) return { connectionString, mode, ssl: { rejectUnauthorized: false, ...clientCert }, fallback: null };
  if (ca === undefined && rootPath !== "system") {
    throw new TlsSettingError(`sslmode=${mode} verifies the server's certificate: give its CA as DATABASE_CA_CERT (the PEM) or sslrootcert=PATH in DATABASE_URL (sslrootcert=system: the system's CAs)`);
  }
  const chainOnly = mode !== "verify-full";
  return {
    connectionString,
    mode,
    ssl: { rejectUnauthorized: true, ...(ca !== undefined ? { ca } : {}), ...clientCert, ...(chainOnly ? { checkServerIdentity: () => undefined } : {}) },
    fallback: null,
  };
}

/** A TLS failure in words that name the setting to change, or null for any other error. */
export function explainTls(error: unknown, plan: Pick<TlsPlan, "mode">, host: string): string | null {
  const codes: string[] = [];
  const messages: string[] = [];
  for (let e = error as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === "string") codes.push(e.code);
    if (typeof e.message === "string") messages.push(e.message);
  }
  const code = codes.find((c) => /CERT|SIGNATURE|ALTNAME|ISSUER|SELF_SIGNED/.test(c));
  if (codes.includes("ERR_TLS_CERT_ALTNAME_INVALID") || messages.some((m) => /does not match certificate's altnames|Hostname\/IP does not match/.test(m))) {
    return `the server's certificate is not for the host ${host} (sslmode=verify-full checks the host name; connect by the name the certificate has, or use sslmode=verify-ca)`;
  }
  if (code) {
    return `the server's certificate could not be verified (${code}): with sslmode=${plan.mode}, DATABASE_CA_CERT or sslrootcert must hold the CA that signed it`;
  }
  if (messages.some((m) => /does not support SSL/i.test(m))) {
    return `the server does not offer TLS, and sslmode=${plan.mode} asks for it (sslmode=prefer or disable connects without)`;
  }
  return null;
}
