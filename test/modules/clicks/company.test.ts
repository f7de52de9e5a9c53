import { describe, expect, test } from "bun:test";
import { fromCompanyNetwork, nameWords } from "../../../src/modules/clicks/company";
import { call, KEY, setup } from "../../utils";

// Company as the job seeker typed it, the network's organisation and AS as the location data names them.
const MATCHES: [string, string, number][] = [
  ["Siemens", "Siemens AG", 15751],
  ["SAP", "SAP SE", 13055],
  ["Deutsche Bank", "Deutsche Bank AG", 31224],
  ["Bank of America", "Bank of America, National Association", 10794],
  ["Nestlé", "Nestle S.A.", 50595],
  ["BMW", "Bayerische Motoren Werke AG / BMW", 35533],
  ["ING", "ING Bank N.V.", 15625],
  ["Robert Bosch GmbH", "Robert Bosch GmbH", 15499],
  ["Procter & Gamble", "The Procter and Gamble Company", 11487],
  ["allianz", "ALLIANZ SE", 48421],
];
const NEAR_MISSES: [string, string, number, string][] = [
  ["Deutsche Bank", "Deutsche Telekom AG", 3320, "a shared first word"],
  ["Bank", "Bank of America, National Association", 10794, "a generic word alone"],
  ["Acme Group", "Group Health Cooperative", 1234, "only the generic word in common"],
  ["Amazon", "Amazon.com, Inc.", 16509, "a cloud network"],
  ["Microsoft", "Microsoft Corporation", 8075, "Azure shares Microsoft's AS"],
  ["Google", "Google LLC", 15169, "a cloud network"],
  ["SAP", "SAPPHIRE TELECOM", 64512, "a word inside another"],
  ["Siemens Energy", "Siemens AG", 15751, "the company's other word is missing"],
  ["Initech", "Deutsche Telekom AG", 3320, "nothing in common"],
];

describe("from the company's own network", () => {
  test.each(MATCHES)("%s ~ %s", (company, network, asn) => expect(fromCompanyNetwork(company, { asn, network })).toBe(true));
  test.each(NEAR_MISSES)("%s ≁ %s (AS%d: %s)", (company, network, asn) => expect(fromCompanyNetwork(company, { asn, network })).toBe(false));

  test("no company, no network: no match", () => {
    expect(fromCompanyNetwork(null, { asn: 1, network: "Siemens AG" })).toBe(false);
    expect(fromCompanyNetwork("Siemens", { asn: null, network: null })).toBe(false);
  });

  test("names as words: case, accents, punctuation, legal forms and common words aside", () => {
    expect(nameWords("Nestlé S.A.")).toEqual(["nestle"]);
    expect(nameWords("The Procter & Gamble Company")).toEqual(["procter", "gamble"]);
    expect(nameWords("Dr. Ing. h.c. F. Porsche AG")).toEqual(["dr", "ing", "h", "c", "f", "porsche"]);
  });
});

describe("company_network in the answers", () => {
  test("the visit, the first-human event and the CSV say a person's click came from the company's network", async () => {
    const { app, store } = setup({ signalHoldSeconds: 0 });
    const application = "e5e5e5e5-0000-4000-8000-000000000005";
    await call(app, "/api/link-tracking/links/bulk", {
      json: { application: { application_id: application, company: "Siemens", role: "Engineer" }, links: [{ tracking_id: "siemens-cv", link_function: "LinkedIn", original_url: "https://example.com/" }] },
    });
    const base = { trackingId: "siemens-cv", receivedAt: new Date().toISOString(), origin: "ingest" as const, visitorKind: "human" as const, outcome: "redirected" as const };
    await store.clicks.insert([
      { ...base, clickId: crypto.randomUUID(), idempotencyKey: "c1", clickedAt: new Date(Date.now() - 3600_000).toISOString(), sessionId: "a", country: "DE", asn: 15751, network: "Siemens AG" },
      { ...base, clickId: crypto.randomUUID(), idempotencyKey: "c2", clickedAt: new Date().toISOString(), sessionId: "b", country: "DE", asn: 3320, network: "Deutsche Telekom AG" },
    ]);
    const rollup = await call(app, `/api/link-tracking/analytics/applications/${application}`);
    expect(rollup.body.visits.map((v: { network: string; company_network: boolean }) => [v.network, v.company_network])).toEqual([
      ["Siemens AG", true],
      ["Deutsche Telekom AG", false],
    ]);
    const feed = await call(app, "/api/link-tracking/events");
    const first = feed.body.events.find((e: { type: string; data: { scope?: string } }) => e.type === "click.first_human" && e.data.scope === "application");
    expect(first.data.click).toMatchObject({ network: "Siemens AG", company_network: true });
    const csv = await (await app.handle(new Request("http://localhost/api/link-tracking/clicks.csv", { headers: { "x-api-key": KEY } }))).text();
    const [header, ...rows] = csv.trim().split("\r\n");
    expect(header!.split(",").at(-1)).toBe("company_network");
    expect(rows.map((r) => r.split(",").at(-1)).sort()).toEqual(["false", "true"]);
  });
});
