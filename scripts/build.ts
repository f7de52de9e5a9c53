/**
 * Compiles the server into one executable, dist/link-tracker, then runs its --version
 * as a smoke test: a binary that cannot start fails the build.
 */
import { $ } from "bun";
import pkg from "../package.json" with { type: "json" };

const outfile = "dist/link-tracker";

const result = await Bun.build({
  // The store's checkpointer, heavy reads and ingest writes run on worker threads (src/workers.ts); their entries must be in the bundle too.
  entrypoints: ["src/main.ts", "src/db/sqlite/checkpointer.ts", "src/db/sqlite/reader.ts", "src/click-writer.ts"],
  compile: { outfile },
  minify: { whitespace: true, syntax: true, identifiers: false },
  sourcemap: "linked",
  define: { LINK_TRACKER_VERSION: JSON.stringify(pkg.version) },
});
if (!result.success) {
  for (const message of result.logs) console.error(message);
  process.exit(1);
}

// The first line is the version; the lines after it the embedded data's dates.
const [version, ...data] = (await $`${outfile} --version`.text()).trim().split("\n");
if (version !== pkg.version) {
  console.error(`smoke test failed: ${outfile} --version printed "${version}", expected "${pkg.version}"`);
  process.exit(1);
}
console.log(`built ${outfile} (version ${version}; ${data.join("; ")})`);
