/**
 * `link-tracker locate`: gives stored clicks that have an address but no place their
 * country and network (clicks stored before locating existed, or a database copied in).
 * Their kind is left as it was: a change of class would rewrite history the job seeker
 * has seen, and the signals already sent.
 */
import type { Store } from "../../db/store";
import type { Locator } from "../../lib/geo";

const PAGE = 2000;

export async function locateStored(store: Store, locator: Locator, progress: (looked: number, located: number) => void = () => {}) {
  let after: string | null = null;
  let looked = 0;
  let located = 0;
  for (;;) {
    const page = await store.clicks.unlocated(after, PAGE);
    if (page.length === 0) break;
    after = page.at(-1)!.clickId;
    looked += page.length;
    const places = page
      .map((c) => ({ clickId: c.clickId, ...locator.locate(c.ipAddress) }))
      .filter((p) => p.country !== null || p.asn !== null);
    located += await store.clicks.setPlaces(places);
    progress(looked, located);
  }
  return { looked, located };
}
