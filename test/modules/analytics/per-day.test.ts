import { describe, expect, test } from "bun:test";
import { clicksPerDay } from "../../../src/modules/analytics/service";
import { call, setup } from "../../utils";

const zero = { human: 0, assistant: 0, bot: 0, preview: 0, scanner: 0, owner: 0 };

describe("clicks per day, every day a bar", () => {
  test("days without clicks are zeros; kinds apart; at most 366 days", () => {
    const rows = [
      { day: "2026-11-01", kind: "human" as const, clicks: 2 },
      { day: "2026-11-01", kind: "scanner" as const, clicks: 3 },
      { day: "2026-11-04", kind: "human" as const, clicks: 1 },
    ];
    expect(clicksPerDay(rows, "2026-11-01", "2026-11-04")).toEqual([
      { day: "2026-11-01", ...zero, human: 2, scanner: 3 },
      { day: "2026-11-02", ...zero },
      { day: "2026-11-03", ...zero },
      { day: "2026-11-04", ...zero, human: 1 },
    ]);
    const long = clicksPerDay([], "2020-01-01", "2026-11-29");
    expect(long).toHaveLength(366);
    expect(long.at(-1)!.day).toBe("2026-11-29");
  });

  test("a link's analytics: from its first click (before the link existed, here) to today", async () => {
    const { app } = setup();
    await call(app, "/api/link-tracking/links", { json: { original_url: "https://x.com/", link_function: "LinkedIn", tracking_id: "pd-1" } });
    const threeDaysAgo = new Date(Date.now() - 3 * 86_400_000).toISOString();
    await call(app, "/api/link-tracking/record-click", { json: { tracking_id: "pd-1", clicked_at: threeDaysAgo, user_agent: "curl/8.5.0" } });
    await call(app, "/api/link-tracking/record-click", { json: { tracking_id: "pd-1", user_agent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36" } });
    const body = (await call(app, "/api/link-tracking/analytics/pd-1")).body;
    expect(body.clicks_per_day.map((d: any) => [d.human, d.bot])).toEqual([[0, 1], [0, 0], [0, 0], [1, 0]]);
    expect(body.clicks_per_day[0].day).toBe(threeDaysAgo.slice(0, 10));
  });
});

describe("days in the viewer's time zone (?tz=)", () => {
  test("a click at 23:30 UTC is on the next day in Berlin and the same day in Los Angeles; the overview's period is Berlin's whole days", async () => {
    const { app } = setup();
    await call(app, "/api/link-tracking/links", { json: { original_url: "https://x.com/", link_function: "LinkedIn", tracking_id: "tz-1" } });
    // Yesterday (UTC) at 23:30, a browser's click.
    const day = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const at = `${day}T23:30:00.000Z`;
    const ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";
    expect((await call(app, "/api/link-tracking/record-click", { json: { tracking_id: "tz-1", clicked_at: at, user_agent: ua } })).status).toBe(201);
    const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

    const berlin = (await call(app, "/api/link-tracking/analytics/tz-1?tz=Europe/Berlin")).body;
    expect(berlin.breakdowns.by_day).toEqual([{ day: next, clicks: 1 }]);
    expect(berlin.clicks_per_day.find((d: any) => d.human === 1).day).toBe(next);
    expect(berlin.filters.tz).toBe("Europe/Berlin");
    const utc = (await call(app, "/api/link-tracking/analytics/tz-1")).body;
    expect(utc.breakdowns.by_day).toEqual([{ day, clicks: 1 }]);
    expect((await call(app, "/api/link-tracking/analytics/tz-1?tz=America/Los_Angeles")).body.breakdowns.by_day).toEqual([{ day, clicks: 1 }]);

    const overview = (await call(app, "/api/link-tracking/analytics?tz=Europe/Berlin")).body;
    expect(overview.clicks_per_day).toEqual([{ day: next, clicks: 1 }]);
    expect(overview.period.tz).toBe("Europe/Berlin");
    // Berlin's midnight is 23:00 or 22:00 UTC: the period starts there, and ends just before one.
    expect(overview.period.from).toMatch(/T2[23]:00:00\.000Z$/);
    expect(overview.period.to).toMatch(/T2[23]:59:59\.999Z$/);
  });

  test.each([["Mars/Olympus"], ["Europe/Berlin!"], ["" + "x".repeat(70)]])("tz=%s is a 400 naming it", async (tz) => {
    const { app } = setup();
    await call(app, "/api/link-tracking/links", { json: { original_url: "https://x.com/", link_function: "LinkedIn", tracking_id: "tz-2" } });
    for (const path of [`/api/link-tracking/analytics/tz-2?tz=${encodeURIComponent(tz)}`, `/api/link-tracking/analytics?tz=${encodeURIComponent(tz)}`]) {
      const res = await call(app, path);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe(`tz must be an IANA time zone such as Europe/Berlin: ${tz.slice(0, 64)} is not one`);
    }
  });
});
