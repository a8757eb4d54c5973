// Three test projects: "workers" runs inside workerd against real local bindings; "node" checks
// files against reference tools (DuckDB, OpenAPI validators); "e2e" drives a real `wrangler dev`.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => {
  // The Worker serves web/dist as static assets (wrangler.toml [assets]): build it before any project starts.
  execFileSync(process.execPath, [path.join(import.meta.dirname, "scripts", "build-web.mjs")], { stdio: "inherit" });
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  return {
    test: {
      projects: [
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  ADMIN_API_KEY: "tk_test_super_admin_key_0123456789abcdef",
                  // Small splits, so queries over a test's few files take the scale-out path too.
                  QUERY_SPLIT_FILES: "2",
                  // No compaction 60 s after a test's landings (tests that share a project would see
                  // their files change under them); the settling tests turn it on where they call it.
                  COMPACT_SETTLE_SECONDS: "0",
                },
              },
            }),
          ],
          test: {
            name: "workers",
            include: ["test/workers/**/*.test.ts"],
            setupFiles: ["test/workers/setup.ts"],
            globalSetup: ["test/workers/pg-global-setup.ts"],
            // Generous: a 2-core CI machine running three projects at once stretches the slower tests.
            testTimeout: 30_000,
          },
        },
        {
          test: { name: "node", include: ["test/node/**/*.test.ts"], environment: "node", testTimeout: 30_000 },
        },
        {
          test: {
            name: "e2e",
            include: ["test/e2e/**/*.test.ts"],
            environment: "node",
            testTimeout: 120_000,
            hookTimeout: 120_000,
            fileParallelism: false,
          },
        },
      ],
    },
  };
});
