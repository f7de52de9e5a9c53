/**
 * The reads that may run on a reader thread (reader.ts), those of clicks and the lists
 * that read every link: each takes the connection first, its arguments and answer plain
 * data (they cross to the thread and back). The store runs them inline where it has no
 * reader thread.
 */
import { applicationPage } from "./applications";
import { applicationActivity, applicationStandings, burstCandidates, clickBreakdowns, clickCountsBy, clicksPerDay, clickSpan, clickTotals, orphansIn, perLinkKindCounts, topLinksIn } from "./clicks";
import type { Db } from "./index";
import { probableLinks } from "./links";

export const READS = {
  totals: clickTotals,
  countsBy: clickCountsBy,
  breakdowns: clickBreakdowns,
  span: clickSpan,
  perDay: clicksPerDay,
  topLinksIn,
  orphansIn,
  perLinkKindCounts,
  applicationActivity,
  applicationStandings,
  applicationPage,
  burstCandidates,
  probableOf: probableLinks,
};
export type ReadName = keyof typeof READS;
type Rest<F> = F extends (db: Db, ...args: infer A) => unknown ? A : never;
export type ReadArgs<N extends ReadName> = Rest<(typeof READS)[N]>;
