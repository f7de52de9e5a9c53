/**
 * E-mail through the operator's relay (SMTP_URL): smtp:// upgrades with STARTTLS and
 * refuses to go on without it, smtps:// is TLS from the first byte; the certificate is
 * verified (SMTP_CA_CERT for a private CA). nodemailer is loaded at the first message, so
 * a server that sends none never loads it. The password is never part of an error.
 */
import type { Sent } from "./delivery";

export type SmtpSettings = { url: string; from: string; caCert: string | null };

export type Mailer = { send(to: string, subject: string, text: string): Promise<Sent> };

export function createMailer(settings: SmtpSettings, timeoutMs = 10_000): Mailer {
  let transport: Promise<{ sendMail(message: object): Promise<{ response?: string }> }> | null = null;
  const open = () =>
    (transport ??= import("nodemailer").then(({ default: nodemailer }) => {
      const url = new URL(settings.url);
      const secure = url.protocol === "smtps:";
      return nodemailer.createTransport({
        host: url.hostname.replace(/^\[|\]$/g, ""),
        port: Number(url.port) || (secure ? 465 : 587),
        secure,
        requireTLS: !secure,
        auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
        tls: settings.caCert ? { ca: settings.caCert } : undefined,
        connectionTimeout: timeoutMs,
        greetingTimeout: timeoutMs,
        socketTimeout: timeoutMs,
      });
    }));
  return {
    async send(to, subject, text) {
      try {
        const info = await (await open()).sendMail({ from: settings.from, to, subject, text });
        return { ok: true, status: 250, body: info.response ?? "" };
      } catch (error) {
        const e = error as { code?: string; responseCode?: number; message?: string };
        // An answer of the relay (a refused recipient, a bad login) is the relay's words; no answer is a code.
        return { ok: false, error: e.responseCode ? `the mail relay answered ${e.responseCode}` : `the mail relay: ${e.code ?? "unreachable"}` };
      }
    },
  };
}
