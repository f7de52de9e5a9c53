/**
 * The README and docs/*.md link to each other and to files in the repository: every such
 * link must reach a file that exists and, with a #fragment, a heading of it (as GitHub
 * makes anchors). The README stays a first page: under 300 lines.
 */
import { expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";

const root = join(import.meta.dir, "../../..");
const pages = ["README.md", ...readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
const anchor = (heading: string) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\- _]/gu, "").replace(/ /g, "-");

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(join(root, file), "utf8").replace(/```[\s\S]*?```/g, "");
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchor(m[1])));
}

test("every link between the README, docs/ and the repository's files reaches a file and a heading", () => {
  const broken: string[] = [];
  for (const page of pages) {
    const text = readFileSync(join(root, page), "utf8").replace(/```[\s\S]*?```/g, "");
    for (const [, url] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^(https?:|mailto:)/.test(url)) continue;
      const [path, fragment] = url.split("#");
      const target = path === "" ? page : normalize(join(dirname(page), path));
      if (!existsSync(join(root, target))) broken.push(`${page}: ${url} (no ${target})`);
      else if (fragment && target.endsWith(".md") && !anchorsOf(target).has(fragment)) broken.push(`${page}: ${url} (no heading #${fragment} in ${target})`);
    }
  }
  expect(broken).toEqual([]);
});

test("the README is a first page: under 300 lines, the reference in docs/", () => {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  expect(readme.split("\n").length).toBeLessThan(300);
  for (const page of pages.filter((p) => p.startsWith("docs/"))) expect(readme, `the README links ${page}`).toContain(`](${page})`);
});
