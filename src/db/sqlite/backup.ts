/**
 * A consistent copy of the live database, taken while the server runs: VACUUM INTO reads
 * one snapshot (WAL lets the server go on writing meanwhile) and writes a compact file.
 * Waiting redirect clicks are copied with everything else and moved on at the first
 * start on the copy. The copy is owner-only (it holds what the database holds), written
 * under a temporary name and renamed, so that a half-written file never has the name.
 */
import { chmodSync, existsSync, renameSync, rmSync, statSync } from "node:fs";
import type { Db } from "./index";

export function backupTo(db: Db, file: string): { bytes: number } {
  if (existsSync(file)) throw new Error(`${file} already exists; give a new name (e.g. with the date in it) or remove it`);
  const partial = `${file}.partial-${process.pid}`;
  const umask = process.umask(0o077);
  try {
    db.$client.run("VACUUM INTO ?", [partial]);
    chmodSync(partial, 0o600);
    renameSync(partial, file);
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  } finally {
    process.umask(umask);
  }
  return { bytes: statSync(file).size };
}
