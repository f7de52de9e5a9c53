/**
 * "Probably link X" for a hit on an unknown id: the link it is the start of (the rest was
 * cut off, e.g. by a line break in a PDF), or the one a single character away (a typo),
 * when exactly one fits. The stores look the fitting ids up by index (a prefix range
 * and the ids one edit away), never among every link.
 */

/** What a tracking id is made of (lib/schemas.ts TRACKING_ID_PATTERN), in byte order. */
export const ID_ALPHABET = "-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~";

/** Orphan ids shorter than this are probably nobody's. */
export const MIN_ORPHAN_LENGTH = 4;

/** True when a and b differ by one inserted, deleted or replaced character. */
export function oneEditApart(a: string, b: string): boolean {
  if (a === b || Math.abs(a.length - b.length) > 1) return false;
  // The common start, then the common end: between them at most one character of each.
  let start = 0;
  while (start < a.length && start < b.length && a.charCodeAt(start) === b.charCodeAt(start)) start++;
  let endA = a.length - 1;
  let endB = b.length - 1;
  while (endA >= start && endB >= start && a.charCodeAt(endA) === b.charCodeAt(endB)) {
    endA--;
    endB--;
  }
  return endA - start < 1 && endB - start < 1;
}

/** The one link among `ids` that `orphan` probably meant, or null (none fits, or two do). */
export function probableLink(orphan: string, ids: Iterable<string>): string | null {
  if (orphan.length < MIN_ORPHAN_LENGTH) return null;
  let fit: string | null = null;
  for (const id of ids) {
    if (id === fit || !((id.startsWith(orphan) && id !== orphan) || oneEditApart(orphan, id))) continue;
    if (fit !== null) return null; // two fit: neither is probable
    fit = id;
  }
  return fit;
}

/**
 * Every id of the alphabet one replaced, inserted or deleted character away from
 * `orphan`, the edit before position `below` (by default anywhere).
 */
export function oneEditNeighbours(orphan: string, below = orphan.length + 1): string[] {
  const out: string[] = [];
  for (let i = 0; i <= orphan.length && i < below; i++) {
    const head = orphan.slice(0, i);
    for (const c of ID_ALPHABET) {
      out.push(head + c + orphan.slice(i));
      if (i < orphan.length && c !== orphan[i]) out.push(head + c + orphan.slice(i + 1));
    }
    if (i < orphan.length) out.push(head + orphan.slice(i + 1));
  }
  return out;
}

/**
 * The first half of an orphan id: an id one edit away with the edit at or after its end
 * starts with it (ids one edit away with the edit before it end with the rest).
 */
export const frontHalf = (orphan: string): string => orphan.slice(0, Math.floor(orphan.length / 2));

/** The upper end of the range of ids that start with `prefix` (every id character sorts below it). */
export const prefixEnd = (prefix: string): string => `${prefix}\u007f`;
