/**
 * Webhook endpoints, their deliveries, and the polling feed. Deliveries are signed the
 * Standard Webhooks way: webhook-id, webhook-timestamp and webhook-signature
 * ("v1," + base64 HMAC-SHA256 of "id.timestamp.body" keyed with the secret's bytes).
 */
import { createHmac } from "node:crypto";
import type { Application, ChannelFormat, Endpoint, Link, Signal, Store } from "../../db/store";
import { backoffMs, type Sent } from "../../lib/delivery";
import { send, type Answer } from "../../lib/outbound";
import { NotFound, ValidationFailed } from "../../lib/errors";
import { failureLog, type Logger } from "../../lib/log";
import { nowIso } from "../../lib/time";
import { localDay, offsetMs } from "../../lib/zone";
import { fromCompanyNetwork } from "../clicks/company";
import { nameOf } from "../applications/service";
import type { Mailer } from "../../lib/mail";
import { channelRequest, mailOf, messageOf, oneLine, type Message } from "./channels";
import { EVENT_TYPES, TELEGRAM_API, urlProblem, type SignalPayload } from "./model";
import { checkTargetUrl, PRIVATE_TARGET_HINT } from "./target";

/** A delivery is tried for a day, then marked failed. */
const GIVE_UP_MS = 24 * 3600_000;

export type DeliveryOptions = {
  everyMs?: number;
  timeoutMs?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** WEBHOOK_ALLOW_PRIVATE: deliver to loopback, private and link-local addresses too. */
  allowPrivate?: boolean;
  /** PUBLIC_BASE_URL: where a person's message links to (the dashboard). */
  publicBaseUrl?: string;
  /** What time it is, for the digests (tests set the clock). */
  clock?: () => number;
  /** E-mail channels' relay (SMTP_URL); without one they fail with the reason. */
  mailer?: Mailer | null;
};

const newSecret = () => `whsec_${Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString("base64")}`;

export function sign(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  return `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64")}`;
}

/** An endpoint as the API shows it: never its secret (but once, at creation) nor its token. */
const view = (e: Endpoint) => ({
  id: e.id,
  url: e.url,
  format: e.format,
  has_token: e.token !== null,
  chat_id: e.chatId,
  event_types: e.eventTypes,
  description: e.description,
  active: e.active,
  paused: e.pausedAt ? { at: e.pausedAt, reason: e.pausedReason ?? "" } : null,
  failures: e.failures,
  digest: e.digestHour !== null && e.timeZone ? { hour: e.digestHour, time_zone: e.timeZone, only: e.digestOnly } : null,
  created_at: e.createdAt,
});

type DigestSetting = { hour: number; time_zone: string; only?: boolean };

/** A digest's fields: a new one starts from now (its first is the next time its hour comes). */
async function digestFields(store: Store, digest: DigestSetting | null, now = Date.now()) {
  if (!digest) return { digestHour: null, timeZone: null, digestOnly: false };
  const passed = localHour(digest.time_zone, now) >= digest.hour;
  return {
    digestHour: digest.hour,
    timeZone: digest.time_zone,
    digestOnly: digest.only ?? false,
    digestSeq: await store.signals.maxSeq(),
    digestDay: passed ? localDay(digest.time_zone, now) : null,
  };
}

/** A channel's url as stored: an http(s) URL normalised, or mailto: as given (the model checked both). */
const channelUrl = (format: ChannelFormat, url: string) => (format === "email" ? url : new URL(url).href);

export type NewWebhook = { url?: string; format?: ChannelFormat; token?: string; chat_id?: string; event_types?: string[]; description?: string; digest?: DigestSetting };

export async function createWebhook(store: Store, input: NewWebhook, allowPrivate: boolean, canMail = false) {
  const format = input.format ?? "standard-webhooks";
  if (format === "email" && !canMail) {
    const message = "an email channel needs the server's mail relay: set SMTP_URL (and SMTP_FROM) first";
    throw new ValidationFailed(message, { validation_errors: [message] });
  }
  const url = channelUrl(format, input.url ?? TELEGRAM_API);
  if (format !== "email") checkTargetUrl(url, allowPrivate);
  const row = await store.webhooks.insert({
    id: `wh_${Bun.randomUUIDv7().replaceAll("-", "").slice(-20)}`,
    url,
    secret: newSecret(),
    eventTypes: input.event_types ?? [...EVENT_TYPES],
    description: input.description ?? null,
    createdAt: nowIso(),
    // What happens from now on, not what happened before.
    scannedSeq: await store.signals.maxSeq(),
    active: true,
    format,
    token: input.token ?? null,
    chatId: input.chat_id ?? null,
    failures: 0,
    pausedAt: null,
    pausedReason: null,
    digestSeq: 0,
    digestDay: null,
    ...(await digestFields(store, input.digest ?? null)),
  });
  // The secret signs standard-webhooks deliveries; a person's channel has no use for it.
  return { ...view(row), secret: row.secret };
}

export const listWebhooks = async (store: Store) => (await store.webhooks.list()).map(view);

async function endpoint(store: Store, id: string): Promise<Endpoint> {
  const row = await store.webhooks.find(id);
  if (!row) throw new NotFound("Webhook not found", { webhook_id: id });
  return row;
}

export type WebhookPatch = { url?: string; token?: string | null; chat_id?: string; event_types?: string[]; description?: string | null; active?: boolean; digest?: DigestSetting | null };

export async function patchWebhook(store: Store, id: string, patch: WebhookPatch, allowPrivate: boolean) {
  const current = await endpoint(store, id);
  const refuse = (message: string): never => {
    throw new ValidationFailed(message, { validation_errors: [message] });
  };
  const wrongUrl = patch.url === undefined ? null : urlProblem(current.format, patch.url);
  if (wrongUrl) refuse(wrongUrl);
  if (patch.url !== undefined && current.format !== "email") checkTargetUrl(patch.url, allowPrivate);
  if (patch.chat_id !== undefined && current.format !== "telegram") refuse("chat_id is for a telegram channel only");
  if (patch.token !== undefined && current.format !== "telegram" && current.format !== "ntfy") refuse("token is for an ntfy or a telegram channel only");
  if (patch.token === null && current.format === "telegram") refuse("token: a telegram channel needs the bot's token");
  if (patch.digest && current.format === "standard-webhooks") refuse("digest is for a person's channel (ntfy, slack, discord, teams, google-chat, telegram, email)");
  // From the digest alone back to single events: from now on, not the days it did not hear.
  const backToEvents = current.digestOnly && patch.digest !== undefined && !patch.digest?.only;
  return view(
    (await store.webhooks.update(id, {
      ...(patch.url !== undefined ? { url: channelUrl(current.format, patch.url) } : {}),
      ...(patch.token !== undefined ? { token: patch.token } : {}),
      ...(patch.chat_id !== undefined ? { chatId: patch.chat_id } : {}),
      ...(patch.event_types !== undefined ? { eventTypes: patch.event_types } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      ...(patch.active !== undefined ? { active: patch.active } : {}),
      // Switched on again: a paused channel resumes, its waiting deliveries with it.
      ...(patch.active === true ? { pausedAt: null, pausedReason: null, failures: 0 } : {}),
      ...(patch.digest !== undefined ? await digestFields(store, patch.digest) : {}),
      ...(backToEvents ? { scannedSeq: await store.signals.maxSeq() } : {}),
    }))!,
  );
}

export async function removeWebhook(store: Store, id: string) {
  if (!(await store.webhooks.delete(id))) throw new NotFound("Webhook not found", { webhook_id: id });
  return { id, deleted: true as const };
}

export async function deliveryLog(store: Store, id: string) {
  await endpoint(store, id);
  return (await store.webhooks.deliveriesOf(id, 50)).map(({ delivery: d, eventId, type }) => ({
    delivery_id: d.seq,
    event_id: eventId,
    type,
    status: d.status,
    attempts: d.attempts,
    last_status_code: d.lastStatus,
    last_error: d.lastError,
    last_attempt_at: d.lastAttemptAt,
    next_attempt_at: d.status === "pending" ? d.nextAttemptAt : null,
    delivered_at: d.deliveredAt,
  }));
}

export async function redeliver(store: Store, id: string, deliveryId: number) {
  await endpoint(store, id);
  if (!(await store.webhooks.findDelivery(id, deliveryId))) throw new NotFound("Delivery not found", { delivery_id: deliveryId });
  await store.webhooks.recordAttempt(deliveryId, { status: "pending", attempts: 0, firstAttemptAt: null, nextAttemptAt: nowIso(), lastError: null });
  return { delivery_id: deliveryId, status: "pending" as const };
}

/** A receiver's answer as delivery judges it: its status and Retry-After, or why none came. */
function answerOf(answer: Answer): Sent {
  if (!answer.ok) return { ok: false, error: answer.error };
  const seconds = Number(answer.headers["retry-after"]);
  return { ok: true, status: answer.status, body: answer.body, retryAfterMs: Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined };
}

/** What events are sent with, read once for a page of them. */
type Context = {
  /** An application's name as it is now. */
  named: (id: string) => Application | undefined;
  /** The link an orphan hit probably meant, as it is now (gone when it was deleted). */
  meant: (trackingId: string) => Link | undefined;
};

/**
 * An event as it is sent: the stored payload (made by signals.ts's rule in the
 * SignalPayload shape) with its application's name as it is now, so that a label given
 * after the click still reaches the receiver, and for an orphan hit the link it probably
 * meant, named, so that "probably Acme: LinkedIn" needs no second request.
 */
function asSent(payload: unknown, { named, meant }: Context): SignalPayload {
  const event = payload as SignalPayload;
  const application = (id: string) => ({ application_id: id, ...nameOf(id, named(id)) });
  if (event.type === "link.orphan_hit") {
    const link = meant(event.data.probably);
    const probably_link = link
      ? { tracking_id: link.trackingId, link_function: link.linkFunction, redirect_url: link.redirectUrl, application_id: link.applicationId, application_label: link.applicationId ? application(link.applicationId).label : null }
      : null;
    return { ...event, data: { ...event.data, probably_link } };
  }
  const id = event.data.application_id;
  if (!id) return event;
  const { label, company, role } = application(id);
  const about = { application_id: id, label, company, role };
  if (event.type === "link.destination_down" || event.type === "link.destination_up" || event.type === "click.assistant") return { ...event, data: { ...event.data, application: about } } as SignalPayload;
  // A person's click from the company's own network, by the company's name as it is now.
  const click = { ...event.data.click, company_network: fromCompanyNetwork(company, { asn: event.data.click.asn ?? null, network: event.data.click.network ?? null }) };
  return { ...event, data: { ...event.data, click, application: about } } as SignalPayload;
}

/** The applications and probable links some events are about, each read once. */
async function contextFor(store: Store, payloads: unknown[]): Promise<Context> {
  const events = payloads as SignalPayload[];
  const links = new Map<string, Link>();
  // Orphan hits are few (one event per orphan id), and a link is read from the redirect's cache.
  for (const id of new Set(events.flatMap((e) => (e.type === "link.orphan_hit" ? [e.data.probably] : [])))) {
    const link = await store.links.findCached(id, Date.now());
    if (link) links.set(id, link);
  }
  const ids = new Set<string>();
  for (const e of events) if (e.type !== "link.orphan_hit" && e.data.application_id) ids.add(e.data.application_id);
  for (const l of links.values()) if (l.applicationId) ids.add(l.applicationId);
  const byId = ids.size === 0 ? new Map<string, Application>() : new Map((await store.applications.list([...ids])).map((a) => [a.applicationId, a]));
  return { named: (id) => byId.get(id), meant: (id) => links.get(id) };
}

export async function feed(store: Store, after: number, limit: number) {
  const events = await store.signals.due(after, nowIso(), limit);
  // One read of the page's applications, not one per event (a page holds up to 1,000).
  const context = await contextFor(store, events.map((e) => e.payload));
  return { events: events.map((e) => asSent(e.payload, context)), next_cursor: String(events.at(-1)?.seq ?? after) };
}

/** A channel is paused after this many failed deliveries in a row (hours of retries), or after a few refusals. */
const PAUSE_AFTER = 10;
const REFUSALS_BEFORE_PAUSE = 3;

/** Why a channel that just failed again is paused, or null while it is not (yet). */
function pauseReason(failures: number, sent: Sent, error: string): string | null {
  const refused = sent.ok && sent.status >= 400 && sent.status < 500 && sent.status !== 408 && sent.status !== 429;
  if (refused && failures >= REFUSALS_BEFORE_PAUSE) return `paused: the receiver answered ${sent.status} ${failures} times in a row (a deleted webhook, a wrong topic or token?); resume it once it is fixed`;
  if (failures >= PAUSE_AFTER) return `paused after ${failures} failed deliveries in a row (last: ${error}); resume it once the receiver is back`;
  return null;
}

/** An HTTP request (a webhook, a chat service, ntfy), or an e-mail. */
type Outgoing = { url: string; headers: Record<string, string>; body: string } | { mail: { to: string; subject: string; text: string } };

/** The message for a person's channel, in its shape. */
function toPerson(target: Endpoint, m: Message): Outgoing {
  return target.format === "email" ? { mail: { to: target.url.replace(/^mailto:/i, ""), ...mailOf(m) } } : channelRequest(target, m);
}

/**
 * What a delivery sends: the signed event to a program, the message in words to a
 * person's channel. Null: nothing to send (a link's first click that its application's
 * first click, the same click, already tells a person).
 */
async function outgoing(store: Store, target: Endpoint, event: Signal, payload: SignalPayload, base: string): Promise<Outgoing | null> {
  if (target.format === "standard-webhooks") {
    const body = JSON.stringify(payload);
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = { "content-type": "application/json", "webhook-id": event.eventId, "webhook-timestamp": String(timestamp), "webhook-signature": sign(target.secret, event.eventId, timestamp, body) };
    return { url: target.url, headers, body };
  }
  if (payload.type === "click.first_human" && payload.data.scope === "link" && payload.data.application_id) {
    const same = await store.signals.ofClick(event.clickId);
    if (same.some((s) => s.type === "click.first_human" && s.subject.startsWith("application:") && !s.cancelledAt)) return null;
  }
  return toPerson(target, messageOf(payload, base));
}

/** How deliveries go out: HTTP to addresses checked first (lib/outbound.ts), e-mail through SMTP_URL's relay. */
export type Senders = { timeoutMs: number; allowPrivate: boolean; mailer?: Mailer | null };

async function post(request: Outgoing, { timeoutMs, allowPrivate, mailer }: Senders): Promise<Sent> {
  if ("mail" in request) {
    if (!mailer) return { ok: false, error: "SMTP_URL is not set: e-mail cannot be sent" };
    return mailer.send(request.mail.to, request.mail.subject, request.mail.text);
  }
  return answerOf(await send(request.url, { method: "POST", headers: request.headers, body: request.body, timeoutMs, allowPrivate, hint: PRIVATE_TARGET_HINT }));
}

/** "Send a test": a message (or, to a program, a signed `webhook.test` event) now, and what came back. */
export async function testWebhook(store: Store, id: string, base: string, senders: Omit<Senders, "timeoutMs">) {
  const target = await endpoint(store, id);
  const eventId = `evt_test_${Bun.randomUUIDv7().replaceAll("-", "").slice(-16)}`;
  let request: Outgoing;
  if (target.format === "standard-webhooks") {
    const body = JSON.stringify({ id: eventId, type: "webhook.test", created_at: nowIso(), data: {} });
    const timestamp = Math.floor(Date.now() / 1000);
    request = { url: target.url, body, headers: { "content-type": "application/json", "webhook-id": eventId, "webhook-timestamp": String(timestamp), "webhook-signature": sign(target.secret, eventId, timestamp, body) } };
  } else {
    request = toPerson(target, { title: "link-tracker", text: "this is a test: when a recruiter opens one of your links, you are told here.", url: `${base}/dashboard/`, urgent: false, tags: ["wave"] });
  }
  const sent = await post(request, { timeoutMs: 5000, ...senders });
  const delivered = sent.ok && sent.status >= 200 && sent.status < 300;
  return { delivered, status_code: sent.ok ? sent.status : null, error: delivered ? null : sent.ok ? `answered ${sent.status}` : sent.error };
}

const localHour = (tz: string, ms: number) => new Date(ms + offsetMs(tz, ms)).getUTCHours();

/** Lines a digest lists before "and N more". */
const DIGEST_LINES = 20;
/** A digest that could not be sent is tried again this much later. */
const DIGEST_RETRY_MS = 60_000;

/** The events worth a person's line: the types the channel hears, a first click told once for its link and its application. */
function worthTelling(events: Signal[], types: string[]): Signal[] {
  const heard = events.filter((e) => types.includes(e.type));
  const appFirst = new Set(heard.filter((e) => e.type === "click.first_human" && e.subject.startsWith("application:")).map((e) => e.clickId));
  return heard.filter((e) => !(e.type === "click.first_human" && e.subject.startsWith("link:") && appFirst.has(e.clickId)));
}

/** The digest of some events as one message. */
export function digestMessage(payloads: SignalPayload[], base: string, now: number): Message {
  const lines = payloads.slice(0, DIGEST_LINES).map((p) => {
    const line = oneLine(messageOf(p, base, now));
    return `• ${line.charAt(0).toUpperCase()}${line.slice(1)}`;
  });
  if (payloads.length > DIGEST_LINES) lines.push(`…and ${payloads.length - DIGEST_LINES} more on the dashboard.`);
  return {
    title: `Since the last digest: ${payloads.length === 1 ? "1 thing" : `${payloads.length} things`}`,
    text: lines.join("\n"),
    url: `${base}/dashboard/`,
    urgent: false,
    tags: ["sunrise"],
  };
}

/**
 * Each digest channel's message of the day, once its local hour has come: what happened
 * since the last, or nothing when nothing did. The day is claimed first (one instance
 * sends it); a digest that fails is tried again a minute later.
 */
async function sendDigests(store: Store, endpoints: Map<string, Endpoint>, options: { now: number; base: string; senders: Senders; retried: Map<string, number>; log: Logger }) {
  const { now, retried } = options;
  for (const e of endpoints.values()) {
    if (e.digestHour === null || !e.timeZone || !e.active || e.pausedAt || e.format === "standard-webhooks") continue;
    const day = localDay(e.timeZone, now);
    if (localHour(e.timeZone, now) < e.digestHour || (e.digestDay !== null && e.digestDay >= day)) continue;
    if (now - (retried.get(e.id) ?? Number.NEGATIVE_INFINITY) < DIGEST_RETRY_MS) continue;
    if (!(await store.webhooks.claimDigest(e.id, day))) continue;
    const events = await store.signals.due(e.digestSeq, new Date(now).toISOString(), 500);
    const told = worthTelling(events, e.eventTypes);
    const last = events.at(-1)?.seq ?? e.digestSeq;
    if (told.length === 0) {
      await store.webhooks.update(e.id, { digestSeq: last });
      continue;
    }
    const context = await contextFor(store, told.map((t) => t.payload));
    const request = toPerson(e, digestMessage(told.map((t) => asSent(t.payload, context)), options.base, now));
    const sent = await post(request, options.senders);
    if (sent.ok && sent.status >= 200 && sent.status < 300) {
      retried.delete(e.id);
      await store.webhooks.update(e.id, { digestSeq: last });
      continue;
    }
    // Not sent: the day is given back, and tried again in a minute.
    retried.set(e.id, now);
    await store.webhooks.update(e.id, { digestDay: e.digestDay });
    options.log.warn({ webhook: e.id, format: e.format, error: sent.ok ? `answered ${sent.status}` : sent.error }, "a digest could not be sent; trying again in a minute");
  }
}

/**
 * Delivers due events to the active endpoints, one at a time: signed events to programs,
 * messages to people's channels. Runs every `everyMs`; the redirect never waits on it. A
 * channel that keeps failing is paused with the reason. Returns a function that stops it.
 */
export function startDelivery(store: Store, log: Logger, options: DeliveryOptions = {}): { stop: () => void; tick: () => Promise<void> } {
  const { everyMs = 1000, timeoutMs = 5000, baseDelayMs = 5000, maxDelayMs = 3600_000, allowPrivate = false, publicBaseUrl = "http://localhost:5001", clock = () => Date.now(), mailer = null } = options;
  const senders: Senders = { timeoutMs, allowPrivate, mailer };
  let running = false;
  const retried = new Map<string, number>();
  const rounds = failureLog(log, "webhook delivery round");
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const now = nowIso();
      const endpoints = new Map((await store.webhooks.list()).map((e) => [e.id, e]));
      // A digest-only channel gets no single events.
      for (const e of endpoints.values()) if (e.active && !e.pausedAt && !e.digestOnly) await store.webhooks.schedule(e, now);
      await sendDigests(store, endpoints, { now: clock(), base: publicBaseUrl, senders, retried, log });
      for (const d of await store.webhooks.dueDeliveries(now, 100)) {
        const target = endpoints.get(d.endpointId);
        const event = await store.signals.bySeq(d.eventSeq);
        if (!target || !target.active || target.pausedAt || !event) continue;
        const payload = asSent(event.payload, await contextFor(store, [event.payload]));
        const request = await outgoing(store, target, event, payload, publicBaseUrl);
        const at = nowIso();
        const first = d.firstAttemptAt ?? at;
        if (!request) {
          await store.webhooks.recordAttempt(d.seq, { status: "delivered", firstAttemptAt: first, lastAttemptAt: at, deliveredAt: at, lastError: null });
          continue;
        }
        const sent = await post(request, senders);
        const attempts = d.attempts + 1;
        if (sent.ok && sent.status >= 200 && sent.status < 300) {
          await store.webhooks.recordAttempt(d.seq, { status: "delivered", attempts, firstAttemptAt: first, lastAttemptAt: at, lastStatus: sent.status, lastError: null, deliveredAt: at });
          if (target.failures > 0) endpoints.set(target.id, (await store.webhooks.update(target.id, { failures: 0 })) ?? target);
          continue;
        }
        // No answer is "unreachable", whatever the cause: the log must not tell a closed
        // port from a filtered one (the server's own log keeps the detail).
        const error = sent.ok ? `answered ${sent.status}` : sent.error.startsWith("refused:") ? sent.error : "unreachable";
        const giveUp = Date.parse(at) - Date.parse(first) >= GIVE_UP_MS;
        const wait = sent.ok && sent.retryAfterMs ? sent.retryAfterMs : backoffMs(attempts, baseDelayMs, maxDelayMs);
        await store.webhooks.recordAttempt(d.seq, {
          status: giveUp ? "failed" : "pending",
          attempts,
          firstAttemptAt: first,
          lastAttemptAt: at,
          lastStatus: sent.ok ? sent.status : null,
          lastError: error,
          nextAttemptAt: new Date(Date.now() + wait).toISOString(),
        });
        const failures = target.failures + 1;
        const paused = pauseReason(failures, sent, error);
        endpoints.set(target.id, (await store.webhooks.update(target.id, { failures, ...(paused ? { pausedAt: at, pausedReason: paused } : {}) })) ?? target);
        log.warn({ webhook: target.id, format: target.format, event: event.eventId, error: sent.ok ? error : sent.error, attempts, gave_up: giveUp, paused: paused !== null }, "webhook delivery failed");
      }
      rounds.ok();
    } catch (error) {
      rounds.failed(error);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(tick, everyMs);
  return { stop: () => clearInterval(timer), tick };
}
