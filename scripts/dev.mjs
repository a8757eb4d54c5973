#!/usr/bin/env node
// `npm run dev`: creates .dev.vars, applies D1 migrations locally, then starts `wrangler dev`.
// Extra flags pass through to wrangler dev (`npm run dev -- --port 9000 --persist-to /tmp/state`);
// --persist-to is also given to the migration step so both use the same local state.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync } from "node:fs";
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

// The web app's assets (wrangler.toml [assets]) are built first, then rebuilt on change while the server runs.
console.log("[tarn] building the web app");
const web = spawnSync(process.execPath, [path.join(root, "scripts", "build-web.mjs")], { cwd: root, stdio: "inherit" });
if (web.status !== 0) {
  console.error("[tarn] the web app did not build; not starting the server");
  process.exit(web.status ?? 1);
}
// Watch for web development in a terminal; not when scripted (tests, benchmarks) or with TARN_WEB_WATCH=0.
const watchWeb = process.env.TARN_WEB_WATCH === "1" || (process.stdout.isTTY && process.env.TARN_WEB_WATCH !== "0");
const webWatch = !watchWeb
  ? null
  : spawn(process.execPath, [path.join(root, "scripts", "build-web.mjs"), "--watch"], {
      cwd: root,
      stdio: "inherit",
    });

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
const flagValue = (name, fallback) => {
  const i = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i === -1) return fallback;
  return args[i].includes("=") ? args[i].split("=")[1] : args[i + 1];
};
const defaults = [
  ...(hasFlag("--ip") ? [] : ["--ip", "127.0.0.1"]),
  ...(hasFlag("--port") ? [] : ["--port", "8787"]),
  ...(hasFlag("--test-scheduled") ? [] : ["--test-scheduled"]),
];
const dev = spawn(process.execPath, [wrangler, "dev", ...defaults, ...args], {
  cwd: root,
  stdio: "inherit",
  env: { WRANGLER_SEND_METRICS: "false", ...process.env },
});
for (const signal of ["SIGINT", "SIGTERM"])
  process.on(signal, () => {
    webWatch?.kill(signal);
    dev.kill(signal);
  });

// wrangler dev does not fire cron triggers; this does, so the batch jobs run on their own locally.
// It reads the crons of wrangler.toml and calls /__scheduled when one matches the minute (UTC).
function fieldMatches(field, value) {
  return field.split(",").some((part) => {
    if (part === "*") return true;
    const step = /^\*\/(\d+)$/.exec(part);
    if (step) return value % Number(step[1]) === 0;
    return Number(part) === value;
  });
}
function cronMatches(cron, d) {
  const [min, hour, dom, mon, dow] = cron.trim().split(/\s+/);
  return (
    fieldMatches(min, d.getUTCMinutes()) &&
    fieldMatches(hour, d.getUTCHours()) &&
    fieldMatches(dom, d.getUTCDate()) &&
    fieldMatches(mon, d.getUTCMonth() + 1) &&
    fieldMatches(dow, d.getUTCDay())
  );
}
const crons = [
  ...(readFileSync(path.join(root, "wrangler.toml"), "utf8").match(/^crons\s*=\s*\[(.*)\]/m)?.[1] ?? "").matchAll(
    /"([^"]+)"/g,
  ),
].map((m) => m[1]);
if (process.env.TARN_DEV_CRON !== "0" && crons.length > 0) {
  const base = `http://${flagValue("--ip", "127.0.0.1")}:${flagValue("--port", "8787")}`;
  let last = "";
  const timer = setInterval(() => {
    const now = new Date();
    const minute = now.toISOString().slice(0, 16);
    if (minute === last) return;
    last = minute;
    for (const cron of crons.filter((c) => cronMatches(c, now))) {
      fetch(`${base}/__scheduled?cron=${encodeURIComponent(cron)}`).catch(() => {});
      console.log(`[tarn] cron ${cron}`);
    }
  }, 5000);
  timer.unref();
}
dev.on("exit", (code, signal) => {
  webWatch?.kill("SIGTERM");
  process.exit(code ?? (signal ? 1 : 0));
});
