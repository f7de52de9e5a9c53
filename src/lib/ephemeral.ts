/**
 * Whether a folder lives on a disk that does not outlast its container: the container's own
 * root (overlay, as Docker, Podman and every platform app without a volume give it) or
 * memory (tmpfs). A SQLite database there loses every click when the container is replaced,
 * which a platform does at every deploy. Read from /proc/self/mountinfo (Linux); elsewhere,
 * or when it cannot be read, nothing is said.
 */
import { readFileSync, realpathSync } from "node:fs";
import { dirname, resolve } from "node:path";

const EPHEMERAL = new Set(["overlay", "aufs", "tmpfs", "ramfs"]);

/** mountinfo escapes space, tab, newline and backslash as octal (\040 …). */
const unescape = (field: string) => field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));

/** The mount that holds `path` (the longest mount point above it): its point and filesystem type. */
export function mountOf(path: string, mountinfo: string): { point: string; fstype: string } | null {
  let best: { point: string; fstype: string } | null = null;
  for (const line of mountinfo.split("\n")) {
    const [left, right] = line.split(" - ");
    if (!right) continue;
    const point = unescape(left.split(" ")[4] ?? "");
    const fstype = right.split(" ")[0];
    const inside = point === "/" || path === point || path.startsWith(`${point}/`);
    if (inside && (!best || point.length >= best.point.length)) best = { point, fstype };
  }
  return best;
}

/** The folder's nearest existing ancestor, resolved through symbolic links. */
function existingReal(path: string): string {
  let at = resolve(path);
  for (;;) {
    try {
      return realpathSync(at);
    } catch {
      if (dirname(at) === at) return at;
      at = dirname(at);
    }
  }
}

function readMountinfo(): string {
  try {
    return readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    return "";
  }
}

/**
 * A sentence for the log when the database file `databasePath` would be lost with its
 * container, or null. `mountinfo` and `folder` (the database's folder as this process
 * sees it) are read from the system unless given.
 */
export function ephemeralDiskWarning(databasePath: string, mountinfo = readMountinfo(), folder = existingReal(dirname(databasePath))): string | null {
  const mount = mountOf(folder, mountinfo);
  if (!mount || !EPHEMERAL.has(mount.fstype)) return null;
  const where = mount.fstype === "overlay" || mount.fstype === "aufs" ? "the container's own filesystem" : "memory";
  return `the database ${databasePath} is on ${where} (${mount.fstype} at ${mount.point}): every click is lost when the container is replaced, at each deploy; mount a volume at ${folder} (the image's is /data), or set DATABASE_URL to a PostgreSQL database`;
}
