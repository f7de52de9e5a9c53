import { expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { createLogger, failureLog, type Logger } from "../../src/lib/log";
import { freshPgliteDb } from "../postgres-utils";

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

test("a failed query's log line says what failed, never the values it was given or the row the database quotes", async () => {
  const { db } = await freshPgliteDb();
  // Two clicks with one id: the second is refused, and PostgreSQL would quote its row.
  const [id, ip, agent] = ["00000000-0000-4000-8000-000000000001", "198.51.100.77", "SecretAgent/1.0"];
  const insert = () => db.execute(sql`insert into link_clicks (click_id, tracking_id, ip_address, user_agent) values (${id}::uuid, 'x', ${ip}::inet, ${agent})`);
  await insert();
  const error = (await insert().catch((e: unknown) => e)) as Error;
  expect(String(error.message)).toContain("198.51.100.77");
  const lines: string[] = [];
  const log = createLogger("info", { write: (line: string) => lines.push(line) });
  log.warn({ err: error }, "could not store the clicks");
  log.warn({ error }, "could not store the clicks");
  expect(lines).toHaveLength(2);
  for (const line of lines) {
    expect(line).toContain("Failed query: insert into link_clicks");
    expect(line).toContain('"code":"23505"');
    expect(line).not.toContain("198.51.100.77");
    expect(line).not.toContain("SecretAgent");
  }
});
