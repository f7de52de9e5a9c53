/**
 * The OCI image as a user gets it: `bun scripts/image.ts` (what `npm run image` runs) builds
 * the archive from the Containerfile with buildah; umoci unpacks it as a runtime would, and
 * the server runs from the image's own root filesystem (chroot, in a mount namespace with
 * /proc and /dev as a runtime gives them) as the image's user, with the image's environment.
 * The arm64 image's binary serves under qemu-user the same way. Skipped, with the reason,
 * where buildah, umoci or root cannot be had (scripts/ensure-image-tools.sh).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { KEY } from "../utils";
import { emptyFolder, until } from "./binary";

const root = join(import.meta.dir, "../..");
const ensured = Bun.spawnSync(["bash", join(root, "scripts/ensure-image-tools.sh")], { stderr: "pipe" });
const tools = ["unshare", "chroot", "umoci", "buildah"].map((t) => Bun.which(t, { PATH: `${process.env.PATH}:/usr/sbin:/sbin` }));
const reason =
  ensured.exitCode !== 0
    ? ensured.stderr.toString().trim()
    : process.getuid?.() !== 0
      ? "needs root (buildah's vfs storage, chroot)"
      : tools.some((t) => !t)
        ? "unshare, chroot, umoci or buildah missing"
        : "";
const [unshare, chroot, umoci] = tools as string[];

type ImageConfig = {
  architecture: string;
  config: {
    User: string;
    ExposedPorts: Record<string, object>;
    Env: string[];
    Entrypoint: string[];
    Cmd: string[];
    WorkingDir: string;
    Volumes: Record<string, object>;
    Labels: Record<string, string>;
    Healthcheck: { Test: string[]; Interval: number; Timeout: number; Retries: number };
  };
};
type Runtime = { process: { user: { uid: number; gid: number }; args: string[]; env: string[]; cwd: string } };

const started: (() => void)[] = [];
afterAll(() => {
  for (const kill of started) kill();
});

const dir = emptyFolder();
const archive = join(dir, "link-tracker.oci.tar");
const layout = join(dir, "layout");
let built = "";

const freePort = () => {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = s.port!;
  s.stop(true);
  return port;
};

const blob = (digest: string) => join(layout, "blobs/sha256", digest.replace(/^sha256:/, ""));
const json = <T>(path: string): T => JSON.parse(readFileSync(path, "utf8")) as T;

/** Each architecture's manifest named in the layout's index (VERSION-ARCH). */
function manifests(): Map<string, { config: ImageConfig; layers: string[] }> {
  const index = json<{ manifests: { digest: string; mediaType: string; annotations: Record<string, string> }[] }>(join(layout, "index.json"));
  const out = new Map<string, { config: ImageConfig; layers: string[] }>();
  for (const m of index.manifests) {
    if (!m.mediaType.endsWith("manifest.v1+json")) continue;
    const manifest = json<{ config: { digest: string }; layers: { digest: string }[] }>(blob(m.digest));
    out.set(m.annotations["org.opencontainers.image.ref.name"], { config: json<ImageConfig>(blob(manifest.config.digest)), layers: manifest.layers.map((l) => l.digest) });
  }
  return out;
}

/** umoci unpack of one architecture: the runtime bundle's config and root filesystem (with mount points a runtime would make). */
function unpack(ref: string): { runtime: Runtime; rootfs: string } {
  const bundle = join(dir, `bundle-${ref}`);
  const r = Bun.spawnSync([umoci, "unpack", "--image", `${layout}:${ref}`, bundle], { stderr: "pipe" });
  expect(r.exitCode, r.stderr.toString()).toBe(0);
  const rootfs = join(bundle, "rootfs");
  for (const d of ["proc", "dev"]) mkdirSync(join(rootfs, d), { recursive: true });
  return { runtime: json<Runtime>(join(bundle, "config.json")), rootfs };
}

/**
 * `args` run from the image's root filesystem as the runtime config's user, with its
 * environment (plus `env`), in a mount namespace of its own with /proc and /dev, the root
 * read-only but for /data and a tmpfs at /tmp. The
 * command's own PID (the shell's, before its execs) is returned, so that signals reach it:
 * unshare ignores SIGTERM, and the change of user clears any parent-death signal.
 * `prefix` runs it under an emulator inside the root.
 */
async function inImage(image: { runtime: Runtime; rootfs: string }, args: string[], env: Record<string, string>, prefix: string[] = []) {
  const { user, env: imageEnv } = image.runtime.process;
  const environment = [...imageEnv, ...Object.entries(env).map(([k, v]) => `${k}=${v}`)];
  const pidFile = join(dir, `pid-${crypto.randomUUID()}`);
  // As compose.yaml runs it (read_only, a tmpfs at /tmp): the root read-only but for /data.
  const mounts = [
    'mount --bind "$2" "$2"',
    'mount --bind "$2/data" "$2/data"',
    'mount -t tmpfs tmpfs "$2/tmp"',
    'mount -o remount,bind,ro "$2"',
    'mount -t proc proc "$2/proc"',
    'mount --rbind /dev "$2/dev"',
  ].join(" && ");
  const script = `echo $$ > "$1" && ${mounts} && shift 2 && exec "$@"`;
  const proc = Bun.spawn(
    [unshare, "--mount", "--fork", "sh", "-c", script, "sh", pidFile, image.rootfs, "env", "-i", ...environment, chroot, `--userspec=${user.uid}:${user.gid}`, image.rootfs, ...prefix, ...args],
    { stdout: "pipe", stderr: "pipe" },
  );
  expect(await until(() => existsSync(pidFile) && readFileSync(pidFile, "utf8").endsWith("\n"), 5_000)).toBe(true);
  const pid = Number(readFileSync(pidFile, "utf8"));
  const signal = (name: "SIGTERM" | "SIGKILL") => {
    try {
      process.kill(pid, name);
    } catch {}
  };
  started.push(() => signal("SIGKILL"));
  return { proc, signal };
}

/** What a process printed, once it has ended. */
const output = async (p: { stdout: ReadableStream; stderr: ReadableStream }) => (await new Response(p.stdout).text()) + (await new Response(p.stderr).text());

async function health(port: number): Promise<boolean> {
  return fetch(`http://127.0.0.1:${port}/api/tracking-ingest/health`).then((r) => r.status === 200, () => false);
}

describe.skipIf(!!reason)(`the OCI image${reason ? ` (skipped: ${reason})` : ""}`, () => {
  beforeAll(() => {
    const r = Bun.spawnSync([process.execPath, "scripts/image.ts", "--out", archive], { cwd: root, stdout: "pipe", stderr: "pipe" });
    built = r.stdout.toString() + r.stderr.toString();
    if (r.exitCode !== 0) throw new Error(`scripts/image.ts failed:\n${built}`);
    mkdirSync(layout);
    expect(Bun.spawnSync(["tar", "-xf", archive, "-C", layout]).exitCode).toBe(0);
  }, 400_000);

  test("an oci-archive of linux/amd64 and linux/arm64: non-root, port 5001, /data, the healthcheck and the labels", () => {
    const images = manifests();
    const index = json<{ manifests: { annotations: Record<string, string> }[] }>(join(layout, "index.json"));
    expect(index.manifests[0].annotations).toEqual({ "org.opencontainers.image.ref.name": pkg.version, "io.containerd.image.name": `localhost/link-tracker:${pkg.version}` });
    // arm64 is left out, with its reason, only where its glibc (Debian's libc6:arm64) cannot be had.
    const arches = built.includes("linux/arm64 left out") ? ["amd64"] : ["amd64", "arm64"];
    if (arches.length === 1) console.warn(`image: ${built.split("\n").find((l) => l.includes("left out"))}`);
    expect([...images.keys()].sort()).toEqual(arches.map((a) => `${pkg.version}-${a}`));
    const revision = Bun.spawnSync(["git", "rev-parse", "HEAD"], { cwd: root }).stdout.toString().trim();
    for (const [ref, { config }] of images) {
      expect(config.architecture).toBe(ref.split("-").pop()!);
      const c = config.config;
      expect(c.User).toBe("10001:10001");
      expect(Object.keys(c.ExposedPorts)).toEqual(["5001/tcp"]);
      expect(c.Env).toEqual(expect.arrayContaining(["HOST=0.0.0.0", "PORT=5001", "DATA_DIR=/data"]));
      expect(c.WorkingDir).toBe("/data");
      expect(Object.keys(c.Volumes)).toEqual(["/data"]);
      expect([...c.Entrypoint, ...c.Cmd]).toEqual(["/usr/local/bin/link-tracker", "serve"]);
      expect(c.Healthcheck.Test).toEqual(["CMD", "/usr/local/bin/link-tracker", "healthcheck"]);
      expect(c.Healthcheck.Timeout).toBe(5e9);
      expect(c.Labels["org.opencontainers.image.version"]).toBe(pkg.version);
      expect(c.Labels["org.opencontainers.image.licenses"]).toBe(pkg.license);
      expect(c.Labels["org.opencontainers.image.revision"]).toBe(revision);
      expect(c.Labels["org.opencontainers.image.description"]).toContain("click-tracking");
    }
    // The Containerfile's own VERSION (the source path's default) is the package's.
    expect(readFileSync(join(root, "Containerfile"), "utf8")).toContain(`ARG VERSION=${pkg.version}`);
    expect(built).toMatch(new RegExp(`built .*\\(${arches.map((a) => `linux/${a}`).join(", ")}; [\\d.]+ MB\\)`));
  });

  test("the root filesystem is the binary, glibc, CA certificates and time zones: no shell, no package manager", () => {
    const { config, layers } = manifests().get(`${pkg.version}-amd64`)!;
    expect(config.architecture).toBe("amd64");
    const list = Bun.spawnSync(["tar", "-tzf", blob(layers[0])]).stdout.toString().split("\n").filter(Boolean).map((p) => p.replace(/^\.\//, "").replace(/\/$/, ""));
    const files = list.filter((p) => !p.startsWith("usr/share/zoneinfo/"));
    expect(files.sort()).toEqual(
      [
        "data", "etc", "etc/group", "etc/nsswitch.conf", "etc/passwd", "etc/ssl", "etc/ssl/certs", "etc/ssl/certs/ca-certificates.crt",
        "lib", "lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu/libc.so.6", "lib/x86_64-linux-gnu/libdl.so.2", "lib/x86_64-linux-gnu/libm.so.6", "lib/x86_64-linux-gnu/libpthread.so.0",
        "lib64", "lib64/ld-linux-x86-64.so.2", "tmp", "usr", "usr/local", "usr/local/bin", "usr/local/bin/link-tracker", "usr/share", "usr/share/zoneinfo",
      ].sort(),
    );
    expect(list).toContain("usr/share/zoneinfo/Europe/Berlin");
  });

  test("run from its own root as uid 10001: health, a link redirects, the database in /data, healthcheck 0 then 1", async () => {
    const image = unpack(`${pkg.version}-amd64`);
    expect(image.runtime.process.user).toEqual({ uid: 10001, gid: 10001 });
    expect(image.runtime.process.cwd).toBe("/data");
    expect(image.runtime.process.args).toEqual(["/usr/local/bin/link-tracker", "serve"]);
    const port = freePort();
    // Loopback only, here; the image's own HOST is 0.0.0.0.
    const env = { HOST: "127.0.0.1", PORT: String(port), WEBHOOK_API_KEY: KEY, DESTINATION_CHECK_SECONDS: "0" };
    const server = await inImage(image, image.runtime.process.args, env);
    const up = await until(() => health(port), 20_000);
    if (!up) server.signal("SIGKILL");
    expect(up, up ? "" : await output(server.proc)).toBe(true);

    const made = await fetch(`http://127.0.0.1:${port}/api/link-tracking/links`, {
      method: "POST",
      headers: { "x-api-key": KEY, "content-type": "application/json" },
      body: JSON.stringify({ tracking_id: "image-link", original_url: "https://example.com/cv", link_function: "LinkedIn" }),
    });
    expect(made.status).toBe(201);
    const click = await fetch(`http://127.0.0.1:${port}/linkedin?uuid=image-link`, { redirect: "manual", headers: { "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0" } });
    expect(click.status).toBe(302);
    expect(click.headers.get("location")).toBe("https://example.com/cv");

    // Nothing else could be written: the root is read-only (the tmpfs at /tmp went with its namespace).
    const dbFile = join(image.rootfs, "data/link-tracker.db");
    expect(existsSync(dbFile)).toBe(true);
    expect(statSync(dbFile).uid).toBe(10001);
    expect(statSync(join(image.rootfs, "data")).uid).toBe(10001);
    const db = new Database(dbFile, { readonly: true });
    expect(db.query("select original_url from link_tracking where tracking_id = 'image-link'").get()).toEqual({ original_url: "https://example.com/cv" });
    db.close();

    const check = async () => {
      const hc = await inImage(image, ["/usr/local/bin/link-tracker", "healthcheck"], env);
      return { code: await hc.proc.exited, out: await output(hc.proc) };
    };
    const healthy = await check();
    expect(healthy.code, healthy.out).toBe(0);
    expect(healthy.out).toContain("healthy");

    server.signal("SIGTERM");
    expect(await server.proc.exited).toBe(0);
    const down = await check();
    expect(down.code).toBe(1);
    expect(down.out).toContain("unhealthy");
  }, 60_000);

  test("the arm64 image's binary serves from its own root under qemu-user", async () => {
    const qemu = "/usr/bin/qemu-aarch64-static";
    if (built.includes("linux/arm64 left out") || !existsSync(qemu)) {
      console.warn("image: the arm64 image was not run here (no libc6:arm64 or no qemu-user-static; see scripts/ensure-image-tools.sh)");
      return;
    }
    const image = unpack(`${pkg.version}-arm64`);
    const file = Bun.spawnSync(["file", "-b", join(image.rootfs, "usr/local/bin/link-tracker")]).stdout.toString();
    expect(file).toContain("ARM aarch64");
    expect(Bun.spawnSync(["cp", qemu, join(image.rootfs, "qemu")]).exitCode).toBe(0);
    const port = freePort();
    const server = await inImage(image, image.runtime.process.args, { HOST: "127.0.0.1", PORT: String(port), WEBHOOK_API_KEY: KEY, DESTINATION_CHECK_SECONDS: "0" }, ["/qemu"]);
    const up = await until(() => health(port), 60_000);
    if (!up) server.signal("SIGKILL");
    expect(up, up ? "" : await output(server.proc)).toBe(true);
    expect(existsSync(join(image.rootfs, "data/link-tracker.db"))).toBe(true);
    server.signal("SIGTERM");
    expect(await server.proc.exited).toBe(0);
  }, 90_000);
});
