/**
 * A consistent copy of the live database, taken while the server runs: VACUUM INTO reads
 * one snapshot (WAL lets the server go on writing meanwhile) and writes a compact file.
 * Waiting redirect clicks are copied with everything else and moved on at the first
 * start on the copy. The copy is owner-only (it holds what the database holds), written
 * in a private folder of its own beside the target (a name nobody can guess, made for it)
 * and linked into place only if nothing has the name by then: a half-written file never
 * has the name, and no file or link someone put there first is written through or replaced.
 */
import { linkSync, lstatSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { Db } from "./index";

export function backupTo(db: Db, file: string): { bytes: number } {
  const taken = () => new Error(`${file} already exists; give a new name (e.g. with the date in it) or remove it`);
  // (A dangling symbolic link has the name too.)
  if (lstatSync(file, { throwIfNoEntry: false })) throw taken();
  const umask = process.umask(0o077);
  const folder = mkdtempSync(join(dirname(file), `.${basename(file)}.partial-`));
  const partial = join(folder, "copy.db");
  try {
    db.$client.run("VACUUM INTO ?", [partial]);
    try {
      linkSync(partial, file);
    } catch (error) {
      if ((error as { code?: string }).code === "EEXIST") throw taken();
      throw error;
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
    process.umask(umask);
  }
  return { bytes: statSync(file).size };
}

