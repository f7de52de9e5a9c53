/**
 * Compiles the server into one executable, dist/link-tracker, then runs its --version
 * as a smoke test: a binary that cannot start fails the build.
 *
 *   bun scripts/build.ts                 dist/link-tracker for this machine
 *   bun scripts/build.ts --arch arm64    dist/link-tracker-arm64 for linux/arm64 (amd64 likewise);
 *                                        its smoke test runs under qemu-user where it can be had
 */
import { $ } from "bun";
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import pkg from "../package.json" with { type: "json" };

/** Debian's and the OCI's names for the two architectures a server is built for. */
export type Arch = "amd64" | "arm64";
export const nativeArch: Arch = process.arch === "arm64" ? "arm64" : "amd64";
const bunTarget = { amd64: "bun-linux-x64", arm64: "bun-linux-arm64" } as const;

export const binaryFor = (arch: Arch): string => (arch === nativeArch ? "dist/link-tracker" : `dist/link-tracker-${arch}`);

/** Compiles the server for `arch` into `outfile`; exits 1 with the bundler's messages if it cannot. */
export async function compile(arch: Arch, outfile = binaryFor(arch)): Promise<string> {
  const result = await Bun.build({
    // The store's checkpointer, heavy reads and ingest writes run on worker threads (src/workers.ts); their entries must be in the bundle too.
    entrypoints: ["src/main.ts", "src/db/sqlite/checkpointer.ts", "src/db/sqlite/reader.ts", "src/click-writer.ts"],
    compile: arch === nativeArch ? { outfile } : { outfile, target: bunTarget[arch] },
    minify: { whitespace: true, syntax: true, identifiers: false },
    sourcemap: "linked",
    define: { LINK_TRACKER_VERSION: JSON.stringify(pkg.version) },
  });
  if (!result.success) {
    for (const message of result.logs) console.error(message);
    process.exit(1);
  }
  return outfile;
}

/** qemu-user for a foreign architecture's binary, when the machine has it. */
export function emulatorFor(arch: Arch): string | null {
  if (arch === nativeArch) return null;
  const path = `/usr/bin/qemu-${arch === "arm64" ? "aarch64" : "x86_64"}-static`;
  return existsSync(path) ? path : null;
}

/**
 * `--version` of a compiled binary; the first line is the version, the lines after it the
 * embedded data's dates. A foreign one runs under qemu-user with `sysroot` as its glibc.
 */
export async function versionOf(binary: string, arch: Arch, sysroot?: string): Promise<string[] | null> {
  const emulator = emulatorFor(arch);
  if (arch !== nativeArch && (!emulator || !sysroot)) return null;
  const command = emulator ? [emulator, "-L", sysroot!, binary, "--version"] : [binary, "--version"];
  return (await $`${command}`.text()).trim().split("\n");
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { arch: { type: "string", default: nativeArch } } });
  if (values.arch !== "amd64" && values.arch !== "arm64") {
    console.error(`--arch must be amd64 or arm64, not "${values.arch}"`);
    process.exit(2);
  }
  const arch = values.arch;
  const outfile = await compile(arch);
  if (arch !== nativeArch) {
    console.log(`built ${outfile} for linux/${arch} (run by scripts/image.ts against its own glibc)`);
  } else {
    const [version, ...data] = (await versionOf(outfile, arch))!;
    if (version !== pkg.version) {
      console.error(`smoke test failed: ${outfile} --version printed "${version}", expected "${pkg.version}"`);
      process.exit(1);
    }
    console.log(`built ${outfile} (version ${version}; ${data.join("; ")})`);
  }
}
