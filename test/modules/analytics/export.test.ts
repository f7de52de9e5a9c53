import { describe, expect, test } from "bun:test";
import { csvCell, csvRow } from "../../../src/lib/csv";
import { call, setup } from "../../utils";

describe("CSV cells", () => {
  test.each([
    ["plain", "plain"],
    ['say "hi"', '"say ""hi"""'],
    ["a,b", '"a,b"'],
    ["two\nlines", '"two\nlines"'],
    ["=SUM(A1)", "'=SUM(A1)"],
    ["+1", "'+1"],
    ["-1", "'-1"],
    ["@cmd", "'@cmd"],
    ['=HYPERLINK("x")', `"'=HYPERLINK(""x"")"`],
    // A formula after leading blanks still runs in a spreadsheet.
    [" =1+1", "' =1+1"],
    ["\n=cmd|' /C calc'!A0", `"'\n=cmd|' /C calc'!A0"`],
    ["\t@SUM(A1)", "'\t@SUM(A1)"],
    ["\r+1", `"'\r+1"`],
    ["\u00a0-2", "'\u00a0-2"],
    [" plain", " plain"],
    ["a=1", "a=1"],
    [null, ""],
    [42, "42"],
  ])("%p → %p", (input, expected) => {
    expect(csvCell(input)).toBe(expected);
  });

  test("rows end in CRLF", () => {
    expect(csvRow(["a", "b"])).toBe("a,b\r\n");
  });
});

describe("GET /api/link-tracking/clicks.csv", () => {
  test("streams the clicks of a link, human only unless asked", async () => {
    const { app } = setup();
    await call(app, "/api/link-tracking/links", { json: { original_url: "https://x.com", link_function: "LinkedIn", tracking_id: "e1" } });
    await app.handle(new Request("http://localhost/linkedin?uuid=e1&utm_source=mail", { headers: { "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0", "accept-language": "en" } }));
    await app.handle(new Request("http://localhost/linkedin?uuid=e1", { headers: { "user-agent": "Googlebot/2.1" } }));
    const res = await app.handle(new Request("http://localhost/api/link-tracking/clicks.csv?tracking_id=e1", { headers: { "x-api-key": "test-key-0123456789abcdef" } }));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    const lines = (await res.text()).trimEnd().split("\r\n");
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(',human,');
    expect(lines[1]).toContain('"{""utm_source"":""mail""}"');
    const all = await app.handle(new Request("http://localhost/api/link-tracking/clicks.csv?include_bots=true", { headers: { "x-api-key": "test-key-0123456789abcdef" } }));
    expect((await all.text()).trimEnd().split("\r\n")).toHaveLength(3);
  });

  test.each([["from=yesterday"], ["include_bots=maybe"], ["job_id=42"], ["from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z"]])("%s is a 400", async (q) => {
    const { app } = setup();
    const res = await call(app, `/api/link-tracking/clicks.csv?${q}`);
    expect(res.status).toBe(400);
    expect(typeof res.body.error).toBe("string");
  });
});
