#!/usr/bin/env node
// Prints the gzipped size of the Worker bundle from `wrangler deploy --dry-run --outdir DIR`
// and fails above 3 MB, the Workers Free plan's limit.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";

const LIMIT = 3 * 1024 * 1024;
const dir = process.argv[2] ?? "dist";
const files = readdirSync(dir, { recursive: true })
  .map((f) => path.join(dir, String(f)))
  .filter((f) => statSync(f).isFile() && !f.endsWith(".map"));
let raw = 0;
let gzipped = 0;
for (const f of files) {
  const bytes = readFileSync(f);
  raw += bytes.length;
  gzipped += gzipSync(bytes, { level: 9 }).length;
}
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log(`bundle: ${files.length} files, ${kib(raw)} raw, ${kib(gzipped)} gzipped (limit ${kib(LIMIT)})`);
if (gzipped > LIMIT) {
  console.error("bundle: over the 3 MB gzipped limit of the Workers Free plan");
  process.exit(1);
}
