/**
 * E-mail channels through the operator's relay (SMTP_URL): an SMTP receiver on 127.0.0.1
 * (smtp-server, with a certificate made for the test) gets the message over STARTTLS,
 * signed in, with a subject naming the application; an untrusted certificate stops it; no
 * relay, no e-mail channel.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SMTPServer } from "smtp-server";
import { createMailer } from "../../../src/lib/mail";
import { silentLogger } from "../../../src/lib/log";
import { startDelivery } from "../../../src/modules/webhooks/service";
import { call, setup } from "../../utils";

const APP = "f1f1f1f1-0000-4000-8000-0000000000f1";
const BASE = "https://steve-glen.com";

/** A certificate for 127.0.0.1, made now (scripts/ensure-openssl.sh installs openssl; .ci/run calls it). */
function certificate(): { key: string; cert: string } | null {
  const dir = mkdtempSync(join(tmpdir(), "lt-smtp-"));
  const made = Bun.spawnSync(
    ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", `${dir}/key.pem`, "-out", `${dir}/cert.pem`],
    { stdout: "ignore", stderr: "ignore" },
  );
  return made.exitCode === 0 ? { key: readFileSync(`${dir}/key.pem`, "utf8"), cert: readFileSync(`${dir}/cert.pem`, "utf8") } : null;
}

const tls = certificate();
if (!tls) console.warn("e-mail tests SKIPPED: openssl is missing (scripts/ensure-openssl.sh installs it)");

type Mail = { secure: boolean; user: string | undefined; to: string[]; raw: string };
const mails: Mail[] = [];
let port = 0;
const relay = tls
  ? new SMTPServer({
      key: tls.key,
      cert: tls.cert,
      logger: false,
      onAuth(auth, _session, callback) {
        if (auth.username === "lt" && auth.password === "s3cret") callback(null, { user: auth.username });
        else callback(new Error("Invalid username or password"));
      },
      onData(stream, session, callback) {
        let raw = "";
        stream.on("data", (chunk: Buffer) => (raw += chunk.toString("utf8")));
        stream.on("end", () => {
          mails.push({ secure: session.secure, user: session.user as string | undefined, to: session.envelope.rcptTo.map((r) => r.address), raw });
          callback();
        });
      },
    })
  : null;
if (relay) await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", () => resolve()));
port = (relay?.server.address() as { port: number } | null)?.port ?? 0;
afterAll(() => relay?.close());

/** A header's text, its RFC 2047 encoded words decoded and its folded lines joined. */
function header(raw: string, name: string): string {
  const head = raw.split("\r\n\r\n")[0]!.replace(/\r\n[ \t]+/g, " ");
  const line = head.split("\r\n").find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`)) ?? "";
  return line
    .slice(name.length + 1)
    .trim()
    .replace(/\?=\s+=\?/g, "?==?")
    .replace(/=\?UTF-8\?([QB])\?([^?]*)\?=/gi, (_m, kind: string, text: string) =>
      kind.toUpperCase() === "B" ? Buffer.from(text, "base64").toString("utf8") : Buffer.from(text.replace(/_/g, " ").replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), "latin1").toString("utf8"),
    );
}

/** The text of a quoted-printable body. */
const body = (raw: string) =>
  Buffer.from(raw.split("\r\n\r\n").slice(1).join("\r\n\r\n").replace(/=\r\n/g, "").replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), "latin1").toString("utf8");

const smtp = (caCert: string | null) => ({ url: `smtp://lt:s3cret@127.0.0.1:${port}`, from: "link-tracker <alerts@steve-glen.com>", caCert });

describe.skipIf(!tls)("e-mail channels", () => {
  test("a first human click arrives by e-mail over STARTTLS, signed in, the subject naming the application; a test too", async () => {
    const ctx = setup({ trustProxy: true, signalHoldSeconds: 0, publicBaseUrl: BASE, smtp: smtp(tls!.cert) });
    await call(ctx.app, "/api/link-tracking/links/bulk", {
      json: { application: { application_id: APP, company: "Acme", role: "Senior Engineer" }, links: [{ tracking_id: "mail-LinkedIn", link_function: "LinkedIn", original_url: "https://linkedin.com/in/steve" }] },
    });
    const made = await call(ctx.app, "/api/link-tracking/webhooks", { json: { format: "email", url: "mailto:steve@example.com" } });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ format: "email", url: "mailto:steve@example.com" });
    const delivery = startDelivery(ctx.store, silentLogger(), { everyMs: 60_000, publicBaseUrl: BASE, mailer: createMailer(ctx.config.smtp!) });
    try {
      mails.length = 0;
      await ctx.app.handle(new Request("http://localhost/linkedin?uuid=mail-LinkedIn", { headers: { "user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "accept-language": "en", "x-forwarded-for": "198.51.100.20" } }));
      for (let i = 0; i < 5 && mails.length === 0; i++) await delivery.tick();
      expect(mails).toHaveLength(1);
      const [mail] = mails;
      expect(mail).toMatchObject({ secure: true, user: "lt", to: ["steve@example.com"] });
      expect(header(mail!.raw, "Subject")).toBe("Acme — Senior Engineer: your LinkedIn link was opened for the first time");
      expect(header(mail!.raw, "From")).toBe(`"link-tracker" <alerts@steve-glen.com>`);
      expect(body(mail!.raw)).toBe(`Your LinkedIn link was opened for the first time, just now (Firefox on Linux).\r\n\r\n${BASE}/dashboard/#/applications/${APP}\r\n\r\n— link-tracker\r\n`);
      expect(mail!.raw).not.toContain("198.51.100.20");
      const tried = await call(ctx.app, `/api/link-tracking/webhooks/${made.body.id}/test`, { method: "POST" });
      expect(tried.body).toEqual({ delivered: true, status_code: 250, error: null });
      expect(header(mails[1]!.raw, "Subject")).toBe("link-tracker: this is a test: when a recruiter opens one of your links");
    } finally {
      delivery.stop();
    }
  });

  test("a relay whose certificate is not trusted gets nothing; without SMTP_URL there is no e-mail channel; a bad address is refused", async () => {
    const untrusted = setup({ smtp: smtp(null) });
    const made = await call(untrusted.app, "/api/link-tracking/webhooks", { json: { format: "email", url: "mailto:steve@example.com" } });
    mails.length = 0;
    const tried = await call(untrusted.app, `/api/link-tracking/webhooks/${made.body.id}/test`, { method: "POST" });
    expect(tried.body).toMatchObject({ delivered: false, status_code: null, error: expect.stringContaining("the mail relay") });
    expect(JSON.stringify(tried.body)).not.toContain("s3cret");
    expect(mails).toEqual([]);

    const none = setup();
    const refused = await call(none.app, "/api/link-tracking/webhooks", { json: { format: "email", url: "mailto:steve@example.com" } });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe("an email channel needs the server's mail relay: set SMTP_URL (and SMTP_FROM) first");
    for (const url of ["mailto:not-an-address", "https://example.com/", "mailto:a@b.com,c@d.com"]) {
      const bad = await call(untrusted.app, "/api/link-tracking/webhooks", { json: { format: "email", url } });
      expect(`${url} ${bad.status}`).toBe(`${url} 400`);
      expect(JSON.stringify(bad.body)).toContain("url must be mailto:you@example.com for an email channel");
    }
  });
});
