/**
 * The location data embedded in the binary (scripts/geo-data.mjs made it), handed over
 * without holding it in this process's memory where that can be helped.
 *
 * Read from the binary, 18 MB of data would count twice in the server's memory (the
 * executable's pages it touched, and the copy). So a compiled server copies each file
 * once, out of its own executable (read with pread: the pages stay in the kernel's cache,
 * not in this process), into a folder beside its database, and maps the copy: then only
 * the pages that lookups touch are resident. Run from source, the files in `generated/`
 * are mapped directly. When neither can be done (a read-only disk), the data is read.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { createExclusive, ownFolder } from "../files";
import { join } from "node:path";
import countryFile from "../../../generated/country.lt" with { type: "file" };
import manifest from "../../../generated/geo-data.json" with { type: "json" };
import networkFile from "../../../generated/network.lt" with { type: "file" };

export type EmbeddedKind = "country" | "network";
export const EMBEDDED = { country: countryFile, network: networkFile } as const;
export const embeddedInfo = (kind: EmbeddedKind) => manifest[kind];

const HEADER = 32;
// Small: the buffer is this process's memory (the rest stays in the kernel's cache).
const CHUNK = 1 << 18;

/** A file mapped (read-only use, private mapping), or read when it cannot be. */
export function mapped(path: string): Uint8Array {
  try {
    return Bun.mmap(path, { shared: false });
  } catch {
    return new Uint8Array(readFileSync(path));
  }
}

/** Where the data of `kind` starts in the executable: after its header, found from the end (where Bun keeps what it embeds). */
function offsetInExecutable(fd: number, kind: EmbeddedKind): number {
  const marker = Buffer.concat([Buffer.from("LTGEO001", "latin1"), Buffer.from(manifest[kind].id, "hex")]);
  const size = statSync(process.execPath).size;
  const chunk = Buffer.alloc(CHUNK + marker.length);
  for (let end = size; end > 0; end -= CHUNK) {
    const start = Math.max(0, end - CHUNK);
    const length = readSync(fd, chunk, 0, Math.min(chunk.length, size - start), start);
    const at = chunk.subarray(0, length).lastIndexOf(marker);
    if (at >= 0) return start + at + HEADER;
  }
  throw new Error(`the ${kind} data is not in ${process.execPath}`);
}

/** The data copied out of the executable into `dir` (once per data version), or the copy made before. */
function extracted(kind: EmbeddedKind, dir: string): string {
  const { id, size } = manifest[kind];
  const target = join(dir, `${kind}-${id}.bin`);
  if (existsSync(target) && statSync(target).size === size) return target;
  ownFolder(dir);
  const from = openSync(process.execPath, "r");
  // A new file of an unguessable name, never one someone made first (nor a link in its place).
  const { fd: to, path: temporary } = createExclusive(dir, `.${kind}-`);
  try {
    const offset = offsetInExecutable(from, kind);
    const buffer = Buffer.alloc(CHUNK);
    for (let done = 0; done < size; ) {
      const n = readSync(from, buffer, 0, Math.min(CHUNK, size - done), offset + done);
      if (n <= 0) throw new Error(`the ${kind} data ends early in ${process.execPath}`);
      writeSync(to, buffer, 0, n);
      done += n;
    }
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  } finally {
    closeSync(from);
    closeSync(to);
  }
  // Two servers starting at once each write their own copy; either one is whole.
  renameSync(temporary, target);
  // The copies of data this binary no longer embeds (an upgrade's leftovers).
  for (const name of readdirSync(dir)) if (name.startsWith(`${kind}-`) && name.endsWith(".bin") && join(dir, name) !== target) rmSync(join(dir, name), { force: true });
  return target;
}

/** A compiled server's copy of the embedded data of `kind`, made now if it is not there yet. */
export function prepareEmbedded(kind: EmbeddedKind, dir: string | null): void {
  if (!dir || !EMBEDDED[kind].startsWith("/$bunfs/")) return;
  try {
    extracted(kind, dir);
  } catch {
    // Read from the binary when first used instead (embeddedData).
  }
}

/** The embedded data of `kind`: mapped where it can be (`dir` is where a compiled server keeps its copy). */
export function embeddedData(kind: EmbeddedKind, dir: string | null): Uint8Array {
  const path = EMBEDDED[kind];
  if (!path.startsWith("/$bunfs/")) return mapped(path).subarray(HEADER);
  if (dir) {
    try {
      return mapped(extracted(kind, dir));
    } catch {}
  }
  return new Uint8Array(readFileSync(path)).subarray(HEADER);
}
