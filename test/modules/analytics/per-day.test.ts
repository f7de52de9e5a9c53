import { describe, expect, test } from "bun:test";
import { clicksPerDay } from "../../../src/modules/analytics/service";
import { call, setup } from "../../utils";

const zero = { human: 0, bot: 0, preview: 0, scanner: 0, owner: 0 };

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
