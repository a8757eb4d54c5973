#!/usr/bin/env node
// Adds lockfile records for other platforms' optional binaries (workerd, biome, duckdb, …) that
// the npm registry mirror here does not serve, so `npm install` leaves them out and `npm ci`
// then refuses the lockfile. Each record carries os/cpu/libc, so npm skips it on this machine
// and resolves it from the registry by version on the platform that needs it.
// Run after changing dependencies: `npm install && node scripts/fix-lockfile.mjs`.
import { readFileSync, writeFileSync } from "node:fs";

const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8"));
const packages = lock.packages;

function platformOf(name) {
  const n = name.toLowerCase();
  const os = /darwin/.test(n)
    ? "darwin"
    : /win32|windows/.test(n)
      ? "win32"
      : /android/.test(n)
        ? "android"
        : /freebsd/.test(n)
          ? "freebsd"
          : /linux/.test(n)
            ? "linux"
            : null;
  const cpu = /arm64|aarch64/.test(n) ? "arm64" : /x64|-64|amd64/.test(n) ? "x64" : /arm/.test(n) ? "arm" : null;
  if (!os || !cpu) return null;
  return { os: [os], cpu: [cpu], ...(/musl/.test(n) ? { libc: ["musl"] } : {}) };
}

let added = 0;
for (const [where, pkg] of Object.entries(packages)) {
  for (const [dep, spec] of Object.entries(pkg.optionalDependencies ?? {})) {
    const nested = `${where ? `${where}/` : ""}node_modules/${dep}`;
    const top = `node_modules/${dep}`;
    if (packages[nested] || packages[top]) continue;
    const platform = platformOf(dep);
    if (!platform || !/^\d+\.\d+\.\d+/.test(spec)) continue;
    packages[top] = { version: spec, dev: pkg.dev ?? undefined, optional: true, ...platform };
    added++;
  }
}
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`fix-lockfile: added ${added} platform records`);
