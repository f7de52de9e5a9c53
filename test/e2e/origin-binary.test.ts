/**
 * The origin of tracked URLs, as a job seeker meets it: trying link-tracker on localhost,
 * then deploying with PUBLIC_BASE_URL. Start-up says where the dashboard is and whether
 * links can be sent; the command line makes links with the server's origin; the links made
 * on localhost move to the real origin at the first start with one; links made under a
 * real origin stay as made when it changes.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { KEY } from "../utils";
import { BINARY, buildBinary, emptyFolder, startServer, stop, until } from "./binary";

beforeAll(() => buildBinary(), 60_000);

const freePort = () => {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = s.port!;
  s.stop(true);
  return port;
};

async function started(cwd: string, port: number, env: Record<string, string> = {}) {
  const server = await startServer(cwd, { WEBHOOK_API_KEY: KEY, PORT: String(port), ...env });
  await until(() => server.output().includes("the dashboard is at"), 5_000);
  // (stdout's request log and stderr's lines together.)
  return { server, stderr: server.output };
}

const api = (port: number, path: string, init: RequestInit = {}) =>
  fetch(`http://127.0.0.1:${port}${path}`, { ...init, headers: { "x-api-key": KEY, "content-type": "application/json", ...init.headers } });
const urlOf = async (port: number, id: string) => ((await (await api(port, `/api/link-tracking/links/${id}`)).json()) as { redirect_url: string }).redirect_url;
const signIn = async (port: number) => (await (await fetch(`http://127.0.0.1:${port}/dashboard/session`, { method: "POST", headers: { "x-api-key": KEY } })).json()) as { public_base_url: string; local_links: boolean };

describe("the origin of tracked URLs", () => {
  test("tried on localhost, then deployed: the start-up line, the CLI's links, the links moved once, then kept", async () => {
    const cwd = emptyFolder();
    const port = freePort();
    const local = `http://localhost:${port}`;
    const trial = await started(cwd, port);
    expect(trial.stderr()).toContain(`the dashboard is at ${local}/dashboard/`);
    expect(trial.stderr()).toContain("work only on this computer: set PUBLIC_BASE_URL");
    expect(await signIn(port)).toMatchObject({ public_base_url: local, local_links: true });
    const made = await api(port, "/api/link-tracking/links", { method: "POST", body: JSON.stringify({ tracking_id: "trial-link", original_url: "https://example.com/cv", link_function: "LinkedIn" }) });
    expect(made.status).toBe(201);
    expect(((await made.json()) as { redirect_url: string }).redirect_url).toBe(`${local}/linkedin?uuid=trial-link`);

    // The command line, without the server's PORT or PUBLIC_BASE_URL, makes links for the server on this database.
    const cli = Bun.spawnSync([BINARY, "links", "create", "--url", "https://example.com/folio", "--function", "Portfolio"], { cwd, env: { PATH: process.env.PATH ?? "" }, stdout: "pipe", stderr: "pipe" });
    expect(cli.exitCode, cli.stderr.toString()).toBe(0);
    // It prints the tracked URL.
    const printed = cli.stdout.toString().trim();
    const cliLink = { redirect_url: printed, tracking_id: new URL(printed).searchParams.get("uuid")! };
    expect(cliLink.redirect_url).toStartWith(`${local}/portfolio?uuid=`);
    await stop(trial.server);

    // Deployed: the first start with a real origin moves the links made on this computer to it.
    const deployed = await started(cwd, port, { PUBLIC_BASE_URL: "https://links.example" });
    expect(deployed.stderr()).toContain("tracked links start with https://links.example");
    expect(deployed.stderr()).not.toContain("only on this computer");
    expect(await until(async () => (await urlOf(port, "trial-link")) === "https://links.example/linkedin?uuid=trial-link", 5_000)).toBe(true);
    expect(await urlOf(port, cliLink.tracking_id)).toBe(`https://links.example/portfolio?uuid=${cliLink.tracking_id}`);
    expect(await signIn(port)).toMatchObject({ public_base_url: "https://links.example", local_links: false });
    const qr = await (await api(port, "/api/link-tracking/links/trial-link/qr.svg")).text();
    expect(qr).toStartWith("<svg");
    // The recruiter's click works whatever host it came through.
    const click = await fetch(`http://127.0.0.1:${port}/linkedin?uuid=trial-link`, { redirect: "manual" });
    expect(click.status).toBe(302);
    await stop(deployed.server);

    // Another real origin later: links already sent under the first keep it.
    const moved = await started(cwd, port, { PUBLIC_BASE_URL: "https://other.example" });
    await Bun.sleep(300);
    expect(await urlOf(port, "trial-link")).toBe("https://links.example/linkedin?uuid=trial-link");
    const fresh = await api(port, "/api/link-tracking/links", { method: "POST", body: JSON.stringify({ original_url: "https://example.com/cal", link_function: "Calendly" }) });
    expect(((await fresh.json()) as { redirect_url: string }).redirect_url).toStartWith("https://other.example/calendly?uuid=");
    await stop(moved.server);
  }, 60_000);
});
