/**
 * Channels for a person: an event said in words ("Acme — Senior Engineer: your LinkedIn
 * link was opened for the first time, 2 min ago, from Deutsche Telekom AG, Germany (Chrome
 * on Windows)") and put in the shape each service documents for an incoming message:
 *   ntfy         POST to the topic URL, the text as the body; Title, Priority, Tags, Click headers
 *   slack        an incoming webhook: `text` (the notification's) and blocks (mrkdwn)
 *   discord      a webhook: `content` and one embed; no mention ever pings anyone
 *   teams        a Workflows webhook: a message with one Adaptive Card
 *   google-chat  a space's webhook: `text`
 *   telegram     the Bot API's sendMessage: chat_id and text
 * Never an IP address or a raw user agent. Names are the application's as it is when sent.
 */
import type { Endpoint } from "../../db/store";
import type { SignalPayload } from "./model";
import { TELEGRAM_API } from "./model";

export type Message = {
  /** "Acme — Senior Engineer", or what the event is about. */
  title: string;
  /** The sentence after the title. */
  text: string;
  /** Where the dashboard shows it. */
  url: string;
  /** The first human click of an application is the one worth a sound. */
  urgent: boolean;
  /** ntfy's tags: emoji shortcodes shown before the title. */
  tags: string[];
};

const countries = new Intl.DisplayNames(["en"], { type: "region" });
const countryName = (code: string) => {
  try {
    return countries.of(code) ?? code;
  } catch {
    return code;
  }
};

/** "2 min ago", "3 h ago", "just now". */
export function ago(iso: string, now: number): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 45) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

type Click = { clicked_at: string; country?: string | null; network?: string | null; agent?: string | null };

/** ", from Deutsche Telekom AG, Germany (Chrome on Windows)": where and with what, as far as known. */
function fromText(click: Click): string {
  const place = [click.network, click.country ? countryName(click.country) : null].filter(Boolean).join(", ");
  const agent = click.agent?.replace(/, desktop$/, "");
  return `${place ? `, from ${place}` : ""}${agent ? ` (${agent})` : ""}`;
}

/** The event in words, and where the dashboard shows it (`base`: PUBLIC_BASE_URL). */
export function messageOf(event: SignalPayload, base: string, now = Date.now()): Message {
  const dashboard = `${base}/dashboard/`;
  if (event.type === "link.orphan_hit") {
    const meant = event.data.probably_link;
    const which = meant ? [meant.application_label, meant.link_function].filter(Boolean).join(" · ") : `the deleted link ${event.data.probably}`;
    return {
      title: "A link cut short was hit",
      text: `A link cut short was hit: probably ${which}, ${ago(event.data.click.clicked_at, now)}${fromText(event.data.click)}.`,
      url: `${dashboard}#/orphans`,
      urgent: false,
      tags: ["scissors"],
    };
  }
  const d = event.data;
  const title = d.application?.label ?? (d.application_id ? `Application ${d.application_id.slice(0, 8)}` : d.link.link_function);
  const url = d.application_id ? `${dashboard}#/applications/${encodeURIComponent(d.application_id)}` : `${dashboard}#/links/${encodeURIComponent(d.link.tracking_id)}`;
  const link = `your ${d.link.link_function} link`;
  if (event.type === "link.destination_down") {
    return { title, text: `${link} leads nowhere: ${d.link.original_url} answers ${event.data.destination.error ?? "an error"}. A recruiter who clicks it finds an error page.`, url, urgent: true, tags: ["warning"] };
  }
  if (event.type === "link.destination_up") return { title, text: `${link} works again: ${d.link.original_url} answers.`, url, urgent: false, tags: ["white_check_mark"] };
  const click = event.data.click;
  const own = "company_network" in click && click.company_network && d.application?.company ? ` — from ${d.application.company}'s own network` : "";
  const when = ago(click.clicked_at, now);
  if (event.type === "click.assistant") {
    return { title, text: `someone asked an AI assistant (${event.data.assistant.name}) to open ${link}, ${when}.`, url, urgent: false, tags: ["robot"] };
  }
  if (event.type === "click.returned") {
    return { title, text: `someone came back after ${event.data.days_since_previous} days (${d.link.link_function}), ${when}${fromText(click)}${own}.`, url, urgent: true, tags: ["repeat"] };
  }
  return { title, text: `${link} was opened for the first time, ${when}${fromText(click)}${own}.`, url, urgent: event.data.scope === "application", tags: ["eyes"] };
}

/** The title and the sentence as one line: "Acme — Senior Engineer: your LinkedIn link was opened…". */
export const oneLine = (m: Message) => (m.title === "A link cut short was hit" ? m.text : `${m.title}: ${m.text}`);

/** A header value ntfy reads whatever its characters: RFC 2047 encoded-words when it is not plain ASCII. */
const headerText = (text: string) => (/^[\x20-\x7e]*$/.test(text) ? text : `=?UTF-8?B?${Buffer.from(text, "utf8").toString("base64")}?=`);

/** Slack's mrkdwn needs &, < and > escaped (its docs: "Escaping text"). */
const slackEscape = (text: string) => text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

export type ChannelRequest = { url: string; headers: Record<string, string>; body: string };

/** The request that tells `endpoint` (a person's channel) the message. */
export function channelRequest(endpoint: Endpoint, m: Message): ChannelRequest {
  const json = (url: string, value: unknown): ChannelRequest => ({ url, headers: { "content-type": "application/json" }, body: JSON.stringify(value) });
  const line = oneLine(m);
  switch (endpoint.format) {
    case "ntfy":
      return {
        url: endpoint.url,
        headers: {
          "content-type": "text/plain; charset=utf-8",
          title: headerText(m.title),
          priority: m.urgent ? "4" : "3",
          tags: m.tags.join(","),
          click: m.url,
          ...(endpoint.token ? { authorization: `Bearer ${endpoint.token}` } : {}),
        },
        body: m.text.charAt(0).toUpperCase() + m.text.slice(1),
      };
    case "slack":
      return json(endpoint.url, {
        text: line,
        blocks: [
          { type: "section", text: { type: "mrkdwn", text: `*${slackEscape(m.title)}*\n${slackEscape(m.text)}` } },
          { type: "context", elements: [{ type: "mrkdwn", text: `<${m.url}|Open in link-tracker>` }] },
        ],
      });
    case "discord":
      return json(endpoint.url, {
        content: line.slice(0, 2000),
        embeds: [{ title: m.title.slice(0, 256), description: m.text.slice(0, 4096), url: m.url }],
        // A company called "@everyone" pings nobody.
        allowed_mentions: { parse: [] },
      });
    case "teams":
      return json(endpoint.url, {
        type: "message",
        attachments: [
          {
            contentType: "application/vnd.microsoft.card.adaptive",
            contentUrl: null,
            content: {
              $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
              type: "AdaptiveCard",
              version: "1.4",
              body: [
                { type: "TextBlock", text: m.title, weight: "Bolder", size: "Medium", wrap: true },
                { type: "TextBlock", text: m.text, wrap: true },
              ],
              actions: [{ type: "Action.OpenUrl", title: "Open in link-tracker", url: m.url }],
            },
          },
        ],
      });
    case "google-chat":
      return json(endpoint.url, { text: `*${m.title}*\n${m.text}\n<${m.url}|Open in link-tracker>` });
    case "telegram":
      return json(`${(endpoint.url || TELEGRAM_API).replace(/\/+$/, "")}/bot${endpoint.token}/sendMessage`, {
        chat_id: endpoint.chatId,
        text: `${m.title}\n${m.text}\n${m.url}`,
        link_preview_options: { is_disabled: true },
      });
    case "standard-webhooks":
    case "email":
      throw new Error(`a ${endpoint.format} endpoint gets no HTTP message`);
  }
}

/** An e-mail of the message: a subject naming the application, the sentence, the dashboard's page. */
export function mailOf(m: Message): { subject: string; text: string } {
  const first = m.text.split(/, |\. /)[0]!;
  const subject = m.title === "A link cut short was hit" ? first : `${m.title}: ${first}`;
  const sentence = m.text.charAt(0).toUpperCase() + m.text.slice(1);
  return { subject: subject.slice(0, 200), text: `${sentence}\n\n${m.url}\n\n— link-tracker` };
}
