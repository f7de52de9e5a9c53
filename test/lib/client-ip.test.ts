/**
 * The client's address behind any chain of proxies (TRUST_PROXY, CLIENT_IP_HEADER): the
 * nearest untrusted address, never what the client wrote in a header itself.
 */
import { describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config";
import { clientIp, trustedProxies, type TrustProxy } from "../../src/lib/ip";

const ip = (trust: TrustProxy, socket: string, headers: Record<string, string>, header?: string) => clientIp(new Headers(headers), socket, trust, header);
const list = (v: string) => trustedProxies(v)!;

describe("the client's address", () => {
  test("no trust: the socket's, whatever the headers say", () => {
    expect(ip(false, "203.0.113.5", { "x-forwarded-for": "6.6.6.6", "cf-connecting-ip": "6.6.6.6" })).toBe("203.0.113.5");
  });

  test("one hop (a platform's ingress, a Caddy on the machine): the entry it appended, not the ones before", () => {
    expect(ip(1, "127.0.0.1", { "x-forwarded-for": "6.6.6.6, 198.51.100.7" })).toBe("198.51.100.7");
    expect(ip(true, "127.0.0.1", { "x-forwarded-for": "198.51.100.7" })).toBe("198.51.100.7");
    expect(ip(1, "127.0.0.1", {})).toBe("127.0.0.1");
  });

  test("two hops (Cloudflare, then Caddy): the address Cloudflare saw, not Cloudflare's, not the client's claim", () => {
    // The client claims 6.6.6.6; Cloudflare appends the client's 198.51.100.7; Caddy appends Cloudflare's 172.70.1.1.
    expect(ip(2, "127.0.0.1", { "x-forwarded-for": "6.6.6.6, 198.51.100.7, 172.70.1.1" })).toBe("198.51.100.7");
    // A chain shorter than the hops: the farthest address it has.
    expect(ip(3, "127.0.0.1", { "x-forwarded-for": "198.51.100.7, 172.70.1.1" })).toBe("198.51.100.7");
  });

  test("trusted addresses: walked from the right past every trusted proxy; from an untrusted socket, no header counts", () => {
    const trust = list("127.0.0.1, 10.0.0.0/8, 2001:db8::/32");
    expect(ip(trust, "127.0.0.1", { "x-forwarded-for": "6.6.6.6, 198.51.100.7, 10.1.2.3, 2001:db8::9" })).toBe("198.51.100.7");
    expect(ip(trust, "203.0.113.5", { "x-forwarded-for": "198.51.100.7" })).toBe("203.0.113.5");
    // Every hop trusted: the farthest one.
    expect(ip(trust, "127.0.0.1", { "x-forwarded-for": "10.9.9.9" })).toBe("10.9.9.9");
    // Garbage where an address should be: the nearest address known.
    expect(ip(trust, "127.0.0.1", { "x-forwarded-for": "198.51.100.7, nonsense, 10.1.2.3" })).toBe("10.1.2.3");
    expect(ip(list("loopback, private"), "::1", { "x-forwarded-for": "198.51.100.7, 192.168.1.1" })).toBe("198.51.100.7");
  });

  test("a platform's header, named: that header alone, and only from a trusted proxy", () => {
    const headers = { "do-connecting-ip": "198.51.100.7", "x-forwarded-for": "6.6.6.6", "cf-connecting-ip": "6.6.6.6" };
    expect(ip(1, "10.244.0.5", headers, "do-connecting-ip")).toBe("198.51.100.7");
    expect(ip(list("10.0.0.0/8"), "10.244.0.5", headers, "do-connecting-ip")).toBe("198.51.100.7");
    expect(ip(list("10.0.0.0/8"), "203.0.113.5", headers, "do-connecting-ip")).toBe("203.0.113.5");
    // Not there, or not an address: the socket's (the other headers are not believed instead).
    expect(ip(1, "10.244.0.5", { "x-forwarded-for": "6.6.6.6" }, "do-connecting-ip")).toBe("10.244.0.5");
    expect(ip(1, "10.244.0.5", { "cf-connecting-ip": "nope" }, "cf-connecting-ip")).toBe("10.244.0.5");
    expect(ip(1, "10.244.0.5", { "cf-connecting-ip": "2001:DB8::1" }, "cf-connecting-ip")).toBe("2001:db8::1");
  });
});

describe("TRUST_PROXY and CLIENT_IP_HEADER", () => {
  const trust = (env: Record<string, string>) => {
    const r = loadConfig(env);
    return r.ok ? { trust: r.config.trustProxy, header: r.config.clientIpHeader } : { error: r.message };
  };

  test("false, true, a number of hops, or the proxies' addresses", () => {
    expect(trust({})).toEqual({ trust: false, header: null });
    expect(trust({ TRUST_PROXY: "false" })).toEqual({ trust: false, header: null });
    expect(trust({ TRUST_PROXY: "true" })).toEqual({ trust: true, header: null });
    expect(trust({ TRUST_PROXY: "2" })).toEqual({ trust: 2, header: null });
    const listed = trust({ TRUST_PROXY: "127.0.0.1, 10.0.0.0/8", CLIENT_IP_HEADER: "CF-Connecting-IP" });
    expect(listed).toMatchObject({ trust: { entries: ["127.0.0.1", "10.0.0.0/8"] }, header: "cf-connecting-ip" });
  });

  test("anything else is refused naming the variable; a header without trusted proxies too", () => {
    expect(trust({ TRUST_PROXY: "sometimes" })).toEqual({ error: expect.stringContaining("TRUST_PROXY") });
    expect(trust({ TRUST_PROXY: "10.0.0.0/33" })).toEqual({ error: expect.stringContaining("TRUST_PROXY") });
    expect(trust({ CLIENT_IP_HEADER: "do-connecting-ip" })).toEqual({ error: expect.stringContaining("set TRUST_PROXY too") });
    expect(trust({ TRUST_PROXY: "true", CLIENT_IP_HEADER: "bad header!" })).toEqual({ error: expect.stringContaining("CLIENT_IP_HEADER") });
  });
});
