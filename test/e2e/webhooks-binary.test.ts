import { afterAll, beforeAll, expect, test } from "bun:test";
import { BINARY, buildBinary, emptyFolder, startServer, stop, webhookReceiver, type Server } from "./binary";

const KEY = "hook-key-0123456789abcdef";
const running: Server[] = [];
const receivers: ReturnType<typeof Bun.serve>[] = [];
afterAll(() => {
  for (const s of running) if (s.proc.exitCode === null) s.proc.kill("SIGKILL");
  for (const r of receivers) r.stop(true);
});
beforeAll(() => buildBinary(), 60_000);

test(
  "SIGKILL between the click and its delivery: after the restart the event is delivered, once",
  async () => {
    const { got, server: receiver } = webhookReceiver();
    receivers.push(receiver);
    const cwd = emptyFolder();
    const env = { WEBHOOK_API_KEY: KEY, SIGNAL_HOLD_SECONDS: "2", WEBHOOK_ALLOW_PRIVATE: "true" };
    let server = await startServer(cwd, env);
    running.push(server);

    const cli = (args: string[]) => Bun.spawnSync([BINARY, ...args], { cwd, env: { PATH: process.env.PATH ?? "", WEBHOOK_ALLOW_PRIVATE: "true" } });
    const created = cli(["webhooks", "create", "--url", `http://127.0.0.1:${receiver.port}/hook`, "--events", "click.first_human"]);
    expect(created.exitCode).toBe(0);
    const [id, secret] = created.stdout.toString().trim().split("\n");
    expect(id).toMatch(/^wh_/);
    expect(secret).toMatch(/^whsec_/);
    expect(cli(["webhooks", "list"]).stdout.toString()).toContain(id);

    await fetch(`${server.base}/api/link-tracking/links`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": KEY },
      body: JSON.stringify({ original_url: "https://example.com/", link_function: "LinkedIn", tracking_id: "hooked" }),
    });
    const click = await fetch(`${server.base}/linkedin?uuid=hooked`, {
      redirect: "manual",
      headers: { "user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "accept-language": "en" },
    });
    expect(click.status).toBe(302);
    // Killed while the event is still held: nothing was delivered yet.
    await stop(server, "SIGKILL");
    expect(got).toEqual([]);

    server = await startServer(cwd, env);
    running.push(server);
    const end = Date.now() + 10_000;
    while (got.length === 0 && Date.now() < end) await Bun.sleep(50);
    await Bun.sleep(1500); // time for a duplicate to show, if there were one
    expect(got).toHaveLength(1);
    expect(got[0]).toMatch(/^evt_/);
    const log = JSON.parse(cli(["webhooks", "deliveries", id, "--json"]).stdout.toString());
    expect(log).toEqual([expect.objectContaining({ event_id: got[0], status: "delivered", attempts: 1, last_status_code: 200 })]);
    expect(await stop(server, "SIGTERM")).toBe(0);
  },
  60_000,
);

test("an ntfy channel made on the command line: a first human click is on the phone within 5 s; a test arrives; the token never shows", async () => {
  const got: { title: string | null; body: string; auth: string | null }[] = [];
  const ntfy = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      got.push({ title: req.headers.get("title"), body: await req.text(), auth: req.headers.get("authorization") });
      return Response.json({ id: "x", event: "message" });
    },
  });
  receivers.push(ntfy);
  const cwd = emptyFolder();
  const env = { PATH: process.env.PATH ?? "", WEBHOOK_ALLOW_PRIVATE: "true" };
  const cli = (args: string[]) => Bun.spawnSync([BINARY, ...args], { cwd, env });
  const created = cli(["webhooks", "create", "--format", "ntfy", "--url", `http://127.0.0.1:${ntfy.port}/job-hunt`, "--token", "tk_secret123"]);
  expect(created.exitCode).toBe(0);
  const id = created.stdout.toString().trim();
  expect(id).toMatch(/^wh_[0-9a-f]+$/);
  const listed = cli(["webhooks", "list"]).stdout.toString();
  expect(listed).toMatch(new RegExp(`${id}\\s+ntfy\\s+on`));
  expect(listed + cli(["webhooks", "list", "--json"]).stdout.toString()).not.toContain("tk_secret123");

  const server = await startServer(cwd, { WEBHOOK_API_KEY: KEY, SIGNAL_HOLD_SECONDS: "1", WEBHOOK_ALLOW_PRIVATE: "true" });
  running.push(server);
  await fetch(`${server.base}/api/link-tracking/links/bulk`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": KEY },
    body: JSON.stringify({ application: { company: "Acme", role: "SRE" }, links: [{ original_url: "https://example.com/", link_function: "LinkedIn", tracking_id: "phoned" }] }),
  });
  const clicked = Date.now();
  await fetch(`${server.base}/linkedin?uuid=phoned`, { redirect: "manual", headers: { "user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "accept-language": "en" } });
  while (got.length === 0 && Date.now() - clicked < 5000) await Bun.sleep(50);
  expect(Date.now() - clicked).toBeLessThan(5000);
  expect(got).toHaveLength(1);
  expect(got[0]).toMatchObject({ auth: "Bearer tk_secret123", body: "Your LinkedIn link was opened for the first time, just now (Firefox on Linux)." });
  expect(Buffer.from(got[0]!.title!.replace(/^=\?UTF-8\?B\?|\?=$/g, ""), "base64").toString()).toBe("Acme — SRE");

  // Not spawnSync: the receiver answers from this process meanwhile.
  const test = Bun.spawn([BINARY, "webhooks", "test", id], { cwd, env, stdout: "pipe" });
  expect(await test.exited).toBe(0);
  expect(await new Response(test.stdout).text()).toBe("Delivered (200).\n");
  expect(got.at(-1)!.body).toBe("This is a test: when a recruiter opens one of your links, you are told here.");
  expect(await stop(server, "SIGTERM")).toBe(0);
}, 60_000);

test("an e-mail channel in the compiled binary: SMTP_URL with STARTTLS to a loopback relay, the test arrives", async () => {
  const { mkdtempSync, readFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { SMTPServer } = await import("smtp-server");
  const dir = mkdtempSync(`${tmpdir()}/lt-smtp-`);
  const made = Bun.spawnSync(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", `${dir}/key.pem`, "-out", `${dir}/cert.pem`], { stdout: "ignore", stderr: "ignore" });
  if (made.exitCode !== 0) return console.warn("e-mail in the binary SKIPPED: openssl is missing");
  const cert = readFileSync(`${dir}/cert.pem`, "utf8");
  const got: { secure: boolean; raw: string }[] = [];
  const relay = new SMTPServer({
    key: readFileSync(`${dir}/key.pem`, "utf8"),
    cert,
    logger: false,
    onAuth: (auth, _s, callback) => callback(null, { user: auth.username }),
    onData(stream, session, callback) {
      let raw = "";
      stream.on("data", (c: Buffer) => (raw += c.toString()));
      stream.on("end", () => {
        got.push({ secure: session.secure, raw });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", () => resolve()));
  try {
    const port = (relay.server.address() as { port: number }).port;
    const server = await startServer(emptyFolder(), { WEBHOOK_API_KEY: KEY, SMTP_URL: `smtp://lt:pw@127.0.0.1:${port}`, SMTP_FROM: "alerts@steve-glen.com", SMTP_CA_CERT: cert });
    running.push(server);
    const post = (path: string, json?: unknown) =>
      fetch(`${server.base}${path}`, { method: "POST", headers: { "x-api-key": KEY, "content-type": "application/json" }, body: json === undefined ? undefined : JSON.stringify(json) });
    const channel = (await (await post("/api/link-tracking/webhooks", { format: "email", url: "mailto:steve@example.com" })).json()) as { id: string };
    expect(await (await post(`/api/link-tracking/webhooks/${channel.id}/test`)).json()).toEqual({ delivered: true, status_code: 250, error: null });
    expect(got).toHaveLength(1);
    expect(got[0]!.secure).toBe(true);
    expect(got[0]!.raw).toContain("To: steve@example.com");
    expect(server.output()).not.toContain(":pw@");
    expect(await stop(server)).toBe(0);
  } finally {
    relay.close();
  }
}, 60_000);
