import { expect, test } from "bun:test";
import { failureLog, type Logger } from "../../src/lib/log";

test("a failure that repeats every second is logged when it begins, once a minute after, and its end once", () => {
  const lines: [string, Record<string, unknown>, string][] = [];
  const log = {
    error: (fields: Record<string, unknown>, msg: string) => lines.push(["error", fields, msg]),
    warn: (fields: Record<string, unknown>, msg: string) => lines.push(["warn", fields, msg]),
    info: (fields: Record<string, unknown>, msg: string) => lines.push(["info", fields, msg]),
  } as unknown as Logger;
  const rounds = failureLog(log, "webhook delivery round", 60_000);
  rounds.ok();
  expect(lines).toEqual([]);
  for (let i = 0; i < 5; i++) rounds.failed(new Error("connect ECONNREFUSED"));
  expect(lines.map(([level, , msg]) => [level, msg])).toEqual([["error", "webhook delivery round failed; trying again"]]);
  rounds.ok();
  rounds.ok();
  expect(lines.map(([level, , msg]) => [level, msg]).at(-1)).toEqual(["info", "webhook delivery round works again"]);
  expect(lines).toHaveLength(2);
  rounds.failed(new Error("again"), "warn");
  expect(lines.at(-1)?.[0]).toBe("warn");
});
