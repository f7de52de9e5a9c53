/**
 * Requests to addresses someone else chose (lib/outbound.ts): the name resolved once and
 * the connection made to the address checked; private addresses refused, the receiver
 * getting nothing; bodies read up to a bound; a silent receiver timed out. Loopback only.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { isNonPublicIp } from "../../src/lib/ip";
import { send } from "../../src/lib/outbound";

const got: { host: string | null; body: string }[] = [];
const receiver = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch(req) {
    got.push({ host: req.headers.get("host"), body: await req.text() });
    const { pathname } = new URL(req.url);
    if (pathname === "/big") return new Response("x".repeat(1_000_000));
    if (pathname === "/silent") return Bun.sleep(2000).then(() => new Response("late"));
    return new Response("fine", { status: 202, headers: { "retry-after": "7" } });
  },
});
afterAll(() => receiver.stop(true));

const base = { method: "POST" as const, timeoutMs: 1000, hint: "set IT_ALLOW=true" };

describe("an outbound request", () => {
  test("the name is resolved once and the connection goes to the address that was checked; the Host is the name", async () => {
    const answers = [[{ address: "127.0.0.1", family: 4 as const }], [{ address: "127.0.0.2", family: 4 as const }]];
    let asked = 0;
    got.length = 0;
    const res = await send(`http://hooks.example.test:${receiver.port}/in`, { ...base, body: "{}", allowPrivate: true, resolver: async () => answers[asked++]! });
    expect(res).toMatchObject({ ok: true, status: 202, body: "fine", headers: { "retry-after": "7" } });
    expect(asked).toBe(1);
    expect(got).toEqual([{ host: `hooks.example.test:${receiver.port}`, body: "{}" }]);
  });

  test.each([
    ["a name that resolves to loopback", "http://rebind.example.test:PORT/", "refused: rebind.example.test resolves to a private address; set IT_ALLOW=true"],
    ["localhost", "http://localhost:PORT/", "refused: localhost is local; set IT_ALLOW=true"],
    ["IPv4 inside IPv6 (::/96)", "http://[::127.0.0.1]:PORT/", "refused: ::7f00:1 resolves to a private address; set IT_ALLOW=true"],
    ["the cloud's metadata service", "http://169.254.169.254/latest", "refused: 169.254.169.254 resolves to a private address; set IT_ALLOW=true"],
  ])("%s is refused without the setting, and nothing is sent", async (_name, url, error) => {
    got.length = 0;
    const res = await send(url.replace("PORT", String(receiver.port)), { ...base, allowPrivate: false, resolver: async () => [{ address: "127.0.0.1", family: 4 }] });
    expect(res).toEqual({ ok: false, error, code: "REFUSED" });
    expect(got).toEqual([]);
  });

  test("a huge answer is read up to the bound; a silent receiver is timed out; an unknown name says so", async () => {
    const big = await send(`http://127.0.0.1:${receiver.port}/big`, { ...base, method: "GET", allowPrivate: true });
    expect(big.ok && big.body.length).toBe(64 * 1024);
    const silent = await send(`http://127.0.0.1:${receiver.port}/silent`, { ...base, method: "GET", timeoutMs: 300, allowPrivate: true });
    expect(silent).toEqual({ ok: false, error: "no answer within 300 ms", code: "TIMEOUT" });
    const nowhere = await send("http://nowhere.invalid/", { ...base, allowPrivate: true, resolver: async () => Promise.reject(Object.assign(new Error("nope"), { code: "ENOTFOUND" })) });
    expect(nowhere).toMatchObject({ ok: false, error: "DNS: no such host" });
  });
});

describe("which addresses are private", () => {
  test.each([
    ["::7f00:1", true], ["::127.0.0.1", true], ["::a00:1", true], ["::c0a8:101", true], ["::a9fe:a9fe", true], ["::8.8.8.8", true],
    ["64:ff9b:1::a00:1", true], ["64:ff9b::a00:1", true], ["2002:7f00:1::", true], ["::ffff:127.0.0.1", true], ["0::0:0:0:0.0.0.0", true],
    ["::ffff:1.2.3.4", false], ["2606:4700::1111", false], ["1.1.1.1", false],
  ])("%s: %p", (ip, expected) => {
    expect(isNonPublicIp(ip)).toBe(expected);
  });
});
