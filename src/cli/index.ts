/**
 * The command line of the single binary. Every command but serve works on the database
 * directly (DATABASE_PATH), with or without a server running. Exit codes: 0 done,
 * 1 failed (reason on stderr), 2 bad usage (usage on stderr).
 */
import { Command, CommanderError, Option } from "commander";
import { existsSync } from "node:fs";
import QRCode from "qrcode";
import { loadConfig, type Config } from "../config";
import { redactUrl } from "../lib/url";
import { SeedsError, type SeedsTables, type Store } from "../db/store";
import { AppError, ValidationFailed } from "../lib/errors";
import { parseIsoDateTime } from "../lib/time";
import { csvStream } from "../modules/analytics/export";
import { linkAnalytics } from "../modules/analytics/service";
import { createKey, keyViews, revokeKeyByName, SCOPES, type Scope } from "../modules/auth/service";
import { revokeSessions, sessionViews } from "../modules/auth/sessions";
import { CreateLink } from "../modules/links/model";
import { SERVER_ORIGIN } from "../modules/links/origin";
import { checkLink, createLink, createLinks, getLink, listLinkViews, patchLink, deleteLink } from "../modules/links/service";
import { CHANNEL_FORMATS, EVENT_TYPES, CreateWebhook } from "../modules/webhooks/model";
import { createWebhook, deliveryLog, listWebhooks, patchWebhook, redeliver, removeWebhook, testWebhook } from "../modules/webhooks/service";
import { embeddedSources } from "../lib/geo";
import { locateStored } from "../modules/clicks/locate";
import { ApplicationLabel } from "../modules/applications/model";
import { allApplications, applicationIdFromStart, applicationLabel, getApplication, labelApplication, labelsOf } from "../modules/applications/service";
import { VERSION } from "../version";
import pino from "pino";
import { createLogger } from "../lib/log";
import { bars, print, printJson, printLink, table } from "./output";
import { createMailer } from "../lib/mail";
import { archiveSource, ArchiveError, exportToFile } from "../modules/import/archive";
import { csvSource, CsvSettingError, parseMap } from "../modules/import/csv";
import type { ImportSource } from "../modules/import/model";
import { reportLines, runImport } from "../modules/import/run";
import { seedsSource } from "../modules/import/seeds";
import { sinkSource, SinkError } from "../modules/import/sink";
import { kuttSource, RemoteError, shlinkSource } from "../modules/import/remote";

/** A failure to report on one line: exit 1, or 2 when the user asked for something invalid. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}

type Env = Record<string, string | undefined>;

/** How the composition root (main.ts) opens the configured store for a command. */
export type OpenStore = (config: Config) => Promise<Store>;

/** copy-store: the SQLite database of `config` into PostgreSQL at `url` (main.ts composes it); per table, rows on each side. */
export type CopyStore = (config: Config, url: string, progress: (line: string) => void) => Promise<{ table: string; source: number; target: number }[]>;

function config(env: Env): Config {
  const loaded = loadConfig(env);
  if (!loaded.ok) throw new CliError(`invalid configuration\n${loaded.message}`, 2);
  return loaded.config;
}


function isoOption(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const iso = parseIsoDateTime(value);
  if (iso === null) throw new CliError(`${name} must be an ISO 8601 date-time with Z or an offset, e.g. 2025-10-22T00:00:00Z`, 2);
  return iso;
}

/**
 * An application as a person types it: its whole id, or the start of it (4 characters or
 * more, as `applications list` and labels show the first 8), when only one id starts so.
 */
async function applicationIdFrom(store: Store, given: string): Promise<string> {
  const found = await applicationIdFromStart(store, given);
  if ("id" in found) return found.id;
  if (found.problem === "not-an-id") throw new CliError(`application ${found.error}`, 2);
  if (found.problem === "none") throw new CliError(`${found.error} (see: link-tracker applications list)`);
  throw new CliError(found.error, 2);
}

const json = new Option("--json", "print JSON instead of text");

/** import seeds: the seeds' tables in another PostgreSQL database, read only (main.ts composes it). */
export type OpenSeeds = (url: string, caCert: string | null) => SeedsTables;

export function buildProgram(env: Env, serve: () => void, openStore: OpenStore, opened: Store[], copyStore?: CopyStore, version = VERSION, openSeeds?: OpenSeeds): Command {
  /** Opens the store; commands that only read refuse to create a missing SQLite file (a mistyped DATABASE_PATH). */
  const database = async (cfg: Config, { create }: { create: boolean }): Promise<Store> => {
    if (!cfg.postgres && !create && !existsSync(cfg.databasePath)) {
      throw new CliError(`database ${cfg.databasePath} does not exist (check DATABASE_PATH, or run "link-tracker migrate")`);
    }
    try {
      const store = await openStore(cfg);
      opened.push(store);
      // Links made here get the origin of the server on this database, unless this environment names one.
      if (!env.PUBLIC_BASE_URL && !env.PUBLIC_BASE_URL_FILE) cfg.publicBaseUrl = (await store.settings.get(SERVER_ORIGIN)) ?? cfg.publicBaseUrl;
      return store;
    } catch (error) {
      const message = (error as Error).message;
      throw new CliError(cfg.postgres ? message : `cannot open database ${cfg.databasePath}: ${message}`);
    }
  };

  const program = new Command("link-tracker")
    .description("Self-hosted redirect-and-click-tracking server. Configuration comes from the environment; see docs/configuration.md.")
    .version(version, "-v, --version", "print the version and the embedded location data's dates")
    .helpOption("-h, --help", "show help")
    .showHelpAfterError()
    .exitOverride();

  program.command("serve").description("serve the redirect routes and the API (the default)").action(serve);

  program
    .command("healthcheck")
    .description("ask the server on this machine's PORT for its health (a container's HEALTHCHECK): exit 0 healthy, 1 otherwise, within 3 s")
    .action(async () => {
      const cfg = config(env);
      // The port it listens on; a server on every address answers on loopback too.
      const host = cfg.host === "0.0.0.0" || cfg.host === "::" ? "127.0.0.1" : cfg.host.includes(":") ? `[${cfg.host}]` : cfg.host;
      const url = `http://${host}:${cfg.port}/api/tracking-ingest/health`;
      let answer: Response;
      try {
        answer = await fetch(url, { signal: AbortSignal.timeout(3000), redirect: "manual" });
      } catch (error) {
        throw new CliError(`unhealthy: no answer from ${url} (${(error as Error).name === "TimeoutError" ? "no answer within 3 s" : (error as Error).message})`);
      }
      const body = (await answer.json().catch(() => ({}))) as { status?: string };
      if (answer.status !== 200) throw new CliError(`unhealthy: ${url} answered ${answer.status}${body.status ? ` (${body.status})` : ""}`);
      print(`healthy: ${url} answered ${answer.status}${body.status ? ` (${body.status})` : ""}`);
    });

  program
    .command("migrate")
    .description("apply the database migrations and exit")
    .action(async () => {
      const cfg = config(env);
      await database(cfg, { create: true });
      print(`Database ${cfg.postgres ? redactUrl(cfg.postgres.url) : cfg.databasePath} is up to date.`);
    });

  const links = program.command("links").description("create and manage tracked links");

  links
    .command("create")
    .description("create a link and print its tracked URL")
    .requiredOption("--url <url>", "the destination (http or https)")
    .requiredOption("--function <name>", 'what the link is for, e.g. LinkedIn; its lower case is the URL path')
    .option("--type <type>", "link type", "link")
    .option("--job <uuid>", "job id")
    .option("--application <id>", "application id, or its start (4 characters or more)")
    .option("--description <text>", "description")
    .option("--id <tracking_id>", "a custom tracking id")
    .option("--expires <iso>", "expiry, ISO 8601")
    .option("--qr <file>", "also write a QR code of the tracked URL (.svg or .png)")
    .option("--company <name>", "the application's company: the one of that company and --role is reused (the most recent), or a new one is named")
    .option("--role <title>", "the application's role")
    .option("--new", "with --company/--role: a new application even when one has that name")
    .action(async (o) => {
      if (o.qr && !/\.(svg|png)$/i.test(o.qr)) throw new CliError("--qr must name a .svg or .png file", 2);
      const naming = o.company !== undefined || o.role !== undefined;
      if (o.new && !naming) throw new CliError("--new names a new application: give --company or --role with it", 2);
      const label = naming ? ApplicationLabel.safeParse({ company: o.company, role: o.role }) : null;
      if (label && !label.success) throw new CliError(label.error.issues.map((i) => i.message).join("; "), 2);
      const cfg = config(env);
      const store = await database(cfg, { create: true });
      const given = o.application === undefined ? undefined : await applicationIdFrom(store, o.application);
      // Named and not told otherwise: the application already named so, if there is one.
      const reused = label?.success && given === undefined && !o.new ? (await store.applications.named(label.data.company ?? null, label.data.role ?? null))[0] : undefined;
      const parsed = CreateLink.safeParse({
        original_url: o.url,
        link_function: o.function,
        link_type: o.type,
        job_id: o.job,
        application_id: reused?.applicationId ?? given ?? (naming ? crypto.randomUUID() : undefined),
        description: o.description,
        tracking_id: o.id,
        expires_at: o.expires,
      });
      if (!parsed.success) throw new CliError(parsed.error.issues.map((i) => i.message).join("; "), 2);
      // With a new name, the same call as the API's bulk creation: the name and the link, or neither.
      const link =
        label?.success && !reused
          ? (await createLinks(store, cfg, { links: [parsed.data], application: { ...label.data, application_id: parsed.data.application_id } })).links[0]
          : await createLink(store, cfg, parsed.data);
      print(link.redirect_url);
      if (reused) process.stderr.write(`application ${reused.applicationId}: ${applicationLabel(reused.applicationId, reused)} (the one already named so; --new makes another)\n`);
      else if (label?.success) process.stderr.write(`application ${link.application_id}: ${applicationLabel(link.application_id!, label.data)}\n`);
      if (o.qr) {
        if (o.qr.toLowerCase().endsWith(".svg")) await Bun.write(o.qr, await QRCode.toString(link.redirect_url, { type: "svg", margin: 2 }));
        else await Bun.write(o.qr, await QRCode.toBuffer(link.redirect_url, { type: "png", margin: 2, width: 512 }));
        process.stderr.write(`QR code written to ${o.qr}\n`);
      }
    });

  links
    .command("list")
    .description("list links, newest first, with their human clicks")
    .option("--job <uuid>", "only this job's links")
    .option("--application <id>", "only this application's links (its id, or the start of it)")
    .option("--function <name>", "only links with this function")
    .addOption(new Option("--active <bool>", "only active (true) or inactive (false) links").choices(["true", "false"]))
    .option("--limit <n>", "at most this many", "100")
    .addOption(json)
    .action(async (o) => {
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new CliError("--limit must be a whole number from 1 to 500", 2);
      const cfg = config(env);
      const store = await database(cfg, { create: false });
      const { links: rows } = await listLinkViews(store, {
        job_id: o.job,
        application_id: o.application === undefined ? undefined : await applicationIdFrom(store, o.application),
        link_function: o.function,
        active: o.active,
        limit,
      });
      if (o.json) return printJson(rows);
      if (rows.length === 0) return print("No links yet. Create one with: link-tracker links create --url URL --function NAME");
      const label = await labelsOf(store);
      print(
        table(
          ["TRACKING_ID", "FUNCTION", "CLICKS", "ACTIVE", "APPLICATION", "TRACKED URL"],
          rows.map((l) => [l.tracking_id, l.link_function, l.clicks, l.is_active ? "yes" : "no", label(l.application_id), l.redirect_url]),
        ),
      );
    });

  links
    .command("show <tracking_id>")
    .description("show one link")
    .addOption(json)
    .action(async (id: string, o) => {
      const link = await getLink(await database(config(env), { create: false }), id);
      if (o.json) return printJson(link);
      printLink(link);
    });

  links
    .command("check <tracking_id>")
    .description("check now whether a link's destination answers (down after two failures in a row)")
    .addOption(json)
    .action(async (id: string, o) => {
      const settings = config(env);
      const link = await checkLink(await database(settings, { create: false }), id, { allowPrivate: settings.destinationCheckAllowPrivate });
      if (o.json) return printJson(link);
      printLink(link);
    });

  for (const [name, active] of [["activate", true], ["deactivate", false]] as const) {
    links
      .command(`${name} <tracking_id>`)
      .description(active ? "make a link redirect again" : "stop a link redirecting (it answers 410)")
      .action(async (id: string) => {
        await patchLink(await database(config(env), { create: false }), id, { is_active: active });
        print(`Link ${id} is now ${active ? "active" : "inactive"}.`);
      });
  }

  links
    .command("delete <tracking_id>")
    .description("delete a link and all its clicks")
    .action(async (id: string) => {
      const result = await deleteLink(await database(config(env), { create: false }), id);
      print(`Deleted link ${id} and its ${result.clicks_deleted} clicks.`);
    });

  program
    .command("stats <tracking_id>")
    .description("the analytics of one link")
    .option("--from <iso>", "clicks from this time")
    .option("--to <iso>", "clicks up to this time")
    .option("--include-bots", "count bots, previews and scanners too")
    .addOption(json)
    .action(async (id: string, o) => {
      const query = { from: isoOption("--from", o.from), to: isoOption("--to", o.to), include_bots: o.includeBots ? ("true" as const) : undefined };
      const stats = await linkAnalytics(await database(config(env), { create: false }), id, query);
      if (o.json) return printJson(stats);
      const s = stats.click_statistics;
      const info = stats.link_info;
      print(`${info.tracking_id}  ${info.link_function} → ${info.original_url}${info.is_active ? "" : "  (inactive)"}`);
      print(`\n${stats.counted}: ${s.total_clicks}   sessions: ${s.unique_sessions}   last 24 h: ${s.clicks_24h}   last 7 days: ${s.clicks_7d}`);
      print(`first: ${s.first_click ?? "-"}   last: ${s.last_click ?? "-"}`);
      const k = stats.clicks_by_kind;
      print(`by kind: human ${k.human}, AI assistant ${k.assistant}, bot ${k.bot}, preview ${k.preview}, scanner ${k.scanner}, owner ${k.owner}`);
      const b = stats.breakdowns;
      if (b.by_day.length > 0) print(`\nclicks per day\n${bars(b.by_day.map((d) => ({ label: d.day ?? "", value: d.clicks })))}`);
      const networks = b.by_network.map((n) => ({ value: n.asn === null ? n.network : `${n.network} (AS${n.asn})`, clicks: n.clicks }));
      for (const [title, rows] of [["source", b.by_source], ["referrer", b.by_referrer_domain], ["browser", b.by_browser], ["os", b.by_os], ["device", b.by_device], ["country", b.by_country], ["network", networks]] as const) {
        if (rows.length > 0) print(`\n${title}: ${rows.map((r) => `${r.value} ${r.clicks}`).join(", ")}`);
      }
      if (b.by_country.length > 0) print(`\n${b.location_attribution}`);
    });

  const applications = program.command("applications").description("applications by name: list, show, label");

  applications
    .command("list")
    .description("every application, named or known by its links only, most recent first")
    .addOption(json)
    .action(async (o) => {
      const rows = await Array.fromAsync(allApplications(await database(config(env), { create: false })));
      if (o.json) return printJson(rows);
      if (rows.length === 0) return print("No applications yet. Name one with: link-tracker applications label UUID --company NAME --role TITLE");
      print(table(["APPLICATION_ID", "LABEL", "LINKS", "SENT"], rows.map((a) => [a.application_id, a.label, a.links, a.sent_at ?? "-"])));
    });

  applications
    .command("show <application>")
    .description("one application's name and links count")
    .addOption(json)
    .action(async (given: string, o) => {
      const store = await database(config(env), { create: false });
      const app = await getApplication(store, await applicationIdFrom(store, given));
      if (o.json) return printJson(app);
      print(table(["FIELD", "VALUE"], Object.entries(app).map(([k, v]) => [k, v === null ? "-" : String(v)])));
    });

  applications
    .command("label <application>")
    .description("name an application, or change its name (options left out keep their value; an empty one clears it)")
    .option("--company <name>", "the company")
    .option("--role <title>", "the role applied for")
    .option("--job <uuid>", "the job's id")
    .option("--sent <iso>", "when the application was sent (ISO 8601)")
    .option("--notes <text>", "notes")
    .addOption(json)
    .action(async (given: string, o) => {
      const label = ApplicationLabel.safeParse({ company: o.company, role: o.role, job_id: o.job === "" ? null : o.job, sent_at: o.sent === "" ? null : o.sent, notes: o.notes });
      if (!label.success) throw new CliError(label.error.issues.map((i) => i.message).join("; "), 2);
      if (Object.values(label.data).every((v) => v === undefined)) throw new CliError("nothing to label: give --company, --role, --job, --sent or --notes", 2);
      const store = await database(config(env), { create: true });
      // A new application's whole id; an existing one's start will do.
      const id = await applicationIdFrom(store, given);
      const app = await labelApplication(store, id, label.data);
      if (o.json) return printJson(app);
      print(app.label);
    });

  const keys = program.command("keys").description("API keys: create, list, revoke");

  keys
    .command("create")
    .description("create a key and print it (once: only its hash is kept)")
    .requiredOption("--name <name>", "a name to know it by")
    .addOption(new Option("--scope <scope>", "what it may do").choices(SCOPES).makeOptionMandatory())
    .action(async (o: { name: string; scope: Scope }) => {
      if (!/^[\w.@-]{1,100}$/.test(o.name)) throw new CliError("--name must be 1 to 100 letters, digits or . _ @ -", 2);
      print(await createKey(await database(config(env), { create: true }), o.name, o.scope));
    });

  keys
    .command("list")
    .description("list keys (never the keys themselves)")
    .addOption(json)
    .action(async (o) => {
      const rows = await keyViews(await database(config(env), { create: false }));
      if (o.json) return printJson(rows);
      if (rows.length === 0) return print("No keys. Create one with: link-tracker keys create --name NAME --scope read");
      print(table(["NAME", "SCOPE", "CREATED", "LAST USED", "REVOKED"], rows.map((k) => [k.name, k.scope, k.created_at, k.last_used_at, k.revoked_at])));
    });

  keys
    .command("revoke <name>")
    .description("revoke a key: it stops working at once")
    .action(async (name: string) => {
      await revokeKeyByName(await database(config(env), { create: false }), name);
      print(`Key ${name} revoked.`);
    });

  const sessions = program.command("sessions").description("signed-in dashboard browsers: list, revoke");

  sessions
    .command("list")
    .description("list the dashboard sessions still active (which key, which browser, until when)")
    .addOption(json)
    .action(async (o) => {
      const rows = await sessionViews(await database(config(env), { create: false }));
      if (o.json) return printJson(rows);
      if (rows.length === 0) return print("No dashboard session is active.");
      print(table(["ID", "KEY", "BROWSER", "REMEMBERED", "SIGNED IN", "ENDS"], rows.map((s) => [s.id, s.key_name, s.browser ?? "", s.remember ? "yes" : "no", s.created_at, s.expires_at])));
    });

  sessions
    .command("revoke [id]")
    .description("sign dashboard browsers out: one session by its id (or the start of it), --key NAME's, or --all")
    .option("--key <name>", "every session opened with this key (WEBHOOK_API_KEY for the one from the environment)")
    .option("--all", "every session")
    .action(async (id: string | undefined, o: { key?: string; all?: boolean }) => {
      const given = [id !== undefined, o.key !== undefined, !!o.all].filter(Boolean).length;
      if (given !== 1) throw new CliError("name exactly one of: a session id, --key NAME, --all", 2);
      const which = id !== undefined ? { id } : o.key !== undefined ? { keyName: o.key } : { all: true as const };
      const ended = await revokeSessions(await database(config(env), { create: false }), which);
      print(`${ended} ${ended === 1 ? "session" : "sessions"} ended.`);
    });

  program
    .command("backup <file>")
    .description("write a consistent copy of the database to <file> (safe while the server runs); restore by pointing DATABASE_PATH at it")
    .action(async (file: string) => {
      const cfg = config(env);
      const store = await database(cfg, { create: false });
      if (!store.backupTo) throw new CliError("this store is backed up by its own server's tools");
      try {
        const { bytes } = await store.backupTo(file);
        print(`Backed up ${cfg.databasePath} to ${file} (${bytes} bytes).`);
      } catch (error) {
        throw new CliError(`backup failed: ${(error as Error).message}`);
      }
    });

  program
    .command("copy-store")
    .description("copy the SQLite database (DATABASE_PATH) into PostgreSQL; resumable: run it again to go on or to bring over what changed since")
    .requiredOption("--to <url>", "the PostgreSQL database, postgres://user:password@host:5432/name (made empty, or holding this copy)")
    .action(async (o: { to: string }) => {
      const cfg = config(env);
      if (cfg.postgres) throw new CliError("copy-store reads the SQLite database at DATABASE_PATH: unset DATABASE_URL for it", 2);
      const target = loadConfig({ DATABASE_URL: o.to });
      if (!target.ok) throw new CliError(`--to must be a postgres:// URL, e.g. postgres://user:password@db.example.com:5432/link_tracker`, 2);
      if (!existsSync(cfg.databasePath)) throw new CliError(`database ${cfg.databasePath} does not exist (check DATABASE_PATH)`);
      if (!copyStore) throw new CliError("copy-store is not available here");
      const report = await copyStore(cfg, o.to, (line) => process.stderr.write(`${line}\n`)).catch((error: Error) => {
        throw new CliError(`copy-store: ${error.message}`);
      });
      print(table(["TABLE", "SQLITE", "POSTGRESQL"], report.map((r) => [r.table, r.source, r.target])));
      const short = report.filter((r) => r.target < r.source);
      if (short.length > 0) throw new CliError(`copy incomplete: ${short.map((r) => r.table).join(", ")} has fewer rows in PostgreSQL; run copy-store again`);
      print(`Copied ${cfg.databasePath} to ${redactUrl(o.to)}. Start link-tracker with DATABASE_URL set to it (and DATABASE_PATH unset).`);
    });

  program
    .command("locate")
    .description("give stored clicks that have an address but no country or network theirs (after an upgrade, or a database copied in)")
    .addOption(json)
    .action(async (o) => {
      const cfg = config(env);
      const store = await database(cfg, { create: false });
      const { looked, located } = await locateStored(store, cfg.locator, (n, m) => {
        if (!o.json) process.stderr.write(`${n} clicks looked at, ${m} located\r`);
      });
      if (!o.json && looked > 0) process.stderr.write("\n");
      if (o.json) print(JSON.stringify({ looked_at: looked, located }));
      else print(`Located ${located} of ${looked} clicks without a place; the others have private, reserved or unknown addresses.`);
    });

  program
    .command("import")
    .description("bring links (and with --with-clicks their clicks) from another tracker or a file: csv FILE, sink FILE (Sink's JSON export), link-tracker FILE (an export), shlink URL, kutt URL, seeds postgres://… (the job-application system's tables, read only)")
    .argument("<source>", "csv, sink, link-tracker, seeds, shlink or kutt")
    .argument("<from>", "the file, the seeds' database URL, or the Shlink or Kutt server's URL")
    .option("--key <key>", "shlink, kutt: the server's API key (or SHLINK_API_KEY, KUTT_API_KEY)")
    .option("--dry-run", "check everything and say what would be imported; write nothing")
    .option("--with-clicks", "the clicks too, where the source has them")
    .option("--application <id>", "every imported link in this application (its id, or the start of it)")
    .option("--map <column=field...>", "csv: which column holds which field, e.g. --map Destination=url (fields: url, tracking_id, link_function, link_type, company, role, description, created_at, job_id, application_id, short_code)")
    .option("--continue-on-error", "import the rows that can be, report the others (default: a row that cannot be imported stops the import before anything is written)")
    .addOption(json)
    .action(async (kind: string, from: string, o) => {
      let source: ImportSource;
      try {
        if (kind === "csv") source = csvSource(from, parseMap(o.map ?? []));
        else if (kind === "link-tracker") source = archiveSource(from);
        else if (kind === "sink") source = sinkSource(from);
        else if (kind === "shlink" || kind === "kutt") {
          const key = o.key ?? env[kind === "shlink" ? "SHLINK_API_KEY" : "KUTT_API_KEY"];
          if (!key) throw new CliError(`import ${kind} needs the API key: --key KEY (or ${kind === "shlink" ? "SHLINK_API_KEY" : "KUTT_API_KEY"} in the environment)`, 2);
          source = kind === "shlink" ? shlinkSource(from, key, !!o.withClicks) : kuttSource(from, key);
        }
        else if (kind === "seeds") {
          if (!/^postgres(ql)?:\/\//.test(from)) throw new CliError("import seeds takes the job-application system's database as postgres://user:password@host:5432/name", 2);
          if (!openSeeds) throw new CliError("import seeds is not available here");
          source = seedsSource(openSeeds(from, env.SEEDS_CA_CERT ?? null));
        } else throw new CliError(`import: unknown source "${kind}" (csv FILE, sink FILE, link-tracker FILE, seeds postgres://…, shlink URL or kutt URL)`, 2);
      } catch (error) {
        if (error instanceof CsvSettingError || error instanceof RemoteError) throw new CliError(error.message, 2);
        throw error;
      }
      const cfg = config(env);
      const store = await database(cfg, { create: true });
      const applicationId = o.application === undefined ? undefined : await applicationIdFrom(store, o.application);
      let report;
      try {
        report = await runImport(store, cfg, source, {
          dryRun: !!o.dryRun,
          withClicks: !!o.withClicks,
          applicationId,
          continueOnError: !!o.continueOnError,
          progress: o.json ? undefined : (line) => process.stderr.write(`${line}\n`),
        });
      } catch (error) {
        if (error instanceof CsvSettingError || error instanceof ArchiveError || error instanceof SeedsError || error instanceof SinkError || error instanceof RemoteError) throw new CliError(`import ${kind}: ${error.message}`);
        throw error;
      } finally {
        await source.close?.();
      }
      if (o.json) printJson(report);
      else print(reportLines(report).join("\n"));
      if (report.refused) throw new CliError(`import ${kind}: ${report.links.failed + report.clicks.failed} rows cannot be imported; nothing was written`);
    });

  program
    .command("export")
    .argument("[file]", "everything (links, applications, clicks, webhooks and key names without their secrets, settings) as one JSON file, for import link-tracker")
    .description("clicks as CSV on standard output (human only unless --include-bots); with FILE, everything as one JSON file")
    .option("--link <tracking_id>", "one link's clicks")
    .option("--job <uuid>", "one job's clicks")
    .option("--application <uuid>", "one application's clicks")
    .option("--from <iso>", "clicks from this time")
    .option("--to <iso>", "clicks up to this time")
    .option("--include-bots", "bots, previews and scanners too")
    .action(async (file: string | undefined, o) => {
      if (file !== undefined) {
        if (o.link || o.job || o.application || o.from || o.to || o.includeBots) throw new CliError("export FILE writes everything: --link, --job, --application, --from, --to and --include-bots are for the CSV on standard output", 2);
        const store = await database(config(env), { create: false });
        const bytes = await exportToFile(store, file);
        print(`Exported everything to ${file} (${(bytes / 1_000_000).toFixed(1)} MB). Read it back with "link-tracker import link-tracker ${file} --with-clicks".`);
        return;
      }
      const filter = {
        trackingId: o.link,
        jobId: o.job,
        applicationId: o.application,
        from: isoOption("--from", o.from),
        to: isoOption("--to", o.to),
        kinds: o.includeBots ? undefined : (["human"] as const).slice(),
      };
      const store = await database(config(env), { create: false });
      const out = Bun.stdout.writer();
      for await (const chunk of csvStream(store, filter)) {
        out.write(chunk);
        await out.flush();
      }
    });

  const webhooks = program.command("webhooks").description("webhook endpoints: create, list, deliveries, redeliver, delete");

  webhooks
    .command("create")
    .description("add an endpoint, or a channel that tells you in words (ntfy, Slack, Discord, Teams, Google Chat, Telegram); prints its id")
    .option("--url <url>", "where to POST events (http or https): a webhook, an ntfy topic URL, a Slack/Discord/Teams/Google Chat incoming webhook")
    .option("--format <format>", `${CHANNEL_FORMATS.join(", ")} (default standard-webhooks: signed JSON for a program)`)
    .option("--token <token>", "ntfy: an access token for a protected topic; telegram: the bot's token (never shown back)")
    .option("--chat-id <id>", "telegram: the chat the bot writes to")
    .option("--events <types>", `comma-separated: ${EVENT_TYPES.join(", ")} (default all)`)
    .option("--digest <hour>", "a person's channel: also a digest each day at this local hour (0-23)")
    .option("--time-zone <zone>", "the digest's time zone, e.g. Europe/Berlin (default UTC)")
    .option("--digest-only", "the digest instead of single events")
    .option("--description <text>", "what it is for")
    .addOption(json)
    .action(async (o) => {
      if (o.digest !== undefined && !/^\d{1,2}$/.test(o.digest)) throw new CliError("--digest must be an hour from 0 to 23", 2);
      const digest = o.digest !== undefined ? { hour: Number(o.digest), time_zone: o.timeZone ?? "UTC", ...(o.digestOnly ? { only: true } : {}) } : undefined;
      if (!digest && (o.timeZone || o.digestOnly)) throw new CliError("--time-zone and --digest-only go with --digest HOUR", 2);
      const parsed = CreateWebhook.safeParse({
        url: o.url, format: o.format, token: o.token, chat_id: o.chatId, event_types: o.events?.split(",").map((t: string) => t.trim()), description: o.description, digest,
      });
      if (!parsed.success) throw new CliError(parsed.error.issues.map((i) => i.message).join("; "), 2);
      const settings = config(env);
      const created = await createWebhook(await database(settings, { create: true }), parsed.data, settings.webhookAllowPrivate, settings.smtp !== null);
      if (o.json) return printJson(created);
      if (created.format !== "standard-webhooks") return print(created.id);
      print(`${created.id}\n${created.secret}`);
      process.stderr.write("The secret is shown only this once: the receiver verifies signatures with it.\n");
    });

  webhooks
    .command("test <id>")
    .description("send a test message (or a signed webhook.test event) now; exit 1 when it did not arrive")
    .action(async (id: string) => {
      const settings = config(env);
      const mailer = settings.smtp ? createMailer(settings.smtp) : null;
      const result = await testWebhook(await database(settings, { create: false }), id, settings.publicBaseUrl, { allowPrivate: settings.webhookAllowPrivate, mailer });
      if (result.delivered) return print(`Delivered (${result.status_code}).`);
      throw new CliError(`Not delivered: ${result.error}`, 1);
    });

  webhooks
    .command("resume <id>")
    .description("resume a channel that was paused after failing (and switch it on)")
    .action(async (id: string) => {
      await patchWebhook(await database(config(env), { create: false }), id, { active: true }, config(env).webhookAllowPrivate);
      print(`Webhook ${id} is on.`);
    });

  webhooks
    .command("list")
    .description("endpoints (never their secrets)")
    .addOption(json)
    .action(async (o) => {
      const rows = await listWebhooks(await database(config(env), { create: false }));
      if (o.json) return printJson(rows);
      if (rows.length === 0) return print("No webhooks. Add one with: link-tracker webhooks create --url URL");
      const state = (w: (typeof rows)[number]) => (w.paused ? `paused: ${w.paused.reason}` : w.active ? "on" : "off");
      print(table(["ID", "FORMAT", "STATE", "EVENTS", "URL"], rows.map((w) => [w.id, w.format, state(w), w.event_types.join(","), w.url])));
    });

  webhooks
    .command("deliveries <id>")
    .description("the last 50 deliveries of an endpoint")
    .addOption(json)
    .action(async (id: string, o) => {
      const rows = await deliveryLog(await database(config(env), { create: false }), id);
      if (o.json) return printJson(rows);
      if (rows.length === 0) return print("No deliveries yet.");
      print(
        table(
          ["DELIVERY", "EVENT", "TYPE", "STATUS", "ATTEMPTS", "LAST CODE", "NEXT TRY", "LAST ERROR"],
          rows.map((d) => [d.delivery_id, d.event_id, d.type, d.status, d.attempts, d.last_status_code, d.next_attempt_at, d.last_error]),
        ),
      );
    });

  webhooks
    .command("redeliver <id> <delivery>")
    .description("send a delivery again")
    .action(async (id: string, delivery: string) => {
      if (!/^\d+$/.test(delivery)) throw new CliError("<delivery> must be a delivery number (see webhooks deliveries)", 2);
      await redeliver(await database(config(env), { create: false }), id, Number(delivery));
      print(`Delivery ${delivery} will be sent again.`);
    });

  webhooks
    .command("delete <id>")
    .description("remove an endpoint")
    .action(async (id: string) => {
      await removeWebhook(await database(config(env), { create: false }), id);
      print(`Webhook ${id} removed.`);
    });

  program
    .command("outbox")
    .description("edge mode: clicks waiting to be shipped, and the ones the upstream rejected")
    .command("status")
    .description("pending clicks, the oldest, and dead letters with their reasons")
    .addOption(json)
    .action(async (o) => {
      const status = await (await database(config(env), { create: false })).outbox.status();
      if (o.json) return printJson(status);
      print(`pending: ${status.pending}${status.oldest_pending ? ` (oldest ${status.oldest_pending})` : ""}`);
      print(`dead letters: ${status.dead_letters}`);
      if (status.recent_dead_letters.length > 0) {
        print(table(["EVENT_ID", "FAILED_AT", "REASON"], status.recent_dead_letters.map((d) => [d.event_id, d.failed_at, d.reason])));
      }
    });

  program
    .command("mcp")
    .description("serve the Model Context Protocol on stdin/stdout, for an assistant that starts a command (Claude Desktop, VS Code, Cursor)")
    .option("--read-only", "only the tools that read (as a read key over HTTP); without it, the changes too, as every command here may")
    .action(async (o: { readOnly?: boolean }) => {
      const cfg = config(env);
      const store = await database(cfg, { create: false });
      // Loaded here: every other command (and the server) starts without the SDK.
      const [{ mcpServer }, { StdioServerTransport }] = await Promise.all([import("../modules/mcp/server"), import("@modelcontextprotocol/sdk/server/stdio.js")]);
      // stdout carries the protocol: anything logged goes to stderr.
      const server = mcpServer({ store, config: cfg, log: createLogger(cfg.logLevel, pino.destination({ fd: 2, sync: true })) }, o.readOnly ? "read" : "admin");
      const ended = new Promise<void>((resolve) => {
        process.stdin.once("end", resolve);
        server.onclose = resolve;
      });
      await server.connect(new StdioServerTransport());
      await ended;
      await server.close();
    });

  return program;
}

/** Runs the command line; resolves with the exit code (serve keeps the process alive instead). */
/** The version, then one line per embedded data file: what it is and its date. */
function versionText(): string {
  const names = { country: "country data: DB-IP IP to Country Lite", network: "network data: RouteViews, NRO and DB-IP IP to ASN Lite", city: "city data" };
  return [VERSION, ...embeddedSources().map((s) => `${names[s.kind]}, ${s.date} (CC BY 4.0)`)].join("\n");
}

export async function runCli(argv: string[], env: Env, serve: () => void, openStore: OpenStore, copyStore?: CopyStore, openSeeds?: OpenSeeds): Promise<number> {
  const opened: Store[] = [];
  // The data's dates only when asked: reading them reads the data.
  const asked = argv.includes("--version") || argv.includes("-v");
  const program = buildProgram(env, serve, openStore, opened, copyStore, asked ? versionText() : VERSION, openSeeds);
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    await program.parseAsync(argv.length === 0 ? ["serve"] : argv, { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, successfully.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof CliError) {
      process.stderr.write(`link-tracker: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof AppError) {
      process.stderr.write(`link-tracker: ${error.message}${error.details.tracking_id ? `: ${error.details.tracking_id}` : ""}\n`);
      return error instanceof ValidationFailed ? 2 : 1;
    }
    process.stderr.write(`link-tracker: ${(error as Error).message ?? String(error)}\n`);
    return 1;
  } finally {
    for (const store of opened) await store.close().catch(() => {});
  }
}
