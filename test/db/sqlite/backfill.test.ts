/**
 * A database of an earlier release (clicks in link_clicks, no roll-ups) gets its roll-ups
 * filled in by the backfill, a slice at a time, while new clicks keep coming: the counts
 * then equal a count from scratch, none counted twice.
 */
import { expect, test } from "bun:test";
import { describe as describeClick } from "../../../src/db/describe";
import { backfillSlice, backfillState, treatAsUpgraded } from "../../../src/db/sqlite/rollups";
import { openSqliteStore } from "../../../src/db/sqlite/store";
import { click, link } from "../store/conformance";

const AGENTS = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0 Safari/537.36", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1", null];
const REFERRERS = ["https://mail.google.com/mail/u/0/", "https://www.linkedin.com/feed/", null];

test("the backfill counts an older database's clicks once, in slices, with new clicks coming meanwhile", async () => {
  const store = openSqliteStore(":memory:");
  const sqlite = store.db.$client;
  await store.links.insert(["b1", "b2", "b3"].map((id) => link(id)));
  // 3,000 clicks written as an older release wrote them: no description, no roll-ups.
  const insert = sqlite.prepare(
    `insert into link_clicks (click_id, tracking_id, clicked_at, received_at, user_agent, referrer_url, session_id, click_source, metadata, is_bot, visitor_kind, origin, outcome, country, asn, network)
     values (?, ?, ?, ?, ?, ?, ?, 'linkedin', '{}', 0, ?, 'redirect', 'redirected', ?, ?, ?)`,
  );
  const t0 = Date.parse("2026-11-01T00:00:00Z");
  for (let i = 0; i < 3000; i++) {
    const at = new Date(t0 + ((i * 7919) % (10 * 86_400)) * 1000).toISOString();
    insert.run(crypto.randomUUID(), `b${(i % 3) + 1}`, at, at, AGENTS[i % 3], REFERRERS[i % 3], i % 5 === 0 ? null : `s${i % 40}`, i % 4 === 0 ? "bot" : "human", i % 2 ? "DE" : null, i % 2 ? 3320 : null, i % 2 ? "Deutsche Telekom AG" : null);
  }
  treatAsUpgraded(store.db);
  expect(backfillState(store.db)?.up_to).toBe(3000);
  let slices = 0;
  for (;;) {
    // Budget 0: one chunk a slice; a new click comes between two.
    const counted = backfillSlice(store.db, 0);
    if (counted === null) break;
    slices++;
    await store.clicks.insert([click("b1", 60 * 24 * 3 + slices, { origin: "ingest", idempotencyKey: `new-${slices}`, userAgent: AGENTS[0], referrerUrl: REFERRERS[1], sessionId: "fresh" })]);
  }
  expect(slices).toBeGreaterThan(1);
  expect(backfillState(store.db)).toBeNull();

  const rows = sqlite.query<{ tracking_id: string; visitor_kind: string; user_agent: string | null; referrer_url: string | null; session_id: string | null; country: string | null }, []>(
    "select tracking_id, visitor_kind, user_agent, referrer_url, session_id, country from link_clicks where outcome = 'redirected'",
  ).all();
  for (const id of ["b1", "b2", "b3"]) {
    const own = rows.filter((r) => r.tracking_id === id && r.visitor_kind === "human");
    const totals = await store.clicks.totals({ trackingIds: [id], kinds: ["human"] }, "2026-12-30T00:00:00Z", "2026-12-30T00:00:00Z");
    expect(totals.total).toBe(own.length);
    expect(totals.sessions).toBe(new Set(own.map((r) => r.session_id).filter((s) => s !== null)).size);
    const counts = (values: (string | null)[]) => {
      const m = new Map<string | null, number>();
      for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
      return [...m].map(([value, clicks]) => ({ value, clicks }));
    };
    const filter = { trackingIds: [id], kinds: ["human" as const] };
    expect(await store.clicks.countsBy(filter, "browser")).toEqual(expect.arrayContaining(counts(own.map((r) => describeClick(r.user_agent, null).browser))));
    expect((await store.clicks.countsBy(filter, "browser")).length).toBe(counts(own.map((r) => describeClick(r.user_agent, null).browser)).length);
    expect(await store.clicks.countsBy(filter, "referrer")).toEqual(expect.arrayContaining(counts(own.map((r) => describeClick(null, r.referrer_url).referrerDomain || null))));
    expect(await store.clicks.countsBy(filter, "country")).toEqual(expect.arrayContaining(counts(own.map((r) => r.country))));
  }
  const all = await store.clicks.countsBy({}, "kind");
  expect(all.reduce((n, r) => n + r.clicks, 0)).toBe(rows.length);
  await store.close();
});
