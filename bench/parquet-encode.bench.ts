// Parquet encode: Tarn's encodeLakeFile against DuckDB's single-threaded COPY … (FORMAT parquet, COMPRESSION zstd).
// Usage: npx tsx bench/parquet-encode.bench.ts [rows=1000000] [runs=3]
// Landing's small files: e.g. `… 2000 200` (one file of 2,000 rows per run, 200 runs each).
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { LAKE_COLUMNS, type LakeRow } from "../shared/lake/lake-row";
import { encodeLakeFile } from "../shared/parquet/lake-file";
import { generateRows } from "./data";

interface DuckDbReference {
  /** Time one single-threaded `COPY t TO … (FORMAT parquet, COMPRESSION zstd)`; returns ms and bytes. */
  copyToParquet(): Promise<{ ms: number; bytes: number }>;
  close(): Promise<void>;
}

/** Stream rows to NDJSON in chunks, so the file never has to exist as one string in memory. */
async function writeNdjson(rows: LakeRow[], file: string): Promise<void> {
  const out = createWriteStream(file);
  const chunk = 10_000;
  for (let i = 0; i < rows.length; i += chunk) {
    let text = "";
    for (const row of rows.slice(i, i + chunk)) text += `${JSON.stringify(row)}\n`;
    if (!out.write(text)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
}

/**
 * Load `rows` into DuckDB table `t` with the lake's column types (TIMESTAMP, VARCHAR, and JSON kept as
 * VARCHAR text), ordered by `ts` like Tarn's files, so both writers encode the same rows in the same order.
 */
async function loadDuckDbReference(rows: LakeRow[]): Promise<DuckDbReference> {
  const dir = await mkdtemp(path.join(tmpdir(), "tarn-bench-"));
  const ndjson = path.join(dir, "rows.ndjson");
  await writeNdjson(rows, ndjson);
  const instance = await DuckDBInstance.create(":memory:");
  const connection: DuckDBConnection = await instance.connect();
  const jsonColumns = LAKE_COLUMNS.map(({ name, type }) => `${name}: '${type === "TIMESTAMP" ? "BIGINT" : "VARCHAR"}'`);
  const select = LAKE_COLUMNS.map(({ name, type }) => (type === "TIMESTAMP" ? `epoch_ms(${name}) AS ${name}` : name));
  await connection.run(
    `CREATE TABLE t AS SELECT ${select.join(", ")} FROM read_json('${ndjson}', format = 'newline_delimited', columns = {${jsonColumns.join(", ")}}) ORDER BY ts`,
  );
  await rm(ndjson);
  await connection.run("SET threads = 1");
  await connection.run("SET preserve_insertion_order = true");
  let run = 0;
  return {
    async copyToParquet() {
      const file = path.join(dir, `duckdb-${run++}.parquet`);
      const start = performance.now();
      await connection.run(`COPY t TO '${file}' (FORMAT parquet, COMPRESSION zstd)`);
      const ms = performance.now() - start;
      const { size } = await stat(file);
      await rm(file);
      return { ms, bytes: size };
    },
    async close() {
      connection.closeSync();
      instance.closeSync();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const rowCount = Number(process.argv[2] ?? 1_000_000);
const runs = Number(process.argv[3] ?? 3);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const rows = generateRows(rowCount);
const duckdb = await loadDuckDbReference(rows);

// One untimed run each: JIT warm-up for Tarn, and DuckDB's first-touch of its table.
encodeLakeFile(rows);
await duckdb.copyToParquet();

const tarnMs: number[] = [];
const duckMs: number[] = [];
let tarnBytes = 0;
let duckBytes = 0;
for (let run = 0; run < runs; run++) {
  const start = performance.now();
  tarnBytes = encodeLakeFile(rows).byteLength;
  tarnMs.push(performance.now() - start);
  const duck = await duckdb.copyToParquet();
  duckMs.push(duck.ms);
  duckBytes = duck.bytes;
}
await duckdb.close();

const tarn = median(tarnMs);
const duck = median(duckMs);
const tarnRowsPerSec = rowCount / (tarn / 1000);
const duckRowsPerSec = rowCount / (duck / 1000);
console.log(`rows: ${rowCount}`);
console.log(`runs: ${runs} each, alternating`);
console.log(`tarn_ms_median: ${tarn.toFixed(0)}`);
console.log(`tarn_rows_per_s: ${tarnRowsPerSec.toFixed(0)}`);
console.log(`tarn_bytes: ${tarnBytes}`);
console.log(`duckdb_ms_median: ${duck.toFixed(0)}`);
console.log(`duckdb_rows_per_s: ${duckRowsPerSec.toFixed(0)}`);
console.log(`duckdb_bytes: ${duckBytes}`);
console.log(`ratio_rows_per_s_tarn_over_duckdb: ${(tarnRowsPerSec / duckRowsPerSec).toFixed(3)}`);
console.log(`ratio_bytes_tarn_over_duckdb: ${(tarnBytes / duckBytes).toFixed(3)}`);
// On a shared machine one writer can be descheduled for a whole run: the ratio within each adjacent
// pair of runs, then their median, is less sensitive to that than the ratio of the two medians.
const pairRatios = tarnMs.map((ms, i) => (duckMs[i] as number) / ms);
console.log(`ratio_rows_per_s_median_of_pairs: ${median(pairRatios).toFixed(3)}`);
