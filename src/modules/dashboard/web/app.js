// The dashboard: plain DOM, every value set as text (never as HTML). The key is sent once,
// to sign in; after that the browser's HttpOnly session cookie (which scripts cannot read)
// carries every request, in every tab.
"use strict";

// The feed cursor this browser has seen up to (the home page's "since you last looked").
const SEEN = "lt_seen";
// This browser's session (GET /dashboard/session): scope, key name, the origin tracked URLs
// get and whether it is this computer's, until when. null: signed out.
let session = null;
const main = document.getElementById("main");
const nav = document.getElementById("nav");
const status = document.getElementById("status");
const banner = document.getElementById("banner");
const account = document.getElementById("account");

/** While PUBLIC_BASE_URL is unset or local, what is wrong with the links made now, and what to do. */
function localLinksWarning() {
  const origin = session.public_base_url;
  if (session.local_links) {
    return `These links only work on this computer: they start with ${origin}. Set PUBLIC_BASE_URL to your domain (https://…) and restart link-tracker before sending any; the links made so far then move to it.`;
  }
  return null;
}

/**
 * The owner cookie is this host's: opened on another host than the links' (127.0.0.1 for
 * localhost, an internal name for the public one), this browser's clicks on the links are
 * not known as yours. Said, with where to sign in instead.
 */
function ownerHostNote() {
  const origin = session.public_base_url;
  if (!origin) return null;
  let links;
  try { links = new URL(origin); } catch { return null; }
  if (links.host === location.host) return null;
  return `You signed in on ${location.host}, but your links are on ${links.host}: your own clicks on them count as yours only when you sign in there (${origin}/dashboard/).`;
}

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

/** "2 h ago", "in 3 d", or the date past two months. */
function relative(date) {
  const seconds = Math.round((Date.now() - date.getTime()) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return "just now";
  if (abs >= 60 * 86400) return date.toLocaleDateString();
  const [n, unit] = abs < 3600 ? [Math.round(abs / 60), "min"] : abs < 86400 ? [Math.round(abs / 3600), "h"] : [Math.round(abs / 86400), "d"];
  return seconds > 0 ? `${n} ${unit} ago` : `in ${n} ${unit}`;
}

/** A time as people read it (relative), the exact local time on hover and for screen readers' <time>. */
function when(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  return h("time", { datetime: iso, title: date.toLocaleString() }, relative(date));
}

/** How long after the link was made; a click recorded before the link existed (an import) says so. */
function duration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 0) return "before the link existed";
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const d = Math.floor(seconds / 86400), hh = Math.floor((seconds % 86400) / 3600), m = Math.floor((seconds % 3600) / 60);
  return d ? `${d} d ${hh} h` : hh ? `${hh} h ${m} min` : `${m} min`;
}

/** "1 link", "3 links": a count and its noun, singular or plural. */
const count = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function say(text) {
  status.textContent = text;
  setTimeout(() => { if (status.textContent === text) status.textContent = ""; }, 4000);
}

/** The browser's time zone: days (the bars, "today") are counted in it. */
const TZ = (() => { try { return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; } catch { return "UTC"; } })();

async function api(path, options = {}) {
  const res = await fetch(path, { ...options, credentials: "same-origin", headers: options.body ? { "Content-Type": "application/json" } : {} });
  const text = await res.text();
  let body = text;
  try { body = JSON.parse(text); } catch {}
  if (res.status === 401) { session = null; throw new Error("Your session has ended; sign in again."); }
  if (!res.ok && res.status !== 207) throw new Error((body && (body.error || body.message)) || `Error ${res.status}`);
  return body;
}

function table(headers, rows) {
  return h("div", { class: "table-wrap" },
    h("table", {}, h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col", class: [x.num ? "num" : "", x.wide ? "wide-only" : ""].join(" ").trim() || null }, x.label || x)))),
      h("tbody", {}, rows)));
}

/** "Someone asked an AI assistant to open it: 2 times, last …": an assistant's fetches are a person's interest, shown outside the collapsed clicks. */
function assistantNote(clicks) {
  if (clicks.length === 0) return "";
  const latest = clicks.reduce((a, b) => (a.clicked_at > b.clicked_at ? a : b));
  return h("p", { class: "assisted" }, h("span", { class: "badge assistant" }, "AI assistant"), " Someone asked an AI assistant to open it: ",
    count(clicks.length, "time"), ", last ", when(latest.clicked_at), ` (${latest.link_function}${latest.visitor_reason ? `; ${latest.visitor_reason}` : ""}).`);
}

function kindBadge(kind, reason) {
  return h("span", { class: `badge ${kind === "human" ? "human" : kind === "assistant" ? "assistant" : ""}`, title: reason || kind }, kind === "assistant" ? "AI assistant" : kind);
}

// --- pages -----------------------------------------------------------------

function signInPage() {
  nav.hidden = true;
  account.hidden = true;
  const input = h("input", { id: "key", type: "password", autocomplete: "off", required: true, "aria-describedby": "key-help" });
  const remember = h("input", { id: "remember", type: "checkbox" });
  const error = h("p", { class: "error", role: "alert" });
  const form = h("form", { "aria-labelledby": "signin-title", onsubmit: async (e) => {
      e.preventDefault();
      error.textContent = "";
      const res = await fetch("/dashboard/session", {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-API-Key": input.value, "Content-Type": "application/json" },
        body: JSON.stringify({ remember: remember.checked }),
      });
      const body = await res.json().catch(() => ({}));
      if (!res.ok) { error.textContent = res.status === 403 ? "This key may not read analytics." : res.status === 429 ? "Too many wrong keys from this network; wait a minute." : "That key was not accepted."; return; }
      session = body;
      input.value = "";
      location.hash = "#/";
      route();
    } },
    h("h1", { id: "signin-title" }, "Sign in"),
    h("label", { for: "key" }, "API key"),
    input,
    h("p", { id: "key-help", class: "muted" }, "A read or admin key (link-tracker keys create --name me --scope admin). It is sent once; this browser keeps a session, not the key. Signing in also marks this browser as yours, so your own clicks on your links are never counted as a recruiter's."),
    h("p", { class: "check" }, remember, h("label", { for: "remember" }, "Remember this browser for 30 days (otherwise: until it closes, 12 hours at most). Only on a computer that is yours.")),
    h("button", { type: "submit" }, "Sign in"),
    error);
  main.replaceChildren(form);
  input.focus();
}

const STATUS = { not_opened: "not opened", opened: "opened", came_back: "came back" };
const statusBadge = (a) => h("span", { class: `badge ${a.status === "not_opened" ? "waiting" : "human"}` }, STATUS[a.status]);
const appLink = (a) => h("a", { href: `#/applications/${encodeURIComponent(a.application_id)}`, title: a.application_id }, a.label);
const daysSince = (iso) => Math.floor((Date.now() - Date.parse(iso)) / 86_400_000);

/** What happened since this browser last looked: the event feed after the cursor it keeps. */
/** The link an orphan hit probably meant, by name: "Acme — SRE: LinkedIn". */
const meant = (p) => [p.application_label, p.link_function].filter(Boolean).join(": ") || p.tracking_id;

async function sinceLastLook() {
  const seen = localStorage.getItem(SEEN) || "0";
  const feed = await api(`/api/link-tracking/events?after=${encodeURIComponent(seen)}&limit=200`);
  const box = h("section", { "aria-labelledby": "since" }, h("h2", { id: "since" }, seen === "0" ? "What happened so far" : "Since you last looked"));
  if (feed.events.length === 0) {
    box.append(h("p", { class: "muted" }, "Nothing new."));
    return box;
  }
  const line = (e) => {
    const d = e.data;
    const app = d.application ? d.application.label : null;
    const from = d.click && d.click.from ? ` from ${d.click.from}` : "";
    if (e.type === "click.first_human" && d.scope === "application") return [h("strong", {}, app || "An application"), ` was opened for the first time (${d.link.link_function})${from}`];
    if (e.type === "click.first_human") return [`First click on ${d.link.link_function}`, app ? ` of ${app}` : "", from];
    if (e.type === "click.assistant") return [h("strong", {}, app || "A link"), `: someone asked an AI assistant (${d.assistant.name}) to open it (${d.link.link_function})`];
    if (e.type === "click.returned") return [h("strong", {}, app || "An application"), ` got a visitor back after ${d.days_since_previous} days${from}`];
    if (e.type === "link.destination_down") return [h("strong", {}, app || "A link"), `: the ${d.link.link_function} link leads nowhere (${d.destination.error || "an error"})`];
    if (e.type === "link.destination_up") return [h("strong", {}, app || "A link"), `: the ${d.link.link_function} link works again`];
    // probably_link is null once the link is deleted, and absent from an older server's events.
    const probably = d.probably_link ? h("a", { href: `#/links/${encodeURIComponent(d.probably_link.tracking_id)}` }, meant(d.probably_link)) : d.probably;
    return [`A link cut short was hit: ${d.orphan_id} (probably `, probably, ")"];
  };
  // A link's first click says nothing more than its application's, when it has one.
  const shown = feed.events.filter((e) => !(e.type === "click.first_human" && e.data.scope === "link" && e.data.application_id));
  // When it happened: the click's time (an event is stored when its click is, or later for an ingested one).
  const at = (e) => (e.data.click ? e.data.click.clicked_at : e.created_at);
  shown.sort((a, b) => at(b).localeCompare(at(a)));
  box.append(h("ul", { class: "events" }, shown.map((e) => h("li", {}, when(at(e)), " ", ...line(e)))),
    h("button", { type: "button", class: "secondary", onclick: () => { localStorage.setItem(SEEN, feed.next_cursor); say("Marked as seen."); homePage(); } }, "Mark all as seen"));
  return box;
}

/** The most recent applications the home page looks through for its lists (the counts are of all). */
const HOME_PAGE_SIZE = 500;

/** The links whose destination died: a recruiter who clicks one finds an error page. */
function deadLinks(down) {
  if (down.links.length === 0) return "";
  return h("section", { class: "dead", "aria-labelledby": "dead" }, h("h2", { id: "dead" }, down.links.length === 1 ? "A link that leads nowhere" : `${down.links.length} links that lead nowhere`),
    h("ul", {}, down.links.map((l) => h("li", {},
      l.application_id ? h("a", { href: `#/applications/${encodeURIComponent(l.application_id)}` }, `${l.application_label}: ${l.link_function}`) : h("a", { href: `#/links/${encodeURIComponent(l.tracking_id)}` }, l.link_function),
      ` — ${l.original_url} answers ${l.destination.error || "an error"}, since `, when(l.destination.down_since)))),
    h("p", {}, "Give each a new destination (Edit on its application's page), or deactivate it."));
}

async function homePage() {
  const [overview, since, down] = await Promise.all([api(`/api/link-tracking/analytics/applications?limit=${HOME_PAGE_SIZE}`), sinceLastLook(), api("/api/link-tracking/destinations/down")]);
  const apps = overview.applications;
  main.replaceChildren(h("h1", {}, "Home"), deadLinks(down), since);
  if (overview.counts.applications === 0) {
    main.append(h("div", { class: "empty" }, "No applications yet. ", h("a", { href: "#/new" }, "Create one and its links"), " and put them in your résumé."));
    return;
  }
  main.append(h("h2", {}, "Where your applications stand"),
    h("div", { class: "cards" },
      h("div", { class: "card" }, h("strong", {}, overview.counts.not_opened), "not opened"),
      h("div", { class: "card" }, h("strong", {}, overview.counts.opened), "opened"),
      h("div", { class: "card" }, h("strong", {}, overview.counts.came_back), "came back")));
  if (overview.next_cursor) main.append(h("p", { class: "muted" }, `The lists below look at your ${HOME_PAGE_SIZE} most recent applications; `, h("a", { href: "#/applications" }, "Applications"), " has them all."));
  // The ones sent longest ago that nobody opened: worth a follow-up.
  const since_ = (a) => a.sent_at || a.first_link_at || "";
  const waiting = apps.filter((a) => a.status === "not_opened" && since_(a)).sort((a, b) => since_(a).localeCompare(since_(b)));
  if (waiting.length > 0) {
    main.append(h("h2", {}, "Waiting longest"), h("ul", {}, waiting.slice(0, 5).map((a) => h("li", {}, appLink(a), " ",
      h("span", { class: "badge waiting" }, `no click ${daysSince(since_(a))} d after sending`)))));
  }
  const opened = apps.filter((a) => a.status !== "not_opened").sort((a, b) => b.last_human_click.localeCompare(a.last_human_click));
  if (opened.length > 0) {
    main.append(h("h2", {}, "Opened"), table(["Application", "Status", { label: "Visitors", num: true }, "Last click"],
      opened.map((a) => h("tr", {}, h("td", {}, appLink(a)), h("td", {}, statusBadge(a)), h("td", { class: "num" }, a.visitors), h("td", {}, when(a.last_human_click))))));
  }
}

async function applicationsPage() {
  let overview = await api("/api/link-tracking/analytics/applications?limit=200");
  const apps = [...overview.applications];
  main.replaceChildren(h("h1", {}, "Applications"));
  if (overview.counts.applications === 0) {
    main.append(h("div", { class: "empty" }, "No applications yet. ", h("a", { href: "#/new" }, "Create one and its links"), " and put them in your résumé."));
    return;
  }
  const search = h("input", { id: "search", type: "search", placeholder: "company or role" });
  const filter = h("select", { id: "status-filter" }, h("option", { value: "" }, "any"), Object.entries(STATUS).map(([v, t]) => h("option", { value: v }, t)));
  const body = h("tbody", {});
  // Older applications, a page at a time.
  const more = h("button", { type: "button", class: "secondary", id: "more-applications" }, "Show older applications");
  const show = (announce = true) => {
    const q = search.value.trim().toLowerCase();
    const rows = apps.filter((a) => (!filter.value || a.status === filter.value) && (!q || `${a.label} ${a.company || ""} ${a.role || ""}`.toLowerCase().includes(q)));
    body.replaceChildren(...rows.map((a) => h("tr", {},
      h("td", {}, appLink(a)), h("td", {}, statusBadge(a)),
      h("td", { class: "num" }, a.visitors), h("td", { class: "num wide-only" }, a.human_clicks),
      h("td", {}, when(a.last_human_click)), h("td", { class: "wide-only" }, a.sent_at ? when(a.sent_at) : "—"))));
    more.hidden = !overview.next_cursor;
    const of = overview.next_cursor ? `${apps.length} shown of ${overview.counts.applications}` : `${apps.length}`;
    if (announce) say(`${rows.length} of ${count(of, "application")}`);
  };
  more.addEventListener("click", async () => {
    overview = await api(`/api/link-tracking/analytics/applications?limit=200&cursor=${encodeURIComponent(overview.next_cursor)}`);
    apps.push(...overview.applications);
    show();
  });
  search.addEventListener("input", () => show());
  filter.addEventListener("change", () => show());
  main.append(h("div", { class: "filters" }, h("div", {}, h("label", { for: "search" }, "Search"), search), h("div", {}, h("label", { for: "status-filter" }, "Status"), filter)),
    h("div", { class: "table-wrap" }, h("table", {},
      // On a phone the columns that matter least give way (.wide-only).
      h("thead", {}, h("tr", {}, ["Application", "Status", { label: "Visitors", num: true }, { label: "Human clicks", num: true, wide: true }, "Last click", { label: "Sent", wide: true }]
        .map((x) => h("th", { scope: "col", class: [x.num ? "num" : "", x.wide ? "wide-only" : ""].join(" ").trim() || null }, x.label || x)))),
      body)), more);
  show(false);
}

/** The day a date picker shows for an instant, in the browser's time zone ("" for none). */
function localDay(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}
/** A day picked in the browser's time zone: its start, as an instant (null for none). */
const dayStart = (day) => (day ? new Date(`${day}T00:00:00`).toISOString() : null);

/** A labelled input (or textarea) in a form. */
function fieldOf(id, label, attrs = {}, tag = "input") {
  const { value, ...rest } = attrs;
  // A textarea's value is its text; an input's, its attribute.
  const input = tag === "textarea" ? h(tag, { id, name: id, ...rest }, value ?? "") : h(tag, { id, name: id, ...attrs });
  return { input, nodes: [h("label", { for: id }, label), input] };
}

/** A tracked URL as it goes in a résumé, with its copy and QR buttons; `shown`: the QR code from the start. */
function trackedUrlOf(link, { shown = false } = {}) {
  const qr = h("img", { alt: `QR code of ${link.redirect_url}`, hidden: !shown });
  const load = async () => {
    if (!qr.src) qr.src = URL.createObjectURL(new Blob([await api(`/api/link-tracking/links/${encodeURIComponent(link.tracking_id)}/qr.svg`)], { type: "image/svg+xml" }));
  };
  if (shown) load().catch(() => {});
  return h("div", { class: "tracked" },
    h("code", { class: "url", tabindex: 0, title: link.redirect_url }, link.redirect_url),
    h("span", { class: "actions" },
      h("button", { type: "button", class: "secondary", "aria-label": `Copy the ${link.link_function} URL`, onclick: async () => { await navigator.clipboard.writeText(link.redirect_url).catch(() => {}); say("Copied."); } }, "Copy"),
      h("button", { type: "button", class: "secondary", "aria-label": `QR code of the ${link.link_function} URL`, onclick: async () => { await load(); qr.hidden = !qr.hidden; } }, "QR")),
    qr);
}

/** One link of an application: its URL, its clicks, and (admin) what can be done to it. */
function linkCard(link, label, admin, reload) {
  const error = h("p", { class: "error", role: "alert" });
  const change = async (body, done) => {
    error.textContent = "";
    try { await api(`/api/link-tracking/links/${encodeURIComponent(link.tracking_id)}`, { method: "PATCH", body: JSON.stringify(body) }); await reload(); say(done); }
    catch (err) { error.textContent = err.message; }
  };
  const clicks = count(link.human_clicks, "human click");
  const lag = link.time_to_first_click_seconds;
  const after = lag === null ? "" : lag < 0 ? ` (${duration(lag)})` : ` (${duration(lag)} after it was made)`;
  const first = link.first_human_click ? [", first ", when(link.first_human_click), after] : "";
  const editor = h("form", { class: "edit", hidden: true, onsubmit: (e) => {
      e.preventDefault();
      const f = e.target.elements;
      const expires = f[`exp-${link.tracking_id}`].value;
      change({ original_url: f[`dest-${link.tracking_id}`].value.trim(), description: f[`desc-${link.tracking_id}`].value.trim() || null, expires_at: expires ? dayStart(expires) : null }, "Link saved.");
    } },
    fieldOf(`dest-${link.tracking_id}`, "Destination", { type: "url", required: true, value: link.original_url }).nodes,
    fieldOf(`desc-${link.tracking_id}`, "Description", { value: link.description ?? "", maxlength: 2000 }).nodes,
    fieldOf(`exp-${link.tracking_id}`, "Expires on (empty: never)", { type: "date", value: localDay(link.expires_at) }).nodes,
    h("p", {}, h("button", { type: "submit", "aria-label": `Save the ${link.link_function} link` }, "Save"), " ", h("button", { type: "button", class: "secondary", onclick: () => { editor.hidden = true; } }, "Cancel")));
  const checkNow = async (e) => {
    error.textContent = "";
    e.target.disabled = true;
    try {
      const checked = await api(`/api/link-tracking/links/${encodeURIComponent(link.tracking_id)}/check`, { method: "POST" });
      await reload();
      say(checked.destination.ok ? "The destination answers." : `The destination did not answer: ${checked.destination.error}.`);
    } catch (err) { error.textContent = err.message; e.target.disabled = false; }
  };
  const actions = admin ? h("p", { class: "actions" },
    h("button", { type: "button", class: "secondary", "aria-label": `Edit the ${link.link_function} link`, onclick: () => { editor.hidden = !editor.hidden; } }, "Edit"), " ",
    h("button", { type: "button", class: "secondary", "aria-label": `Check the ${link.link_function} link's destination now`, onclick: checkNow }, "Check now"), " ",
    link.is_active
      ? h("button", { type: "button", class: "secondary", "aria-label": `Deactivate the ${link.link_function} link`, onclick: () => change({ is_active: false }, "Deactivated: the link answers “no longer available”.") }, "Deactivate")
      : h("button", { type: "button", class: "secondary", "aria-label": `Reactivate the ${link.link_function} link`, onclick: () => change({ is_active: true }, "Reactivated.") }, "Reactivate"), " ",
    h("button", { type: "button", class: "secondary danger", "aria-label": `Delete the ${link.link_function} link`, onclick: async () => {
      const recorded = Object.values(link.clicks_by_kind).reduce((n, k) => n + k, 0);
      const lost = `Delete the ${link.link_function} link of ${label}? Its tracked URL stops working, and its ${recorded === 1 ? "1 recorded click is" : `${recorded} recorded clicks are`} deleted with it. This cannot be undone.`;
      if (!confirm(lost)) return;
      try { await api(`/api/link-tracking/links/${encodeURIComponent(link.tracking_id)}`, { method: "DELETE" }); await reload(); say(`${link.link_function} link deleted.`); }
      catch (err) { error.textContent = err.message; }
    } }, "Delete")) : "";
  return h("li", { class: "link-card" },
    h("h3", {}, h("a", { href: `#/links/${encodeURIComponent(link.tracking_id)}` }, link.link_function), link.is_active ? "" : [" ", h("span", { class: "badge waiting" }, "inactive")]),
    trackedUrlOf(link),
    h("p", { class: "muted" }, clicks, first),
    destinationNote(link),
    actions, editor, error);
}

/** What the last check of a link's destination found, when it found something wrong. */
function destinationNote(link) {
  const d = link.destination;
  if (!d || d.ok) return "";
  if (!d.down) return h("p", { class: "muted" }, `The last check of ${link.original_url} failed (${d.error || "no answer"}), `, when(d.checked_at), "; a second failure in a row marks it as leading nowhere.");
  return h("p", { class: "dead" }, h("strong", {}, "This link leads nowhere: "), `${link.original_url} answers ${d.error || "an error"} (since `, when(d.down_since),
    "). A recruiter who clicks it finds an error page: give it a new destination, or deactivate it.");
}

/** Admin: a new link for this application. */
function addLinkForm(applicationId, reload) {
  const fn = fieldOf("new-function", "What it is", { required: true, maxlength: 100, placeholder: "GitHub" });
  const url = fieldOf("new-url", "Destination", { type: "url", required: true, placeholder: "https://" });
  const error = h("p", { class: "error", role: "alert" });
  return h("form", { class: "card", "aria-labelledby": "add-link", onsubmit: async (e) => {
      e.preventDefault();
      error.textContent = "";
      const button = e.target.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        const made = await api("/api/link-tracking/links", { method: "POST", body: JSON.stringify({ application_id: applicationId, link_function: fn.input.value.trim(), original_url: url.input.value.trim() }) });
        await reload();
        say(`${made.link_function} link added.`);
      } catch (err) { error.textContent = err.message; button.disabled = false; }
    } },
    h("h2", { id: "add-link" }, "Add a link"), fn.nodes, url.nodes, h("p", {}, h("button", { type: "submit" }, "Add the link")), error);
}

/** Admin: the application's name, sent date and notes. */
function renameForm(named, reload) {
  const company = fieldOf("app-company", "Company", { value: named.company ?? "", maxlength: 200 });
  const role = fieldOf("app-role", "Role", { value: named.role ?? "", maxlength: 200 });
  const sent = fieldOf("app-sent", "Sent on", { type: "date", value: localDay(named.sent_at) });
  const notes = fieldOf("app-notes", "Notes", { value: named.notes ?? "", maxlength: 2000, rows: 3 }, "textarea");
  const error = h("p", { class: "error", role: "alert" });
  return h("details", { class: "card" }, h("summary", {}, "Edit the application"),
    h("form", { onsubmit: async (e) => {
        e.preventDefault();
        error.textContent = "";
        if (!company.input.value.trim() && !role.input.value.trim()) { error.textContent = "Give it a company or a role."; return; }
        const body = { company: company.input.value.trim() || null, role: role.input.value.trim() || null, sent_at: dayStart(sent.input.value), notes: notes.input.value.trim() || null };
        try { await api(`/api/link-tracking/applications/${encodeURIComponent(named.application_id)}`, { method: "PUT", body: JSON.stringify(body) }); await reload(); say("Application saved."); }
        catch (err) { error.textContent = err.message; }
      } },
      company.nodes, role.nodes, sent.nodes, notes.nodes, h("p", {}, h("button", { type: "submit" }, "Save the application")), error));
}

async function applicationPage(id) {
  const [a, named] = await Promise.all([
    api(`/api/link-tracking/analytics/applications/${encodeURIComponent(id)}`),
    api(`/api/link-tracking/applications/${encodeURIComponent(id)}`),
  ]);
  const admin = session.scope === "admin";
  const reload = () => applicationPage(id);
  const sub = a.sent_at ? ["sent ", when(a.sent_at)] : [];
  const all = a.links.map((l) => `${l.link_function}: ${l.redirect_url}`).join("\n");
  main.replaceChildren(
    h("h1", {}, a.label),
    h("p", { class: "muted" }, `${count(a.totals.links, "link")}, ${count(a.totals.human_clicks, "human click")}`, a.totals.first_human_click ? [", first ", when(a.totals.first_human_click)] : "", sub.length ? ["; ", ...sub] : ""),
    named.notes ? h("p", { class: "notes" }, named.notes) : "",
    h("h2", {}, "Links"),
    h("ul", { class: "link-cards" }, a.links.map((l) => linkCard(l, a.label, admin, reload))),
    h("p", {}, h("button", { type: "button", onclick: async () => { await navigator.clipboard.writeText(all).catch(() => {}); say("All copied."); } }, "Copy all URLs")),
    admin ? addLinkForm(id, reload) : "",
    admin ? renameForm(named, reload) : "",
    h("h2", {}, "Visits"),
    a.visits.length === 0
      ? h("p", { class: "empty" }, "No recruiter has opened it yet.")
      : h("ol", { class: "timeline" }, [...a.visits].reverse().map((v) => h("li", {},
          h("div", {}, when(v.started_at), ": ", v.clicks.map((c) => c.link_function).join(" → ")),
          h("div", { class: "muted" }, [v.agent, placeOf(v) ? `from ${placeOf(v)}` : null].filter(Boolean).join(" — ") || "—"),
          v.company_network ? h("div", {}, h("span", { class: "badge human" }, `from ${named.company || a.label}'s own network`)) : ""))),
    assistantNote(a.other_clicks.filter((c) => c.visitor_kind === "assistant")),
    a.other_clicks.length === 0 ? "" : h("details", {},
      h("summary", {}, `${count(a.other_clicks.length, "click")} that ${a.other_clicks.length === 1 ? "was" : "were"} not a recruiter's`),
      table(["When", "Who", "Why", "Link", "From"], a.other_clicks.map((c) => h("tr", {},
        h("td", {}, when(c.clicked_at)), h("td", {}, kindBadge(c.visitor_kind, c.visitor_reason)), h("td", {}, c.visitor_reason || "—"),
        h("td", {}, c.link_function), h("td", {}, placeOf(c) || "—"))))),
    h("div", { class: "cards" }, breakdown("Country", a.breakdowns.by_country), breakdown("Network", networkRows(a.breakdowns.by_network))),
    attribution());
}

/** "Microsoft Corporation, US": where a visit came from, when it is known. */
const placeOf = (v) => [v.network, v.country].filter(Boolean).join(", ");
const networkRows = (rows) => rows.map((n) => ({ value: n.asn === null ? n.network : `${n.network} (AS${n.asn})`, clicks: n.clicks }));
const breakdown = (title, rows) => h("div", { class: "card" }, h("h2", {}, title), rows.length ? h("ul", {}, rows.map((r) => h("li", {}, `${r.value}: ${r.clicks}`))) : h("p", { class: "muted" }, "—"));
// The location data's licence (CC BY 4.0) asks for a link back to DB-IP where its results are shown.
const attribution = () => h("p", { class: "muted attribution" }, h("a", { href: "https://db-ip.com" }, "IP Geolocation by DB-IP"),
  "; networks from RouteViews, the regional internet registries and DB-IP (CC BY 4.0).");

const KINDS = ["human", "assistant", "owner", "preview", "scanner", "bot"];
const KIND_NAMES = { human: "recruiters", assistant: "AI assistants", owner: "you", preview: "previews", scanner: "scanners", bot: "bots" };

function svg(tag, attrs, ...children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}

/**
 * Clicks per day as bars, one per day (a day without clicks is an empty bar, never a
 * line drawn across it), the kinds stacked; each kind can be hidden. Drawn as SVG: no
 * script from elsewhere, and each bar says its numbers on hover.
 */
function barChart(days) {
  const shown = new Set(KINDS);
  const figure = h("figure", { class: "bars" });
  const draw = () => {
    const total = (d) => KINDS.filter((k) => shown.has(k)).reduce((n, k) => n + d[k], 0);
    const max = Math.max(1, ...days.map(total));
    // Drawn at 600 wide and scaled as a whole to the page's width (text keeps its shape).
    // Labels at 12 px as shown whatever the page's width: in the drawing's units, larger when it is shrunk.
    const font = Math.round(12 * Math.max(1, 600 / Math.max(240, main.clientWidth || 600)));
    const width = 600, height = 200 + font, top = 10, bottom = font + 10, left = 10 + Math.ceil(font * 0.6) * String(max).length;
    const step = (width - left) / days.length;
    const y = (n) => top + (height - top - bottom) * (1 - n / max);
    const bars = days.map((d, i) => {
      let base = 0;
      const title = `${d.day}: ${KINDS.filter((k) => d[k] > 0).map((k) => `${d[k]} ${KIND_NAMES[k]}`).join(", ") || "no click"}`;
      return svg("g", {}, svg("title", {}, title), KINDS.filter((k) => shown.has(k) && d[k] > 0).map((k) => {
        const rect = svg("rect", { x: left + i * step + 1, y: y(base + d[k]), width: Math.max(1, step - 2), height: y(base) - y(base + d[k]), class: `k-${k}` });
        base += d[k];
        return rect;
      }), svg("rect", { x: left + i * step, y: top, width: step, height: height - top - bottom, fill: "transparent" }));
    });
    const human = days.filter((d) => d.human > 0).map((d) => `${d.day} ${d.human}`).join(", ");
    figure.replaceChildren(
      svg("svg", { viewBox: `0 0 ${width} ${height}`, "font-size": font, role: "img", "aria-label": `Clicks per day from ${days[0].day} to ${days.at(-1).day}; recruiters' clicks: ${human || "none"}` },
        svg("line", { x1: left, x2: width, y1: y(0), y2: y(0), class: "axis" }),
        svg("text", { x: left - 4, y: y(max) + 4, "text-anchor": "end" }, max),
        svg("text", { x: left - 4, y: y(0), "text-anchor": "end" }, 0),
        svg("text", { x: left, y: height - 4 }, days[0].day),
        svg("text", { x: width, y: height - 4, "text-anchor": "end" }, days.at(-1).day),
        bars),
      h("figcaption", { class: "legend" }, KINDS.map((k) => h("label", {},
        h("input", { type: "checkbox", checked: shown.has(k), onchange: (e) => { e.target.checked ? shown.add(k) : shown.delete(k); draw(); } }),
        h("span", { class: `swatch k-${k}`, "aria-hidden": "true" }), ` ${KIND_NAMES[k]}`))));
  };
  draw();
  return figure;
}

async function linkPage(id) {
  const [s, link] = await Promise.all([
    api(`/api/link-tracking/analytics/${encodeURIComponent(id)}?tz=${encodeURIComponent(TZ)}`),
    api(`/api/link-tracking/links/${encodeURIComponent(id)}`),
  ]);
  const application = link.application_id ? await api(`/api/link-tracking/applications/${encodeURIComponent(link.application_id)}`).catch(() => null) : null;
  const c = s.click_statistics;
  main.replaceChildren(
    h("h1", {}, `${s.link_info.link_function} `, h("span", { class: "muted" }, s.link_info.tracking_id)),
    application ? h("p", {}, "Part of ", h("a", { href: `#/applications/${encodeURIComponent(application.application_id)}` }, application.label), link.is_active ? "" : [" ", h("span", { class: "badge waiting" }, "inactive")]) : "",
    trackedUrlOf(link),
    h("p", {}, "Goes to ", h("span", { class: "url" }, s.link_info.original_url)),
    h("div", { class: "cards" },
      h("div", { class: "card" }, h("strong", {}, c.total_clicks), "human clicks"),
      h("div", { class: "card" }, h("strong", {}, c.unique_sessions), "visitors"),
      h("div", { class: "card" }, h("strong", {}, s.bot_clicks), "AI assistants, bots, previews, scanners"),
      h("div", { class: "card" }, h("strong", {}, c.clicks_7d), "last 7 days")),
    h("h2", {}, "Clicks per day"), barChart(s.clicks_per_day),
    h("div", { class: "cards" },
      breakdown("Source", s.breakdowns.by_source), breakdown("Browser", s.breakdowns.by_browser),
      breakdown("System", s.breakdowns.by_os), breakdown("Device", s.breakdowns.by_device),
      breakdown("Country", s.breakdowns.by_country), breakdown("Network", networkRows(s.breakdowns.by_network))),
    h("h2", {}, "Recent clicks"),
    s.recent_clicks.length === 0 ? h("p", { class: "empty" }, "Nobody has clicked this link yet.")
      : table(["When", "Who", "From", { label: "Source", wide: true }, { label: "Browser", wide: true }], s.recent_clicks.map((r) => h("tr", {},
        // The reason in words, not only on hover: a phone has no hover.
        h("td", {}, when(r.clicked_at)), h("td", {}, kindBadge(r.visitor_kind, r.visitor_reason), r.visitor_kind !== "human" && r.visitor_reason ? h("div", { class: "muted reason" }, r.visitor_reason) : ""), h("td", {}, placeOf(r) || "—"),
        h("td", { class: "wide-only" }, r.click_source || "—"), h("td", { class: "wide-only" }, r.browser || "—")))),
    attribution());
}

async function orphansPage() {
  const o = await api(`/api/link-tracking/analytics?tz=${encodeURIComponent(TZ)}`);
  const admin = session.scope === "admin";
  main.replaceChildren(h("h1", {}, "Orphan visits"), h("p", { class: "muted" }, "Hits on ids no link has, in the last 30 days: often a link cut short by a line break in a PDF."));
  if (o.orphans.length === 0) { main.append(h("p", { class: "empty" }, "No orphan visits. Every hit matched a link.")); return; }
  // Ids are long and unbroken: cut with an ellipsis, the whole id on hover, focus or tap.
  const id = (text) => h("code", { class: "id", tabindex: 0, title: text }, text);
  main.append(h("ul", { class: "link-cards" }, o.orphans.map((r) => h("li", { class: "link-card" },
    h("p", {}, id(r.tracking_id || "(no id)")),
    h("p", { class: "muted" }, count(r.hits, "hit"), ", last seen ", when(r.last_seen)),
    r.probably
      ? h("p", {}, "Probably ", h("a", { href: `#/links/${encodeURIComponent(r.probably.tracking_id)}` }, meant(r.probably)), " ", id(r.probably.tracking_id))
      : h("p", { class: "muted" }, "No link it could have been."),
    r.probably && admin ? h("p", {}, h("button", { type: "button", class: "secondary", "aria-label": `Attribute ${r.tracking_id} to ${meant(r.probably)}`, onclick: async () => {
      await api(`/api/link-tracking/orphans/${encodeURIComponent(r.tracking_id)}/attribute`, { method: "POST", body: JSON.stringify({ tracking_id: r.probably.tracking_id }) });
      say("Attributed."); orphansPage();
    } }, "Attribute its hits to it")) : ""))));
}

function newApplicationPage() {
  const admin = session.scope === "admin";
  main.replaceChildren(h("h1", {}, "New application"));
  const warning = localLinksWarning();
  if (warning) main.append(h("p", { class: "error", id: "local-links" }, warning));
  if (!admin) { main.append(h("p", { class: "empty" }, "Your key can read but not create. Sign in with an admin key to create an application and its links.")); return; }
  const { input: company, nodes: companyField } = fieldOf("company", "Company", { placeholder: "Acme", maxlength: 200, autocomplete: "organization" });
  const { input: role, nodes: roleField } = fieldOf("role", "Role", { placeholder: "Senior Engineer", maxlength: 200 });
  // Today in the browser's time zone (toISOString would give UTC's date).
  const localToday = localDay(new Date().toISOString());
  const { input: sent, nodes: sentField } = fieldOf("sent", "Sent on", { type: "date", value: localToday });
  const rows = h("div", {});
  const addRow = (fn = "", url = "") => {
    const n = rows.children.length + 1;
    rows.append(h("div", { class: "row" },
      h("div", {}, h("label", { for: `fn${n}` }, `Link ${n}: what it is`), h("input", { id: `fn${n}`, name: "function", value: fn, required: true })),
      h("div", {}, h("label", { for: `url${n}` }, `Link ${n}: destination`), h("input", { id: `url${n}`, name: "url", type: "url", value: url, required: true, placeholder: "https://" })),
      h("button", { type: "button", class: "secondary", "aria-label": `Remove link ${n}`, onclick: (e) => e.target.closest(".row").remove() }, "Remove")));
  };
  addRow("LinkedIn"); addRow("Portfolio"); addRow("Calendly");
  const results = h("div", { "aria-live": "polite" });
  const error = h("p", { class: "error", role: "alert" });
  // Asked when an application of that company and role exists: add to it, or make another.
  const same = h("div", { class: "card", id: "same-application", hidden: true });
  const create = async (submit, into) => {
    error.textContent = "";
    same.hidden = true;
    const links = [...rows.querySelectorAll(".row")].map((r) => ({ link_function: r.querySelector("[name=function]").value.trim(), original_url: r.querySelector("[name=url]").value.trim() }));
    // The date picked is a day in the browser's time zone: its start, in UTC.
    const application = into ? { application_id: into.application_id } : { company: company.value.trim() || null, role: role.value.trim() || null, sent_at: dayStart(sent.value) };
    submit.disabled = true;
    try {
      const created = await api("/api/link-tracking/links/bulk", { method: "POST", body: JSON.stringify({ application, links }) });
      const all = created.links.map((l) => `${l.link_function}: ${l.redirect_url}`).join("\n");
      const block = h("textarea", { id: "all-urls", readonly: true, rows: created.links.length + 1 }, all);
      results.replaceChildren(h("h2", {}, "Tracked URLs"),
        h("p", {}, "For ", h("a", { href: `#/applications/${encodeURIComponent(created.application.application_id)}` }, created.application.label), ": put these in the résumé and the cover letter."),
        ...created.links.map(resultCard),
        h("label", { for: "all-urls" }, "All of them, ready to paste"), block,
        h("p", {}, h("button", { type: "button", onclick: async () => { await navigator.clipboard.writeText(all).catch(() => {}); say("All copied."); } }, "Copy all")));
      // Done: the form empties, so that a second press makes nothing twice.
      company.value = ""; role.value = ""; sent.value = localToday;
      rows.replaceChildren(); addRow("LinkedIn"); addRow("Portfolio"); addRow("Calendly");
      say(`${count(created.links.length, "link")} ${into ? "added to" : "created for"} ${created.application.label}.`);
    } catch (err) { error.textContent = err.message; }
    finally { submit.disabled = false; }
  };
  const form = h("form", { onsubmit: async (e) => {
      e.preventDefault();
      const submit = e.target.querySelector("button[type=submit]");
      if (!company.value.trim() && !role.value.trim()) { error.textContent = "Give the application a company or a role, so that you can find it again."; company.focus(); return; }
      submit.disabled = true;
      let existing = [];
      try {
        const q = new URLSearchParams({ company: company.value.trim(), role: role.value.trim() });
        existing = (await api(`/api/link-tracking/applications?${q}`)).applications;
      } catch (err) { error.textContent = err.message; submit.disabled = false; return; }
      submit.disabled = false;
      if (existing.length === 0) return create(submit);
      const found = existing[0];
      same.replaceChildren(
        h("p", {}, h("a", { href: `#/applications/${encodeURIComponent(found.application_id)}` }, found.label), ` already exists (${count(found.links, "link")}${found.sent_at ? `, sent ${new Date(found.sent_at).toLocaleDateString()}` : ""}).`),
        h("p", {},
          h("button", { type: "button", onclick: () => create(submit, found) }, `Add these links to ${found.label}`), " ",
          h("button", { type: "button", class: "secondary", onclick: () => create(submit) }, "Make a new application")));
      same.hidden = false;
      same.querySelector("button").focus();
    } },
    companyField, roleField, sentField,
    h("h2", {}, "Links"), rows,
    h("p", {}, h("button", { type: "button", class: "secondary", onclick: () => addRow() }, "Add a link"), " ", h("button", { type: "submit" }, "Create the application and its links")),
    same, error);
  main.append(form, results);
}

function resultCard(link) {
  return h("div", { class: "result" }, h("strong", {}, link.link_function), trackedUrlOf(link, { shown: true }));
}

// --- routing -----------------------------------------------------------------

/** Ends this browser's session (`everywhere`: every session of its key) and shows the sign-in page. */
async function signOut(everywhere) {
  const res = await fetch(everywhere ? "/dashboard/sessions" : "/dashboard/session", { method: "DELETE", credentials: "same-origin" });
  const body = await res.json().catch(() => ({}));
  session = null;
  location.hash = "#/";
  await route();
  if (everywhere && res.ok) say(`Signed out everywhere: ${count(body.sessions_ended, "session")} ended.`);
}

document.getElementById("signout").addEventListener("click", () => signOut(false));
document.getElementById("signout-everywhere").addEventListener("click", () => signOut(true));

/** Who is signed in, until when: under every page. */
function showAccount() {
  account.hidden = false;
  const until = session.remember ? ["remembered on this browser until ", when(session.expires_at)] : ["until this browser closes"];
  document.getElementById("account-text").replaceChildren("Signed in with the key ", h("strong", {}, session.name), ` (${session.scope}), `, ...until, ".");
}

/** What each event is, to the person choosing what a channel hears. */
const EVENT_NAMES = {
  "click.first_human": "An application or a link is opened for the first time",
  "click.returned": "Someone comes back after days",
  "click.assistant": "An AI assistant opens a link for someone",
  "link.orphan_hit": "A link cut short is hit",
  "link.destination_down": "A link leads nowhere (its page died)",
  "link.destination_up": "A dead link works again",
};
const FORMATS = {
  ntfy: { name: "ntfy (phone notifications)", url: "Topic URL", placeholder: "https://ntfy.sh/your-long-random-topic", token: "Access token (for a protected topic; optional)" },
  slack: { name: "Slack", url: "Incoming webhook URL", placeholder: "https://hooks.slack.com/services/…" },
  discord: { name: "Discord", url: "Channel webhook URL", placeholder: "https://discord.com/api/webhooks/…" },
  teams: { name: "Microsoft Teams", url: "Workflows webhook URL", placeholder: "https://….logic.azure.com/workflows/…" },
  "google-chat": { name: "Google Chat", url: "Space webhook URL", placeholder: "https://chat.googleapis.com/v1/spaces/…" },
  telegram: { name: "Telegram", token: "Bot token (from @BotFather)", chat: "Chat ID" },
  email: { name: "E-mail", url: "E-mail address", placeholder: "you@example.com", email: true },
  "standard-webhooks": { name: "A program (signed webhooks)", url: "Endpoint URL", placeholder: "https://jobs.example.com/hooks/link-tracker" },
};
/** The service a pasted URL belongs to, when it plainly says. */
function formatOfUrl(url) {
  try {
    const { hostname, pathname } = new URL(url);
    if (hostname === "hooks.slack.com") return "slack";
    if (/(^|\.)discord(app)?\.com$/.test(hostname) && pathname.startsWith("/api/webhooks/")) return "discord";
    if (hostname.endsWith(".logic.azure.com") || hostname.endsWith(".webhook.office.com") || hostname.endsWith(".powerplatform.com")) return "teams";
    if (hostname === "chat.googleapis.com") return "google-chat";
    if (hostname === "ntfy.sh" || hostname.startsWith("ntfy.")) return "ntfy";
  } catch {}
  return null;
}
const DEFAULT_HEARS = ["click.first_human", "click.returned", "click.assistant", "link.orphan_hit", "link.destination_down"];

function channelCard(c, reload) {
  const result = h("p", { role: "status" });
  const act = async (what, done) => {
    result.textContent = "";
    try { await what(); await reload(); say(done); } catch (err) { result.textContent = err.message; }
  };
  const name = FORMATS[c.format] ? FORMATS[c.format].name.replace(/ \(.*\)$/, "") : c.format;
  const state = c.paused ? h("span", { class: "badge waiting" }, "paused") : c.active ? h("span", { class: "badge human" }, "on") : h("span", { class: "badge" }, "off");
  const deliveries = h("details", {}, h("summary", {}, "Last deliveries"));
  deliveries.addEventListener("toggle", async () => {
    if (!deliveries.open || deliveries.dataset.loaded) return;
    deliveries.dataset.loaded = "1";
    const rows = await api(`/api/link-tracking/webhooks/${encodeURIComponent(c.id)}/deliveries`);
    deliveries.append(rows.length === 0 ? h("p", { class: "muted" }, "Nothing sent yet.") : table(["When", "What", "Result"], rows.slice(0, 10).map((d) => h("tr", {},
      h("td", {}, when(d.last_attempt_at || d.delivered_at)), h("td", {}, EVENT_NAMES[d.type] || d.type),
      h("td", {}, d.status === "delivered" ? "delivered" : `${d.status}${d.last_error ? `: ${d.last_error}` : ""}`)))));
  });
  return h("li", { class: "card channel" },
    h("h3", {}, name, " ", state),
    h("p", { class: "url" }, c.format === "telegram" ? `chat ${c.chat_id}` : c.url.replace(/^mailto:/i, "")),
    c.paused ? h("p", { class: "dead" }, c.paused.reason) : "",
    h("p", { class: "muted" }, "Hears: ", c.event_types.map((t) => EVENT_NAMES[t] ? EVENT_NAMES[t].toLowerCase() : t).join("; ")),
    c.digest ? h("p", { class: "muted" }, `${c.digest.only ? "Only a digest" : "And a digest"} each day at ${String(c.digest.hour).padStart(2, "0")}:00 (${c.digest.time_zone}).`) : "",
    h("p", { class: "actions" },
      h("button", { type: "button", "aria-label": `Send a test to ${name}`, onclick: async (e) => {
        e.target.disabled = true;
        result.textContent = "Sending…";
        try {
          const t = await api(`/api/link-tracking/webhooks/${encodeURIComponent(c.id)}/test`, { method: "POST" });
          result.textContent = t.delivered ? "The test arrived." : `The test did not arrive: ${t.error}.`;
        } catch (err) { result.textContent = err.message; }
        e.target.disabled = false;
      } }, "Send a test"), " ",
      c.paused || !c.active
        ? h("button", { type: "button", class: "secondary", "aria-label": `Resume ${name}`, onclick: () => act(() => api(`/api/link-tracking/webhooks/${encodeURIComponent(c.id)}`, { method: "PATCH", body: JSON.stringify({ active: true }) }), "Resumed.") }, "Resume")
        : h("button", { type: "button", class: "secondary", "aria-label": `Turn off ${name}`, onclick: () => act(() => api(`/api/link-tracking/webhooks/${encodeURIComponent(c.id)}`, { method: "PATCH", body: JSON.stringify({ active: false }) }), "Turned off.") }, "Turn off"), " ",
      h("button", { type: "button", class: "secondary danger", "aria-label": `Delete ${name}`, onclick: () => {
        if (confirm(`Delete this ${name} channel? It hears nothing more.`)) act(() => api(`/api/link-tracking/webhooks/${encodeURIComponent(c.id)}`, { method: "DELETE" }), "Channel deleted.");
      } }, "Delete")),
    result, deliveries);
}

function addChannelForm(reload) {
  const format = h("select", { id: "ch-format" }, Object.entries(FORMATS).map(([v, f]) => h("option", { value: v }, f.name)));
  const url = fieldOf("ch-url", "Topic URL", { type: "url", placeholder: FORMATS.ntfy.placeholder });
  const token = fieldOf("ch-token", "Access token", { autocomplete: "off", maxlength: 500 });
  const chat = fieldOf("ch-chat", "Chat ID", { maxlength: 40 });
  const hears = Object.entries(EVENT_NAMES).map(([type, label]) => {
    const box = h("input", { type: "checkbox", id: `hears-${type}`, value: type, ...(DEFAULT_HEARS.includes(type) ? { checked: "" } : {}) });
    return { box, node: h("div", { class: "check" }, box, h("label", { for: `hears-${type}` }, label)) };
  });
  const error = h("p", { class: "error", role: "alert" });
  const wrap = (field) => h("div", {}, ...field.nodes);
  const urlBox = wrap(url), tokenBox = wrap(token), chatBox = wrap(chat);
  // A morning digest, at an hour of this browser's time zone.
  const digest = h("input", { type: "checkbox", id: "ch-digest" });
  const hour = h("select", { id: "ch-hour" }, Array.from({ length: 24 }, (_, n) => h("option", { value: String(n), ...(n === 8 ? { selected: "" } : {}) }, `${String(n).padStart(2, "0")}:00`)));
  const only = h("input", { type: "checkbox", id: "ch-only" });
  const digestBox = h("fieldset", {}, h("legend", {}, "Morning digest"),
    h("div", { class: "check" }, digest, h("label", { for: "ch-digest" }, "Also one message a day with what happened")),
    h("label", { for: "ch-hour" }, `At (${TZ})`), hour,
    h("div", { class: "check" }, only, h("label", { for: "ch-only" }, "Only the digest, no single messages")));
  const show = () => {
    const f = FORMATS[format.value];
    urlBox.hidden = !f.url;
    if (f.url) { url.nodes[0].textContent = f.url; url.input.placeholder = f.placeholder; url.input.type = f.email ? "email" : "url"; }
    tokenBox.hidden = !f.token;
    if (f.token) token.nodes[0].textContent = f.token;
    chatBox.hidden = !f.chat;
    digestBox.hidden = format.value === "standard-webhooks";
  };
  format.addEventListener("change", show);
  // Pasting a Slack, Discord, Teams, Google Chat or ntfy URL picks the service.
  url.input.addEventListener("input", () => { const guess = formatOfUrl(url.input.value.trim()); if (guess && guess !== format.value) { format.value = guess; show(); } });
  show();
  return h("form", { class: "card", "aria-labelledby": "add-channel", onsubmit: async (e) => {
      e.preventDefault();
      error.textContent = "";
      const body = { format: format.value, event_types: hears.filter((x) => x.box.checked).map((x) => x.box.value) };
      const f = FORMATS[format.value];
      if (f.url) body.url = f.email && !/^mailto:/i.test(url.input.value.trim()) ? `mailto:${url.input.value.trim()}` : url.input.value.trim();
      if (f.token && token.input.value.trim()) body.token = token.input.value.trim();
      if (f.chat) body.chat_id = chat.input.value.trim();
      if (digest.checked && format.value !== "standard-webhooks") body.digest = { hour: Number(hour.value), time_zone: TZ, ...(only.checked ? { only: true } : {}) };
      if (body.event_types.length === 0) { error.textContent = "Choose at least one thing for it to hear."; return; }
      try {
        await api("/api/link-tracking/webhooks", { method: "POST", body: JSON.stringify(body) });
        await reload();
        say("Channel added: send a test to see it arrive.");
      } catch (err) { error.textContent = err.message; }
    } },
    h("h2", { id: "add-channel" }, "Add a channel"),
    h("label", { for: "ch-format" }, "Where"), format, urlBox, tokenBox, chatBox,
    h("fieldset", {}, h("legend", {}, "Tell me when"), hears.map((x) => x.node)),
    digestBox,
    h("p", {}, h("button", { type: "submit" }, "Add the channel")), error);
}

async function notificationsPage() {
  main.replaceChildren(h("h1", {}, "Notifications"));
  if (session.scope !== "admin") {
    main.append(h("p", { class: "empty" }, "Channels are set up with an admin key: sign in with one to add ntfy, Slack, Discord, Teams, Google Chat or Telegram."));
    return;
  }
  const channels = await api("/api/link-tracking/webhooks");
  const reload = () => notificationsPage();
  main.append(h("p", {}, "Be told on your phone or in your chat when a recruiter opens a link. Bots, mail scanners and your own clicks never notify."),
    channels.length === 0 ? h("p", { class: "empty" }, "No channel yet. The quickest: install the ntfy app, subscribe to a long random topic, and paste its URL below.")
      : h("ul", { class: "channels" }, channels.map((c) => channelCard(c, reload))),
    addChannelForm(reload));
}

async function route() {
  if (session === null) {
    try {
      const res = await fetch("/dashboard/session", { credentials: "same-origin" });
      const body = res.ok ? await res.json() : null;
      if (body && body.signed_in) session = body;
    } catch {}
  }
  const notes = session ? [localLinksWarning(), ownerHostNote()].filter(Boolean) : [];
  banner.hidden = notes.length === 0;
  banner.textContent = notes.join(" ");
  if (!session) return signInPage();
  showAccount();
  nav.hidden = false;
  const hash = location.hash || "#/";
  for (const a of nav.querySelectorAll("a")) a.setAttribute("aria-current", a.getAttribute("href") === hash ? "page" : "false");
  const [, page, id] = hash.split("/");
  try {
    if (page === "applications" && id) await applicationPage(decodeURIComponent(id));
    else if (page === "applications") await applicationsPage();
    else if (page === "links" && id) await linkPage(decodeURIComponent(id));
    else if (page === "orphans") await orphansPage();
    else if (page === "new") newApplicationPage();
    else if (page === "notifications") await notificationsPage();
    else await homePage();
    main.focus();
  } catch (err) {
    if (!session) return signInPage();
    main.replaceChildren(h("p", { class: "error", role: "alert" }, err.message));
  }
}

window.addEventListener("hashchange", route);
route();
