/**
 * Clicks stored before the classification knew AI assistants were counted as bots: once
 * per list of assistants (assistants.ts), the stored bots whose agent names one become
 * assistants, through the store's reclassify (roll-ups kept exact), a slice at a time in
 * the background, with progress in the log. A new entry in the list walks the bots again.
 */
import type { Store } from "../../db/store";
import type { Logger } from "../../lib/log";
import { nowIso } from "../../lib/time";
import { ASSISTANTS, assistantOf, assistantReason } from "./assistants";

const DONE = "classify:assistants";
const CURSOR = "classify:assistants:cursor";
/** What the walk is for: the tokens it looked for (a new one makes it walk again). */
const VERSION = ASSISTANTS.map((a) => a.token).join(",");
const LOG_EVERY_MS = 10_000;

/** Walks the stored bots once for the current list; resolves with how many became assistants. */
export async function reclassifyAssistants(store: Store, log: Logger): Promise<number> {
  if ((await store.settings.get(DONE)) === VERSION) return 0;
  const saved = await store.settings.get(CURSOR);
  // A cursor of this list's walk, if one was interrupted: "VERSION@cursor".
  let after = saved?.startsWith(`${VERSION}@`) ? saved.slice(VERSION.length + 1) : null;
  let changed = 0;
  let slices = 0;
  let lastLog = Date.now();
  for (;;) {
    const { clicks, next } = await store.clicks.ofKind("bot", after);
    const byReason = new Map<string, string[]>();
    for (const c of clicks) {
      const assistant = c.userAgent ? assistantOf(c.userAgent) : null;
      if (!assistant) continue;
      const reason = assistantReason(assistant);
      byReason.set(reason, [...(byReason.get(reason) ?? []), c.clickId]);
    }
    for (const [reason, ids] of byReason) changed += await store.clicks.reclassify(ids, "assistant", reason, nowIso(), "bot");
    slices++;
    if (next === null) break;
    after = next;
    await store.settings.put(CURSOR, `${VERSION}@${after}`);
    if (Date.now() - lastLog > LOG_EVERY_MS) {
      log.info({ slices, reclassified: changed }, "stored bot clicks checked for AI assistants (in progress)");
      lastLog = Date.now();
    }
    // A turn of the loop between slices: the redirects come first.
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  await store.settings.put(DONE, VERSION);
  if (changed > 0 || slices > 1) log.info({ slices, reclassified: changed }, "stored bot clicks checked for AI assistants");
  return changed;
}
