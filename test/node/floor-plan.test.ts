// The floor plan is the linter's to hold: wrong-way imports and import cycles fail `npm run lint`.
// Each case lints probe files laid out like the repository, in a temporary folder, with the
// repository's own Biome configuration.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");
const biome = path.join(root, "node_modules/.bin/biome");
const work = mkdtempSync(path.join(tmpdir(), "tarn-floor-plan-"));
const config = JSON.parse(readFileSync(path.join(root, "biome.json"), "utf8"));
config.vcs = { enabled: false };
config.$schema = undefined;
writeFileSync(path.join(work, "biome.json"), JSON.stringify(config));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let n = 0;
/** Lints `files` (path → source) as a fresh tree; returns the rule names Biome reported. */
function lint(files: Record<string, string>): string[] {
  const dir = path.join(work, `case-${n++}`);
  for (const [file, source] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), source);
  }
  writeFileSync(path.join(dir, "biome.json"), JSON.stringify({ ...config, root: false, extends: "//" }));
  let out = "";
  try {
    out = execFileSync(biome, ["lint", "--reporter=json", "--max-diagnostics=100", "."], {
      cwd: dir,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (error) {
    out = (error as { stdout: string }).stdout;
  }
  const report = JSON.parse(out) as { diagnostics: { category: string }[] };
  return report.diagnostics.map((d) => d.category).filter((c) => c.startsWith("lint/"));
}

const importing = (spec: string, name = "x") => `import { ${name} } from "${spec}";\nexport const y = ${name};\n`;

describe("the floor plan", () => {
  it.each([
    ["shared/ from an entry", "shared/query/probe.ts", "../../workers/app"],
    ["shared/ from services/", "shared/query/probe.ts", "../../services/manifest/read"],
    ["shared/ from cloudflare:workers", "shared/probe.ts", "cloudflare:workers"],
    ["services/ from an entry", "services/query/probe.ts", "../../queues/events-consumer"],
    ["services/ from a Durable Object", "services/query/probe.ts", "../../durable-objects/live-hub/index"],
    ["a queue consumer from the HTTP app", "queues/probe.ts", "../workers/middleware/auth"],
    ["the HTTP app from a Durable Object class", "workers/routes/probe.ts", "../../durable-objects/window-shard/index"],
    [
      "a Durable Object from another one's internals",
      "durable-objects/live-hub/probe.ts",
      "../window-shard/window-store",
    ],
    ["a Durable Object from the HTTP app", "durable-objects/live-hub/probe.ts", "../../workers/context"],
  ])("refuses %s", (_what, file, spec) => {
    expect(lint({ [file]: importing(spec) })).toContain("lint/style/noRestrictedImports");
  });

  it("keeps the lake tables to the manifest module", () => {
    const lake = (from: string) => importing(`${from}shared/db/lake`, "lakeFiles");
    expect(lint({ "queues/jobs/probe.ts": lake("../../") })).toContain("lint/style/noRestrictedImports");
    expect(lint({ "workers/routes/probe.ts": lake("../../") })).toContain("lint/style/noRestrictedImports");
    expect(lint({ "services/manifest/probe.ts": lake("../../") })).toEqual([]);
    // Other tables of the same file stay open (dead letters belong to the queues).
    expect(lint({ "queues/probe.ts": importing("../shared/db/lake", "deadLetters") })).toEqual([]);
  });

  it("lets imports go down, and the Worker's entry compose every entry", () => {
    expect(
      lint({
        "services/query/ok.ts": importing("../../shared/errors"),
        "services/live/ok.ts": importing("../stubs/window-shard"),
        "workers/routes/ok.ts": importing("../../services/manifest/read"),
        "durable-objects/live-hub/ok.ts": importing("./socket-subscriptions"),
        "durable-objects/window-shard/ok.ts": importing("../../services/stubs/live-hub"),
        "queues/ok.ts": importing("../services/manifest/publish"),
        "workers/index.ts": importing("../durable-objects/live-hub/index"),
      }),
    ).toEqual([]);
  });

  it("refuses import cycles, type-only ones included", () => {
    const cycle = lint({
      "shared/a.ts": 'import type { B } from "./b";\nexport interface A { b?: B }\n',
      "shared/b.ts": 'import type { A } from "./a";\nexport interface B { a?: A }\n',
    });
    expect(cycle).toContain("lint/suspicious/noImportCycles");
  });
});
