/**
 * The one place the environment is read. Everything else receives a Config.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { dirname, join } from "node:path";
import { checkGeoFile, nowhereLocator, openLocator } from "./lib/geo";
import { ipMatcher, isIpOrCidr, trustedProxies, type TrustProxy } from "./lib/ip";

const port = z
  .string()
  .regex(/^\d{1,5}$/, "must be a whole number from 0 to 65535")
  .transform(Number)
  .pipe(z.number().max(65535, "must be a whole number from 0 to 65535"));

const count = (max: number) =>
  z
    .string()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().max(max, `must be at most ${max}`));

const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" });

/** An mmdb file that replaces embedded data: opened here, so a missing or corrupt one stops the start. */
const geoFile = (kind: "country" | "asn" | "city") =>
  z
    .string()
    .superRefine((path, ctx) => {
      try {
        checkGeoFile(kind, path);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: `cannot be read as an mmdb database: ${(error as Error).message}` });
      }
    })
    .optional();

/** The environment's variables, checked, then shaped into the Config every part of the server receives. */
const Settings = z.object({
  PORT: port.default(5001),
  HOST: z.string().min(1).default("0.0.0.0"),
  /** The folder of the SQLite database (unless DATABASE_PATH names it) and of the location data's copy. */
  DATA_DIR: z.string().min(1).default("./data"),
  // Unset, not defaulted, here: setting it beside DATABASE_URL is an error (defaulted below).
  DATABASE_PATH: z.string().min(1).optional(),
  DATABASE_URL: z
    .string()
    .refine((v) => {
      try {
        const u = new URL(v);
        return (u.protocol === "postgres:" || u.protocol === "postgresql:") && u.hostname !== "";
      } catch {
        return false;
      }
    }, "must be a postgres:// URL, e.g. postgres://user:password@db.example.com:5432/link_tracker")
    .optional(),
  DATABASE_POOL_SIZE: count(1000).pipe(z.number().min(1, "must be at least 1")).default(10),
  DATABASE_PREPARE: z.stringbool().default(true),
  DATABASE_LISTEN: z.stringbool().default(true),
  DATABASE_CA_CERT: z
    .string()
    .refine((v) => v.includes("-----BEGIN CERTIFICATE-----"), "must be the PEM of a CA certificate (-----BEGIN CERTIFICATE----- …), or set DATABASE_CA_CERT_FILE to its file")
    .optional(),
  DATABASE_CONNECT_WAIT_SECONDS: count(3600).default(30),
  WEBHOOK_LEASE_SECONDS: count(86_400).pipe(z.number().min(1, "must be at least 1")).default(60),
  PUBLIC_BASE_URL: httpUrl.optional(),
  WEBHOOK_API_KEY: z
    .string()
    .min(16, "must be at least 16 characters (generate one with: openssl rand -hex 32)")
    .optional(),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  TRUST_PROXY: z
    .string()
    .transform((v, ctx): TrustProxy => {
      const word = v.trim().toLowerCase();
      if (["false", "0", "no", "off"].includes(word)) return false;
      if (["true", "yes", "on"].includes(word)) return true;
      if (/^\d+$/.test(word) && Number(word) <= 20) return Number(word);
      const list = trustedProxies(v);
      if (list) return list;
      ctx.addIssue({
        code: "custom",
        message: "must be false, true (one proxy in front), a number of proxies (up to 20), or the proxies' addresses and CIDR ranges (loopback, private), comma-separated",
      });
      return z.NEVER;
    })
    .default(false),
  CLIENT_IP_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/, "must be a header name, e.g. do-connecting-ip, cf-connecting-ip, fly-client-ip, true-client-ip, x-real-ip")
    .transform((v) => v.toLowerCase())
    .optional(),
  NOT_FOUND_REDIRECT: httpUrl.optional(),
  EXCLUDE_IPS: z
    .string()
    .transform((v) => v.split(",").map((e) => e.trim()).filter(Boolean))
    .refine((entries) => entries.every(isIpOrCidr), "must be IP addresses or CIDR ranges, separated by commas")
    .default([]),
  MCP_ALLOWED_ORIGINS: z
    .string()
    .transform((v) => v.split(",").map((e) => e.trim().replace(/\/+$/, "")).filter(Boolean))
    .refine((entries) => entries.every((e) => URL.canParse(e) && new URL(e).origin === e), "must be origins such as http://localhost:6274, separated by commas")
    .default([]),
  IP_ANONYMIZE: z.stringbool().default(false),
  RESPECT_DNT: z.stringbool().default(true),
  RETENTION_DAYS: count(36_500).default(0),
  RATE_LIMIT_API: count(1_000_000).default(6000),
  RATE_LIMIT_AUTH_FAILURES: count(1_000_000).default(30),
  RATE_LIMIT_REDIRECT: count(1_000_000).default(0),
  TRACKING_API_URL: httpUrl.optional(),
  LOOKUP_API_URL: httpUrl.optional(),
  LOOKUP_CACHE_SECONDS: count(86_400).default(300),
  SIGNAL_RETURN_DAYS: count(3650).default(7),
  SIGNAL_HOLD_SECONDS: count(3600).default(15),
  WEBHOOK_ALLOW_PRIVATE: z.stringbool().default(false),
  SMTP_URL: z
    .string()
    .refine((v) => {
      try {
        const url = new URL(v);
        return (url.protocol === "smtp:" || url.protocol === "smtps:") && url.hostname !== "";
      } catch {
        return false;
      }
    }, "must be smtp://user:password@host:587 (STARTTLS) or smtps://user:password@host:465 (TLS from the start)")
    .optional(),
  SMTP_FROM: z.string().max(300).regex(/^[^\r\n]*@[^\r\n]*$/, "must be an address, e.g. link-tracker@your-domain.com or \"link-tracker <alerts@your-domain.com>\"").optional(),
  SMTP_CA_CERT: z
    .string()
    .refine((v) => v.includes("-----BEGIN CERTIFICATE-----"), "must be the PEM of a CA certificate (-----BEGIN CERTIFICATE----- …), or set SMTP_CA_CERT_FILE to its file")
    .optional(),
  DESTINATION_CHECK_SECONDS: count(31_536_000).default(86_400),
  DESTINATION_CHECK_ALLOW_PRIVATE: z.stringbool().default(false),
  GEOIP_COUNTRY_DB: geoFile("country"),
  GEOIP_ASN_DB: geoFile("asn"),
  GEOIP_CITY_DB: geoFile("city"),
});

const ConfigSchema = Settings
  .refine((e) => !e.TRACKING_API_URL === !e.LOOKUP_API_URL, {
    message: "edge mode needs both TRACKING_API_URL and LOOKUP_API_URL (or neither)",
    path: ["TRACKING_API_URL"],
  })
  .refine((e) => !e.CLIENT_IP_HEADER || e.TRUST_PROXY !== false, {
    message: "CLIENT_IP_HEADER is believed only from a trusted proxy: set TRUST_PROXY too (true, a number of hops, or the proxies' addresses)",
    path: ["CLIENT_IP_HEADER"],
  })
  .refine((e) => !(e.DATABASE_URL && e.DATABASE_PATH), {
    message: "set DATABASE_URL (PostgreSQL) or DATABASE_PATH (SQLite), not both",
    path: ["DATABASE_URL"],
  })
  .refine((e) => !(e.DATABASE_URL && e.TRACKING_API_URL), {
    message: "an edge keeps its outbox in SQLite (DATABASE_PATH); DATABASE_URL is for the central server",
    path: ["DATABASE_URL"],
  })
  .refine((e) => !e.TRACKING_API_URL || e.WEBHOOK_API_KEY, {
    message: "edge mode sends WEBHOOK_API_KEY to the upstream: set it",
    path: ["WEBHOOK_API_KEY"],
  })
  .transform((e) => ({
    port: e.PORT,
    host: e.HOST,
    databasePath: e.DATABASE_PATH ?? `${e.DATA_DIR.replace(/(.)\/+$/, "$1")}/link-tracker.db`,
    /** DATABASE_URL: the central store on PostgreSQL (several instances may share it) instead of SQLite. */
    postgres: e.DATABASE_URL
      ? { url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE, prepare: e.DATABASE_PREPARE, listen: e.DATABASE_LISTEN, caCert: e.DATABASE_CA_CERT ?? null, connectWaitSeconds: e.DATABASE_CONNECT_WAIT_SECONDS }
      : null,
    /** DATABASE_CA_CERT: the PostgreSQL server's CA (also for copy-store's target). */
    databaseCaCert: e.DATABASE_CA_CERT ?? null,
    /** How long an instance's claim on a webhook delivery holds (another instance takes it over after). */
    webhookLeaseSeconds: e.WEBHOOK_LEASE_SECONDS,
    publicBaseUrl: (e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ""),
    /** PUBLIC_BASE_URL unset: the origin is this machine's (and follows the port a PORT=0 server gets). */
    publicBaseUrlDefaulted: e.PUBLIC_BASE_URL === undefined,
    webhookApiKey: e.WEBHOOK_API_KEY,
    logLevel: e.LOG_LEVEL,
    trustProxy: e.TRUST_PROXY,
    /** CLIENT_IP_HEADER: the one header a platform sets with the client's address (believed only from a trusted proxy). */
    clientIpHeader: e.CLIENT_IP_HEADER ?? null,
    notFoundRedirect: e.NOT_FOUND_REDIRECT,
    excludeIps: e.EXCLUDE_IPS,
    /** EXCLUDE_IPS as a matcher: the job seeker's own addresses, whose clicks are "owner". */
    isOwnerIp: ipMatcher(e.EXCLUDE_IPS),
    /** Store IPv4 addresses as their /24 and IPv6 as their /48. */
    ipAnonymize: e.IP_ANONYMIZE,
    /** DNT: 1 or Sec-GPC: 1 → the click is counted without IP, user agent or session. */
    respectDnt: e.RESPECT_DNT,
    /** Clicks older than this many days are deleted; 0 keeps them. */
    retentionDays: e.RETENTION_DAYS,
    /** Requests per minute: per API key, failed authentications per client IP, redirects per client IP (0 = no limit). */
    rateLimits: { api: e.RATE_LIMIT_API, authFailures: e.RATE_LIMIT_AUTH_FAILURES, redirect: e.RATE_LIMIT_REDIRECT },
    /** Edge mode (both URLs set): redirect only, links from LOOKUP_API_URL, clicks shipped to TRACKING_API_URL. */
    edge:
      e.TRACKING_API_URL && e.LOOKUP_API_URL
        ? { trackingApiUrl: e.TRACKING_API_URL, lookupApiUrl: e.LOOKUP_API_URL.replace(/\/+$/, ""), cacheSeconds: e.LOOKUP_CACHE_SECONDS }
        : null,
    /** click.returned: a human click on an application whose last one is older than this. */
    signalReturnDays: e.SIGNAL_RETURN_DAYS,
    /** How long an event waits before webhooks and the feed see it (a burst may withdraw it). */
    signalHoldSeconds: e.SIGNAL_HOLD_SECONDS,
    /** Webhooks may target loopback, private and link-local addresses (a receiver on the same box or LAN). */
    webhookAllowPrivate: e.WEBHOOK_ALLOW_PRIVATE,
    /** E-mail channels' relay: SMTP_URL (its password never logged), the sender, and a private CA. */
    smtp: e.SMTP_URL
      ? { url: e.SMTP_URL, from: e.SMTP_FROM ?? `link-tracker <link-tracker@${new URL(e.PUBLIC_BASE_URL ?? "http://localhost").hostname}>`, caCert: e.SMTP_CA_CERT ?? null }
      : null,
    /** Every active link's destination is checked once in this many seconds (0: only on demand). */
    destinationCheckSeconds: e.DESTINATION_CHECK_SECONDS,
    /** Destination checks may ask loopback, private and link-local addresses (tests, an intranet). */
    destinationCheckAllowPrivate: e.DESTINATION_CHECK_ALLOW_PRIVATE,
    /** Browser origins besides PUBLIC_BASE_URL's whose pages may call /mcp (requests without Origin always may). */
    mcpAllowedOrigins: e.MCP_ALLOWED_ORIGINS,
    /**
     * Where an address is (country, city, network), from the embedded data or the GEOIP_*
     * files. An edge locates nothing: the central server locates what it ships.
     */
    locator:
      e.TRACKING_API_URL && e.LOOKUP_API_URL
        ? nowhereLocator
        : openLocator({
            country: e.GEOIP_COUNTRY_DB,
            asn: e.GEOIP_ASN_DB,
            city: e.GEOIP_CITY_DB,
            // A compiled server's copy of its embedded data, beside the database (lib/geo/embedded.ts).
            dataDir: join(e.DATABASE_PATH ? dirname(e.DATABASE_PATH) : e.DATA_DIR, "geo"),
          }),
  }));

export type Config = z.output<typeof ConfigSchema>;

/** Every setting's name (each also read from NAME_FILE). */
export const SETTING_NAMES: readonly string[] = Object.keys(Settings.shape);

export type ConfigResult = { ok: true; config: Config } | { ok: false; message: string };

/** Empty values count as unset, as they do in most .env files. */
function withoutEmpty(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ""));
}

/**
 * Every setting NAME may come from a file instead, NAME_FILE (Docker and Compose secrets):
 * its contents, the trailing newline trimmed. Both at once, or a file that cannot be read,
 * is an error naming them.
 */
function withFiles(env: Record<string, string>): { env: Record<string, string> } | { message: string } {
  const out = { ...env };
  for (const name of Object.keys(Settings.shape)) {
    const file = env[`${name}_FILE`];
    if (file === undefined) continue;
    delete out[`${name}_FILE`];
    if (env[name] !== undefined) return { message: `✖ both ${name} and ${name}_FILE are set: use one of them` };
    try {
      out[name] = readFileSync(file, "utf8").replace(/\r?\n$/, "");
    } catch (error) {
      return { message: `✖ ${name}_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` };
    }
  }
  return { env: out };
}

export function loadConfig(env: Record<string, string | undefined> = process.env): ConfigResult {
  const files = withFiles(withoutEmpty(env));
  if ("message" in files) return { ok: false, message: files.message };
  const parsed = ConfigSchema.safeParse(withoutEmpty(files.env));
  if (!parsed.success) return { ok: false, message: z.prettifyError(parsed.error) };
  return { ok: true, config: parsed.data };
}

/** A config for tests and embedding: defaults, with the given fields replaced. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  const result = loadConfig({});
  if (!result.ok) throw new Error(result.message);
  const config = { ...result.config, databasePath: ":memory:", logLevel: "silent" as const, ...overrides };
  return overrides.excludeIps && !overrides.isOwnerIp ? { ...config, isOwnerIp: ipMatcher(overrides.excludeIps) } : config;
}
