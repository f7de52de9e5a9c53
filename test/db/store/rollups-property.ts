/**
 * The roll-ups are exact: for random histories of clicks (every kind, Do Not Track,
 * orphans, redirect and ingest paths, reclassification, places found later, attribution,
 * erasure, retention, a link deleted), every count the analytics read equals a count from
 * scratch over the clicks link_clicks holds (read through the export, which reads
 * link_clicks itself), for random periods, links, kinds and time zones.
 */
import { expect, test } from "bun:test";
import fc from "fast-check";
import { describe as describeClick } from "../../../src/db/describe";
import { EXPORT_COLUMNS, type ClickFilter, type CountDimension, type NewClick, type Store, type VisitorKind } from "../../../src/db/store";
import { localDay } from "../../../src/lib/zone";
import { FC_SEED } from "../../utils";
import { click, link } from "./conformance";

fc.configureGlobal({ seed: FC_SEED });

const LINKS = ["pa", "pb", "pc"];
/** pa and pb belong to one application at first; pb and pc may move to another, or out. */
const APP = "a0000000-0000-4000-8000-00000000000a";
const APP2 = "a0000000-0000-4000-8000-00000000000b";
const ORPHANS = ["pa-cut", "zz"];
const KINDS: VisitorKind[] = ["human", "human", "human", "assistant", "bot", "preview", "scanner", "owner"];
const AGENTS = [
  null,
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
  "LinkedInBot/1.0",
];
const REFERRERS = [null, "https://mail.google.com/mail/u/0/", "https://www.linkedin.com/feed/", "not a url"];
const PLACES = [
  { country: null, asn: null, network: null },
  { country: "DE", asn: 3320, network: "Deutsche Telekom AG" },
  { country: "US", asn: 15169, network: "Google LLC" },
];
const IPS = ["198.51.100.1", "198.51.100.2", "203.0.113.9"];
const ZONES = ["UTC", "Europe/Berlin", "America/Los_Angeles", "Asia/Kolkata", "Asia/Kathmandu"];
/** Nine days from T0 (2026-03-02T10:00Z): Los Angeles moves its clocks in them (2026-03-08). */
const SPAN_MIN = 9 * 24 * 60;

/**
 * A minute of the span: anywhere, or near an hour's start (where the grains meet: a click
 * counted in the wrong hour shows only when a period's end falls between the two).
 */
const minuteArb = (min: number, max: number) =>
  fc.oneof(
    fc.double({ min, max, noNaN: true }),
    fc.integer({ min: Math.ceil(min / 60), max: Math.floor(max / 60) }).chain((h) => fc.double({ min: Math.max(min, h * 60 - 12), max: Math.min(max, h * 60 + 12), noNaN: true })),
  );
const clickArb = fc.record({
  link: fc.constantFrom(...LINKS, ...ORPHANS),
  minute: minuteArb(-60, SPAN_MIN),
  kind: fc.constantFrom(...KINDS),
  session: fc.constantFrom(null, "s1", "s2", "s3"),
  agent: fc.constantFrom(...AGENTS),
  referrer: fc.constantFrom(...REFERRERS),
  source: fc.constantFrom(null, "linkedin", "email"),
  place: fc.constantFrom(...PLACES),
  ip: fc.constantFrom(...IPS),
  way: fc.constantFrom("record", "insert"),
});

const opArb = fc.oneof(
  { weight: 6, arbitrary: fc.array(clickArb, { minLength: 1, maxLength: 8 }).map((clicks) => ({ op: "clicks" as const, clicks })) },
  { weight: 1, arbitrary: fc.nat(20).map((n) => ({ op: "reclassify" as const, n })) },
  { weight: 1, arbitrary: fc.constantFrom(...IPS).map((ip) => ({ op: "erase" as const, ip })) },
  { weight: 1, arbitrary: fc.record({ minute: fc.integer({ min: 0, max: SPAN_MIN }), limit: fc.integer({ min: 1, max: 5 }) }).map((r) => ({ op: "retain" as const, ...r })) },
  { weight: 1, arbitrary: fc.constantFrom(...ORPHANS).map((orphan) => ({ op: "attribute" as const, orphan })) },
  { weight: 1, arbitrary: fc.constantFrom(...PLACES).map((place) => ({ op: "locate" as const, place })) },
  { weight: 1, arbitrary: fc.constant({ op: "delete-link" as const }) },
  { weight: 2, arbitrary: fc.record({ link: fc.constantFrom("pb", "pc"), to: fc.constantFrom(APP, APP2, null), read: fc.boolean() }).map((r) => ({ op: "move" as const, ...r })) },
  // Where a store counts its roll-ups a moment after the write (PostgreSQL): now.
  { weight: 2, arbitrary: fc.constant({ op: "settle" as const }) },
);

/**
 * A history; half of them end counted (settled), so that the reads come from the roll-ups
 * alone, not from the clicks a store has not counted yet (PostgreSQL counts in the background).
 */
const historyArb = fc
  .tuple(fc.array(opArb, { minLength: 1, maxLength: 12 }), fc.boolean())
  .map(([ops, settled]) => (settled ? [...ops, { op: "settle" as const }] : ops));

const filterArb = fc.record({
  links: fc.subarray(LINKS, { minLength: 1 }),
  from: fc.option(minuteArb(-120, SPAN_MIN + 60), { nil: undefined }),
  length: fc.option(fc.double({ min: 0, max: SPAN_MIN + 120, noNaN: true }), { nil: undefined }),
  human: fc.boolean(),
  tz: fc.constantFrom(...ZONES),
});

type Row = Record<(typeof EXPORT_COLUMNS)[number], unknown>;

async function storedClicks(store: Store): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const page of store.clicks.exportPages({})) for (const r of page) rows.push(Object.fromEntries(EXPORT_COLUMNS.map((c, i) => [c, r[i]])) as Row);
  return rows;
}

/** Counts of `rows` by `key`, largest first, as the store answers countsBy. */
function countBy(rows: Row[], key: (r: Row) => string | null) {
  const totals = new Map<string | null, number>();
  for (const r of rows) totals.set(key(r), (totals.get(key(r)) ?? 0) + 1);
  return [...totals].map(([value, clicks]) => ({ value, clicks }));
}
const sorted = <T extends { value: string | null; clicks: number }>(rows: T[]) => [...rows].sort((a, b) => String(a.value).localeCompare(String(b.value)) || a.clicks - b.clicks);

const DIMENSION_OF: Record<Exclude<CountDimension, "kind">, (r: Row) => string | null> = {
  source: (r) => (r.click_source as string | null) ?? null,
  referrer: (r) => describeClick(null, r.referrer_url as string | null).referrerDomain || null,
  browser: (r) => describeClick(r.user_agent as string | null, null).browser,
  os: (r) => describeClick(r.user_agent as string | null, null).os,
  device: (r) => describeClick(r.user_agent as string | null, null).device,
  country: (r) => (r.country as string | null) ?? null,
  network: (r) => (r.asn === null || r.asn === undefined ? null : `${r.asn} ${r.network ?? ""}`),
};

export function rollupsProperty(name: string, fresh: () => Promise<Store>, runs: number) {
  test(`${name}: every count from the roll-ups equals a count from scratch over link_clicks`, async () => {
    const T0 = Date.parse(click("x", 0).clickedAt);
    const iso = (minute: number) => new Date(T0 + minute * 60_000).toISOString();
    await fc.assert(
      fc.asyncProperty(historyArb, fc.array(filterArb, { minLength: 3, maxLength: 3 }), async (ops, filters) => {
        const store = await fresh();
        await store.links.insert(LINKS.map((id) => link(id, id === "pc" ? {} : { applicationId: APP })));
        const ids: string[] = [];
        const live = new Set(LINKS);
        const applicationOf = new Map<string, string | null>(LINKS.map((id) => [id, id === "pc" ? null : APP]));
        for (const op of ops) {
          if (op.op === "clicks") {
            const made = op.clicks.map((c): NewClick => {
              const linked = LINKS.includes(c.link);
              return click(c.link, c.minute, {
                visitorKind: c.kind,
                sessionId: c.session,
                userAgent: c.agent,
                referrerUrl: c.referrer,
                clickSource: c.source,
                ipAddress: c.ip,
                ...c.place,
                outcome: linked ? "redirected" : "not_found",
                origin: c.way === "record" ? "redirect" : "ingest",
                idempotencyKey: c.way === "record" ? null : crypto.randomUUID(),
              });
            });
            ids.push(...made.map((c) => c.clickId));
            const records = made.filter((c) => c.origin === "redirect");
            const inserts = made.filter((c) => c.origin === "ingest");
            if (records.length > 0) await store.clicks.record(records);
            if (inserts.length > 0) await store.clicks.insert(inserts);
          } else if (op.op === "reclassify") {
            const some = ids.filter((_, i) => i % 3 === op.n % 3);
            // A burst found (humans become a scanner's), or stored bots found to be an assistant's.
            if (op.n % 2 === 0) await store.clicks.reclassify(some, "scanner", "a burst");
            else await store.clicks.reclassify(some, "assistant", "an assistant", undefined, "bot");
          }
          else if (op.op === "erase") await store.clicks.deleteFromIp(op.ip);
          else if (op.op === "retain") await store.clicks.deleteBefore(iso(op.minute), op.limit);
          else if (op.op === "attribute") await store.clicks.attributeOrphan(op.orphan, "pa");
          else if (op.op === "settle") await store.clicks.settle?.();
          else if (op.op === "move") {
            // Read first, or not: the link's clicks counted before it moves, or after.
            if (op.read) await store.clicks.countsBy({}, "kind");
            if (await store.links.update(op.link, { applicationId: op.to, updatedAt: iso(SPAN_MIN) })) applicationOf.set(op.link, op.to);
          }
          else if (op.op === "locate") {
            const some = (await store.clicks.unlocated(null, 3)).map((c) => ({ clickId: c.clickId, ...op.place, city: null }));
            await store.clicks.setPlaces(some);
          } else {
            await store.links.deleteWithClicks("pc");
            live.delete("pc");
          }
        }

        const rows = await storedClicks(store);
        for (const f of filters) {
          const from = f.from === undefined ? undefined : iso(f.from);
          const to = f.from === undefined || f.length === undefined ? undefined : iso(f.from + f.length);
          const kinds: VisitorKind[] | undefined = f.human ? ["human"] : undefined;
          const filter: ClickFilter = { trackingIds: f.links, from, to, kinds };
          const inRange = (r: Row) => (!from || (r.clicked_at as string) >= from) && (!to || (r.clicked_at as string) <= to);
          const mine = rows.filter((r) => f.links.includes(r.tracking_id as string) && inRange(r));
          const counted = mine.filter((r) => !kinds || kinds.includes(r.visitor_kind as VisitorKind));
          const context = JSON.stringify({ ops, f });

          expect(sorted(await store.clicks.countsBy(filter, "kind")), context).toEqual(sorted(countBy(mine.filter((r) => !kinds || kinds.includes(r.visitor_kind as VisitorKind)), (r) => r.visitor_kind as string)));
          for (const [dimension, key] of Object.entries(DIMENSION_OF)) {
            expect(sorted(await store.clicks.countsBy(filter, dimension as CountDimension)), `${dimension} ${context}`).toEqual(sorted(countBy(counted, key)));
          }
          const totals = await store.clicks.totals(filter, iso(SPAN_MIN - 24 * 60), iso(SPAN_MIN - 7 * 24 * 60));
          const times = counted.map((r) => r.clicked_at as string).sort();
          expect(totals, context).toEqual({
            total: counted.length,
            sessions: new Set(counted.map((r) => r.session_id).filter((s) => s !== null)).size,
            first: times[0] ?? null,
            last: times.at(-1) ?? null,
            last24h: times.filter((t) => t >= iso(SPAN_MIN - 24 * 60)).length,
            last7d: times.filter((t) => t >= iso(SPAN_MIN - 7 * 24 * 60)).length,
          });
          const span = { from: from ?? iso(-180), to: to ?? iso(SPAN_MIN + 180) };
          const days = await store.clicks.perDay({ ...filter, ...span }, f.tz);
          const expected = countBy(
            counted.filter((r) => (r.clicked_at as string) >= span.from && (r.clicked_at as string) <= span.to),
            (r) => `${localDay(f.tz, Date.parse(r.clicked_at as string))} ${r.visitor_kind}`,
          );
          expect(sorted(days.map((d): { value: string | null; clicks: number } => ({ value: `${d.day} ${d.kind}`, clicks: d.clicks }))), `perDay ${context}`).toEqual(sorted(expected));
          // Every link's human clicks in the period, as the overview ranks them.
          const period = { from: from ?? iso(-180), to: to ?? iso(SPAN_MIN + 180) };
          const top = await store.clicks.topLinksIn(period, 10);
          const humans = countBy(
            rows.filter((r) => live.has(r.tracking_id as string) && r.visitor_kind === "human" && (r.clicked_at as string) >= period.from && (r.clicked_at as string) <= period.to),
            (r) => r.tracking_id as string,
          );
          expect(sorted(top.map((t): { value: string | null; clicks: number } => ({ value: t.trackingId, clicks: t.clicks }))), `top ${context}`).toEqual(sorted(humans));
          const global = await store.clicks.countsBy({ from: period.from, to: period.to, kinds }, "country");
          const everywhere = rows.filter((r) => (r.clicked_at as string) >= period.from && (r.clicked_at as string) <= period.to && (!kinds || kinds.includes(r.visitor_kind as VisitorKind)));
          expect(sorted(global), `global country ${context}`).toEqual(sorted(countBy(everywhere, DIMENSION_OF.country)));
        }
        // Where each application stands, as the dashboard's home page shows it: with the links it has now.
        const activities = await store.clicks.applicationActivity(2, [APP, APP2]);
        let opened = 0;
        let cameBack = 0;
        for (const app of [APP, APP2]) {
          const own = rows.filter((r) => live.has(r.tracking_id as string) && applicationOf.get(r.tracking_id as string) === app && r.visitor_kind === "human");
          const activity = activities.find((a) => a.applicationId === app);
          const anonymous = own.filter((r) => r.session_id === null).length;
          const times = own.map((r) => Date.parse(r.clicked_at as string)).sort((a, b) => a - b);
          const back = times.some((t, i) => i > 0 && t - times[i - 1] > 2 * 86_400_000);
          if (own.length > 0) opened++;
          if (back) cameBack++;
          expect(activity ?? null, `activity of ${app} ${JSON.stringify(ops)}`).toEqual(
            own.length === 0
              ? null
              : {
                  applicationId: app,
                  visitors: new Set(own.map((r) => r.session_id).filter((x) => x !== null)).size + anonymous,
                  visits: new Set(own.filter((r) => r.session_id !== null).map((r) => `${r.session_id} ${(r.clicked_at as string).slice(0, 10)}`)).size + anonymous,
                  cameBack: back,
                },
          );
        }
        const standings = await store.clicks.applicationStandings(2);
        expect(standings, `standings ${JSON.stringify(ops)}`).toEqual({ opened, cameBack });
        const perLink = await store.clicks.perLinkKindCounts(LINKS);
        for (const id of LINKS) {
          const own = rows.filter((r) => r.tracking_id === id);
          const human = own.filter((r) => r.visitor_kind === "human").map((r) => r.clicked_at as string).sort();
          const row = perLink.find((p) => p.trackingId === id && p.kind === "human");
          expect(row ? { clicks: row.clicks, first: row.first, last: row.last } : null).toEqual(human.length > 0 ? { clicks: human.length, first: human[0], last: human.at(-1)! } : null);
        }
      }),
      { numRuns: runs, endOnFailure: !!process.env.NO_SHRINK },
    );
  }, 120_000);
}
