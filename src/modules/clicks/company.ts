/**
 * "From Acme's own network": a person's click whose network belongs to the company the
 * application went to. Names are compared as words, after case, accents, punctuation,
 * legal forms (AG, SE, GmbH, Inc, Corp, Ltd, LLC, PLC, S.A. …) and common words are set
 * aside: every word left of the company's name must be in the network's, and at least one
 * of them must be distinctive ("Bank" or "Group" alone never matches). Cloud and hosting
 * networks never match: a company named Amazon or Microsoft does not make AWS or Azure
 * a recruiter's office.
 *
 * Limits (docs/api.md): most recruiters are at home or on a mobile network, where this
 * says nothing; an agency recruiter's network is the agency's; a company whose network is
 * registered under another name (a parent, an old name) is not recognised.
 */
import { NETWORK_RULES } from "./networks";

/** Legal forms, as words once punctuation is gone ("S.A." is "s a", "S.p.A." "s p a"). */
const LEGAL = new Set([
  "ag", "se", "gmbh", "mbh", "kg", "kgaa", "ohg", "ug", "inc", "incorporated", "corp", "corporation", "co", "company", "ltd", "limited",
  "llc", "llp", "lp", "plc", "sa", "sas", "sarl", "spa", "srl", "bv", "nv", "ab", "as", "asa", "oy", "oyj", "aps", "kk", "pty", "pte", "sl", "sau", "sca",
]);
/** Legal forms written with dots, once split into letters. */
const SPLIT_LEGAL = ["s a", "s p a", "s r l", "b v", "n v", "s a s", "s l", "a s"];
/** Words that say nothing of which company it is, dropped from both names. */
const COMMON = new Set(["the", "and", "of", "de", "du", "la", "le", "der", "die", "das", "und", "et", "y", "for", "a"]);
/** Words left in a name that never make a match on their own. */
const GENERIC = new Set([
  "bank", "group", "holding", "holdings", "international", "global", "services", "service", "solutions", "systems", "technologies", "technology",
  "tech", "consulting", "partners", "capital", "digital", "network", "networks", "communications", "telecom", "online", "internet", "net",
  "software", "labs", "industries", "enterprises", "national", "first", "united", "general", "media", "data", "cloud", "com",
]);
/** Cloud and hosting networks (networks.ts's, and the clouds that share an AS with their company's offices). */
const CLOUD_ASNS = new Set([...NETWORK_RULES.filter((r) => r.kind === "bot").flatMap((r) => r.asns ?? []), 8075, 8068, 15169, 36040, 396982]);

/** A name's words: lower case, accents and punctuation gone, legal forms and common words dropped. */
export function nameWords(name: string): string[] {
  let text = ` ${name.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().replace(/&/g, " and ").replace(/[^\p{L}\p{N}]+/gu, " ").trim()} `;
  for (const form of SPLIT_LEGAL) text = text.replaceAll(` ${form} `, " ");
  return text.split(" ").filter((w) => w && !LEGAL.has(w) && !COMMON.has(w));
}

/** Whether a click's network (its organisation and AS) is the company's own. */
export function fromCompanyNetwork(company: string | null | undefined, network: { asn: number | null; network: string | null }): boolean {
  if (!company || !network.network || (network.asn !== null && CLOUD_ASNS.has(network.asn))) return false;
  const wanted = nameWords(company);
  if (!wanted.some((w) => !GENERIC.has(w))) return false;
  const have = new Set(nameWords(network.network));
  return wanted.every((w) => have.has(w));
}
