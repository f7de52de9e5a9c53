/**
 * Files this program writes beside others' (a backup's target folder, the data folder):
 * created new under a name nobody can guess, never through a file or a symbolic link
 * someone put there first, and owner-only.
 */
import { constants, lstatSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";

const { O_CREAT, O_EXCL, O_NOFOLLOW, O_WRONLY } = constants;

/** A new file in `dir`, opened for writing: `prefix` and a random name, created here or not at all (O_EXCL, O_NOFOLLOW). */
export function createExclusive(dir: string, prefix: string): { fd: number; path: string } {
  const path = join(dir, `${prefix}${crypto.randomUUID()}.tmp`);
  return { fd: openSync(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600), path };
}

/** `dir`, made owner-only if it is missing; refused when it is a symbolic link or not a folder. */
export function ownFolder(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = lstatSync(dir);
  if (stat.isSymbolicLink()) throw new Error(`${dir} is a symbolic link; link-tracker does not write its files through one`);
  if (!stat.isDirectory()) throw new Error(`${dir} is not a folder`);
  return dir;
}
