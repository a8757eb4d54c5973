// drizzle-kit: generates D1 migrations from shared/db/schema.ts.
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./shared/db/*.ts",
  out: "./migrations",
});
