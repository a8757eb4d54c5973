// The query benchmarks' lake: generated events laid out as the lake does, cached in the temp directory.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { LakeRow } from "../shared/lake/lake-row";
import { encodeLakeFile } from "../shared/parquet/lake-file";
import type { FileRef } from "../shared/query/index";
import { generateRows } from "./data";

const DAY = 86_400_000;
const CHUNK = 1_000_000;

/** A fingerprint of what the files depend on, so a changed encoder or generator regenerates them. */
async function sourceVersion(): Promise<string> {
  const hash = createHash("sha256");
  const parquet = (await readdir(path.join(import.meta.dirname, "../shared/parquet"))).sort();
  for (const f of [...parquet.map((p) => `shared/parquet/${p}`), "bench/data.ts"]) {
    const file = path.join(import.meta.dirname, "..", f);
    if (existsSync(file)) hash.update(await readFile(file));
  }
  return hash.digest("hex").slice(0, 10);
}

/**
 * Lay the rows out as the lake does: one file per event type (dataset) and UTC day. Rows are made in
 * chunks of a million (seed = chunk index + 1, each chunk shifted by three days) so 10M fits in memory.
 */
export async function lakeFiles(total: number): Promise<(FileRef & { path: string })[]> {
  const dir = path.join(tmpdir(), `tarn-query-bench-${total}-${await sourceVersion()}`);
  const manifest = path.join(dir, "manifest.json");
  if (existsSync(manifest)) return JSON.parse(await readFile(manifest, "utf8"));
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const files: (FileRef & { path: string })[] = [];
  for (let chunk = 0; chunk * CHUNK < total; chunk++) {
    const rows = generateRows(Math.min(CHUNK, total - chunk * CHUNK), chunk + 1);
    const parts = new Map<string, LakeRow[]>();
    for (const row of rows) {
      if (chunk > 0) {
        row.ts += chunk * 3 * DAY;
        row.received_at += chunk * 3 * DAY;
      }
      const key = `${row.event_type}/dt=${new Date(row.ts).toISOString().slice(0, 10)}/part-${chunk}.parquet`;
      let list = parts.get(key);
      if (!list) {
        list = [];
        parts.set(key, list);
      }
      list.push(row);
    }
    for (const [key, part] of parts) {
      const file = path.join(dir, key.replaceAll("/", "__"));
      await writeFile(file, encodeLakeFile(part));
      const ts = part.map((r) => r.ts);
      files.push({
        key,
        path: file,
        dataset: part[0]?.event_type as string,
        rows: part.length,
        minTs: Math.min(...ts),
        maxTs: Math.max(...ts),
      });
    }
    process.stderr.write(`generated ${Math.min(total, (chunk + 1) * CHUNK)} rows\n`);
  }
  await writeFile(`${manifest}.tmp`, JSON.stringify(files));
  await rename(`${manifest}.tmp`, manifest);
  return files;
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

export function sameAnswer(a: unknown[][], b: unknown[][]): boolean {
  const norm = (v: unknown) => (v instanceof Date ? v.getTime() : typeof v === "bigint" ? Number(v) : v);
  if (a.length !== b.length) return false;
  return a.every((row, i) =>
    row.every((v, j) => {
      const x = norm(v);
      const y = norm(b[i]?.[j]);
      if (typeof x === "number" && typeof y === "number") return Math.abs(x - y) <= 1e-6 * Math.max(1, Math.abs(x));
      return x === y;
    }),
  );
}
