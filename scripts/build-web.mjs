#!/usr/bin/env node
// Builds the web app (web/) into web/dist, which the Worker serves as static assets (wrangler.toml [assets]).
// esbuild (already here through wrangler) bundles web/src/main.ts with the shared chart renderer; no framework.
// `--watch` rebuilds on change (npm run dev starts it); the output is small and builds in well under a second.
import { copyFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const web = path.join(root, "web");
const out = path.join(web, "dist");
const watch = process.argv.includes("--watch");

// Files are overwritten in place, never removed first: a running server keeps serving while this builds.
mkdirSync(out, { recursive: true });
const copyStatic = () => {
  for (const f of ["index.html", "app.css", "favicon.svg"]) copyFileSync(path.join(web, f), path.join(out, f));
};
copyStatic();

const options = {
  entryPoints: [path.join(web, "src", "main.ts")],
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: !watch,
  sourcemap: watch ? "inline" : false,
  outfile: path.join(out, "app.js"),
  logLevel: "warning",
  legalComments: "none",
  plugins: [
    {
      name: "static-files",
      setup(build) {
        build.onEnd(() => copyStatic());
      },
    },
  ],
};

if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
  console.log("[tarn] web: watching web/ (rebuilds into web/dist)");
} else {
  const started = Date.now();
  await esbuild.build(options);
  console.log(`[tarn] web: built web/dist in ${Date.now() - started} ms`);
}
