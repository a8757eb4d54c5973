#!/usr/bin/env node
// `npm run dev`: creates .dev.vars, applies D1 migrations locally, then starts `wrangler dev`.
// Extra flags pass through to wrangler dev (`npm run dev -- --port 9000 --persist-to /tmp/state`);
// --persist-to is also given to the migration step so both use the same local state.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const wrangler = path.join(root, "node_modules", "wrangler", "bin", "wrangler.js");
const args = process.argv.slice(2);

function persistArgs(argv) {
  const i = argv.findIndex((a) => a === "--persist-to" || a.startsWith("--persist-to="));
  if (i === -1) return [];
  return argv[i].includes("=") ? [argv[i]] : argv.slice(i, i + 2);
}

const devVars = path.join(root, ".dev.vars");
if (!existsSync(devVars)) {
  copyFileSync(path.join(root, ".dev.vars.example"), devVars);
  console.log("[tarn] created .dev.vars from .dev.vars.example");
}

console.log("[tarn] applying D1 migrations locally");
const migrate = spawnSync(
  process.execPath,
  [wrangler, "d1", "migrations", "apply", "DB", "--local", ...persistArgs(args)],
  {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" },
  },
);
if (migrate.status !== 0) {
  console.error("[tarn] D1 migrations failed; not starting the server");
  process.exit(migrate.status ?? 1);
}

const hasFlag = (name) => args.some((a) => a === name || a.startsWith(`${name}=`));
const defaults = [...(hasFlag("--ip") ? [] : ["--ip", "127.0.0.1"]), ...(hasFlag("--port") ? [] : ["--port", "8787"])];
const dev = spawn(process.execPath, [wrangler, "dev", ...defaults, ...args], {
  cwd: root,
  stdio: "inherit",
  env: { WRANGLER_SEND_METRICS: "false", ...process.env },
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
