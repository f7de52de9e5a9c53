import { defineConfig } from "drizzle-kit";

// The PostgreSQL store's migrations (the SQLite ones: drizzle.config.ts).
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/postgres/schema.ts",
  out: "./drizzle-pg",
});
