/**
 * `npm run image`: the OCI image, built from the Containerfile with buildah: no daemon, no
 * registry. The root filesystem is staged here (the binary, the glibc it needs, CA
 * certificates, time zones, the user 10001 and /data) and the Containerfile's
 * ROOTFS=staged path copies it in; `docker build .` takes the Containerfile's source path
 * and stages the same tree with `--stage`.
 *
 *   bun scripts/image.ts                        linux/amd64 and linux/arm64 into dist/link-tracker.oci.tar
 *   bun scripts/image.ts --arch amd64           one architecture
 *   bun scripts/image.ts --out FILE             another archive
 *   bun scripts/image.ts --stage BINARY DIR     only stage the image's tree for BINARY (this machine's glibc)
 *
 * arm64's glibc is Debian's libc6:arm64 package (`apt-get download`, so arm64 must be one of
 * dpkg's architectures: `dpkg --add-architecture arm64 && apt-get update`); without it the
 * image is amd64 only, and says so. Exit 1 when buildah is missing or a step fails.
 */
import { $ } from "bun";
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import pkg from "../package.json" with { type: "json" };
import { type Arch, binaryFor, compile, emulatorFor, nativeArch, versionOf } from "./build";

const root = resolve(import.meta.dir, "..");
const UID = 10001;

/** glibc's libraries a compiled Bun needs (checked against ldd for this machine's binary). */
const GLIBC = ["libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2"];
const layout = {
  amd64: { triplet: "x86_64-linux-gnu", loader: "/lib64/ld-linux-x86-64.so.2" },
  arm64: { triplet: "aarch64-linux-gnu", loader: "/lib/ld-linux-aarch64.so.1" },
} as const;

class ImageError extends Error {}

function copyReal(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(realpathSync(from), to);
}

/** The folder holding a glibc for `arch`: this machine's own, or libc6:ARCH unpacked from Debian. */
async function glibcRoot(arch: Arch, binary: string): Promise<string> {
  if (arch === nativeArch) {
    // ldd names every library the binary loads; anything outside glibc's set would be missing from the image.
    const ldd = await $`ldd ${binary}`.quiet().nothrow();
    if (ldd.exitCode !== 0) throw new ImageError(`ldd ${binary} failed (is this a glibc system?): ${ldd.stderr.toString().trim()}`);
    const names = [...ldd.stdout.toString().matchAll(/^\s*(\S+\.so\S*) => /gm)].map((m) => m[1]);
    const extra = names.filter((n) => !GLIBC.includes(n));
    if (extra.length) throw new ImageError(`the binary needs ${extra.join(", ")}, which the image does not carry`);
    return "/";
  }
  const cache = join(root, "dist/image/cache", arch);
  const unpacked = join(cache, "root");
  if (existsSync(join(unpacked, "lib", layout[arch].triplet, "libc.so.6"))) return unpacked;
  mkdirSync(cache, { recursive: true });
  const download = await $`apt-get download libc6:${arch}`.cwd(cache).quiet().nothrow();
  if (download.exitCode !== 0) {
    throw new ImageError(
      `libc6:${arch} cannot be downloaded (${download.stderr.toString().trim().split("\n").pop()}); ` +
        `add the architecture with "dpkg --add-architecture ${arch} && apt-get update", or build --arch ${nativeArch}`,
    );
  }
  const deb = readdirSync(cache).find((f) => f.startsWith("libc6_") && f.endsWith(`_${arch}.deb`));
  if (!deb) throw new ImageError(`apt-get download left no libc6 package in ${cache}`);
  await $`dpkg-deb -x ${join(cache, deb)} ${unpacked}`.quiet();
  return unpacked;
}

/**
 * The image's tree for `binary`, in `out` (emptied first): `out/rootfs`, the whole root
 * filesystem, and `out/data`, the empty folder that becomes /data owned by 10001.
 */
export async function stageImage(binary: string, out: string, arch: Arch = nativeArch): Promise<void> {
  rmSync(join(out, "rootfs"), { recursive: true, force: true });
  rmSync(join(out, "data"), { recursive: true, force: true });
  const dir = join(out, "rootfs");
  mkdirSync(dir, { recursive: true });
  // Owned by 10001 in the image (the Containerfile's COPY --chown); private like a folder the server makes.
  mkdirSync(join(out, "data"), { mode: 0o700 });
  copyReal(binary, join(dir, "usr/local/bin/link-tracker"));
  chmodSync(join(dir, "usr/local/bin/link-tracker"), 0o755);

  const glibc = await glibcRoot(arch, binary);
  const { triplet, loader } = layout[arch];
  const libDir = [join(glibc, "lib", triplet), join(glibc, "usr/lib", triplet)].find((d) => existsSync(join(d, "libc.so.6")));
  if (!libDir) throw new ImageError(`no libc.so.6 for ${triplet} under ${glibc}`);
  for (const lib of GLIBC) copyReal(join(libDir, lib), join(dir, "lib", triplet, lib));
  copyReal(join(glibc, loader), join(dir, loader));

  // CA certificates (TLS to PostgreSQL and webhooks) and time zones (TZ, the analytics' days).
  const certs = "/etc/ssl/certs/ca-certificates.crt";
  if (!existsSync(certs)) throw new ImageError(`${certs} is missing: install Debian's ca-certificates`);
  copyReal(certs, join(dir, certs));
  if (!existsSync("/usr/share/zoneinfo/UTC")) throw new ImageError("/usr/share/zoneinfo is missing: install Debian's tzdata");
  cpSync("/usr/share/zoneinfo", join(dir, "usr/share/zoneinfo"), { recursive: true, verbatimSymlinks: true });

  writeFileSync(join(dir, "etc/passwd"), `root:x:0:0:root:/root:/sbin/nologin\nlink-tracker:x:${UID}:${UID}:link-tracker:/data:/sbin/nologin\n`);
  writeFileSync(join(dir, "etc/group"), `root:x:0:\nlink-tracker:x:${UID}:\n`);
  writeFileSync(join(dir, "etc/nsswitch.conf"), "hosts: files dns\n");
  mkdirSync(join(dir, "tmp"));
  chmodSync(join(dir, "tmp"), 0o1777);
}

/** The repository's origin and commit, for the image's labels ("" where git has none). */
async function gitLabels(): Promise<{ source: string; revision: string }> {
  const source = (await $`git remote get-url origin`.cwd(root).quiet().nothrow()).stdout.toString().trim();
  const revision = (await $`git rev-parse HEAD`.cwd(root).quiet().nothrow()).stdout.toString().trim();
  return { source, revision };
}

const sha256 = (bytes: Uint8Array | string): string => new Bun.CryptoHasher("sha256").update(bytes).digest("hex");

/**
 * The Containerfile's HEALTHCHECK in each architecture's OCI config, and each architecture's
 * manifest named in the layout's index as well as the multi-architecture index. buildah keeps it only in
 * the Docker format; Docker and Podman read `config.Healthcheck` from an OCI config too, so
 * it is written back there, and the digests of config, manifest and index follow.
 */
function finishLayout(layoutDir: string, name: string, healthchecks: Map<Arch, unknown>): void {
  const blob = (digest: string) => join(layoutDir, "blobs/sha256", digest.replace(/^sha256:/, ""));
  const put = (json: unknown): { digest: string; size: number } => {
    const text = JSON.stringify(json);
    const digest = sha256(text);
    writeFileSync(join(layoutDir, "blobs/sha256", digest), text);
    return { digest: `sha256:${digest}`, size: Buffer.byteLength(text) };
  };
  const layoutIndex = JSON.parse(readFileSync(join(layoutDir, "index.json"), "utf8"));
  const perArch: unknown[] = [];
  for (const entry of layoutIndex.manifests) {
    const imageIndex = JSON.parse(readFileSync(blob(entry.digest), "utf8"));
    for (const m of imageIndex.manifests) {
      const healthcheck = healthchecks.get(m.platform.architecture);
      if (!healthcheck) throw new ImageError(`no HEALTHCHECK was built for ${m.platform.architecture}`);
      const manifest = JSON.parse(readFileSync(blob(m.digest), "utf8"));
      const config = JSON.parse(readFileSync(blob(manifest.config.digest), "utf8"));
      config.config.Healthcheck = healthcheck;
      rmSync(blob(manifest.config.digest));
      manifest.config = { ...manifest.config, ...put(config) };
      rmSync(blob(m.digest));
      Object.assign(m, put(manifest));
      // Each architecture also by its own name (VERSION-ARCH), for tools that take one manifest (umoci).
      const ref = `${entry.annotations["org.opencontainers.image.ref.name"]}-${m.platform.architecture}`;
      perArch.push({ ...m, annotations: { "org.opencontainers.image.ref.name": ref } });
    }
    rmSync(blob(entry.digest));
    Object.assign(entry, put(imageIndex));
    // The name `docker load` gives the image (and `podman load` reads too).
    entry.annotations = { ...entry.annotations, "io.containerd.image.name": name };
  }
  layoutIndex.manifests.push(...perArch);
  writeFileSync(join(layoutDir, "index.json"), JSON.stringify(layoutIndex));
}

/** buildah's options: as root, its own storage under a temporary folder, vfs and chroot isolation (no daemon, no overlay). */
function buildahGlobal(storage: string): string[] {
  const asRoot = process.getuid?.() === 0;
  return asRoot ? ["--root", join(storage, "root"), "--runroot", join(storage, "run"), "--storage-driver", "vfs"] : [];
}

async function buildImage(arches: Arch[], out: string): Promise<void> {
  if (!Bun.which("buildah")) throw new ImageError("buildah is not installed (Debian: apt-get install buildah)");
  const storage = mkdtempSync(join(tmpdir(), "link-tracker-image-"));
  const global = buildahGlobal(storage);
  const isolation = process.getuid?.() === 0 ? ["--isolation", "chroot"] : [];
  const labels = await gitLabels();
  const name = `localhost/link-tracker:${pkg.version}`;
  const staged = join(root, "dist/image");
  const healthchecks = new Map<Arch, unknown>();
  try {
    await $`buildah ${global} manifest create ${name}`.quiet();
    for (const arch of arches) {
      const binary = existsSync(join(root, binaryFor(arch))) && arch === nativeArch ? join(root, binaryFor(arch)) : join(root, await compile(arch));
      await stageImage(binary, staged, arch);
      const version = await versionOf(join(staged, "rootfs/usr/local/bin/link-tracker"), arch, join(staged, "rootfs"));
      if (version && version[0] !== pkg.version) throw new ImageError(`the staged ${arch} binary printed "${version[0]}" for --version`);
      const args = [
        ...["bud", ...isolation, "--format", "docker", "--arch", arch, "--os", "linux", "--layers=false"],
        ...["--build-arg", "ROOTFS=staged", "--build-arg", `VERSION=${pkg.version}`, "--build-arg", `SOURCE=${labels.source}`, "--build-arg", `REVISION=${labels.revision}`],
        ...["-t", `${name}-${arch}`, "-f", "Containerfile", "."],
      ];
      const built = await $`buildah ${global} ${args}`.cwd(root).quiet().nothrow();
      if (built.exitCode !== 0) throw new ImageError(`buildah bud for ${arch} failed:\n${built.stderr.toString()}${built.stdout.toString()}`);
      await $`buildah ${global} manifest add ${name} ${name}-${arch}`.quiet();
      const inspected = JSON.parse((await $`buildah ${global} inspect --type image ${name}-${arch}`.quiet()).stdout.toString());
      healthchecks.set(arch, inspected.Docker?.config?.Healthcheck);
      console.log(`linux/${arch}: ${version ? `binary runs from the image's own glibc (${version[0]}${arch === nativeArch ? "" : `, under ${emulatorFor(arch)}`})` : "binary not run (no qemu-user for it here)"}`);
    }
    const layoutDir = join(storage, "layout");
    const pushed = await $`buildah ${global} manifest push --all --format oci ${name} oci:${layoutDir}:${pkg.version}`.quiet().nothrow();
    if (pushed.exitCode !== 0) throw new ImageError(`buildah manifest push failed:\n${pushed.stderr.toString()}`);
    finishLayout(layoutDir, name, healthchecks);
    rmSync(out, { force: true });
    mkdirSync(dirname(out), { recursive: true });
    await $`tar -cf ${out} -C ${layoutDir} oci-layout index.json blobs`.quiet();
  } finally {
    await $`buildah ${global} rm --all`.quiet().nothrow();
    rmSync(storage, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { arch: { type: "string" }, out: { type: "string", default: "dist/link-tracker.oci.tar" }, stage: { type: "boolean", default: false } },
  });
  try {
    if (values.stage) {
      const [binary, dir] = positionals;
      if (!binary || !dir) throw new ImageError("--stage takes BINARY DIR");
      await stageImage(resolve(binary), resolve(dir));
    } else {
      if (values.arch !== undefined && values.arch !== "amd64" && values.arch !== "arm64") throw new ImageError(`--arch must be amd64 or arm64, not "${values.arch}"`);
      const out = resolve(values.out);
      let arches: Arch[] = values.arch ? [values.arch as Arch] : ["amd64", "arm64"];
      if (!values.arch) {
        const foreign = arches.find((a) => a !== nativeArch)!;
        try {
          await glibcRoot(foreign, "");
        } catch (error) {
          console.warn(`linux/${foreign} left out: ${(error as Error).message}`);
          arches = [nativeArch];
        }
      }
      await buildImage(arches, out);
      const size = Bun.file(out).size;
      console.log(`built ${values.out} (${arches.map((a) => `linux/${a}`).join(", ")}; ${(size / 1e6).toFixed(1)} MB)`);
    }
  } catch (error) {
    if (!(error instanceof ImageError)) throw error;
    console.error(`image: ${error.message}`);
    process.exit(1);
  }
}
