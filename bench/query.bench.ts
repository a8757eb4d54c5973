// SQL over the lake: Tarn's runQuery (in process, catalog over local files) against DuckDB single-threaded.
// Usage: npx tsx bench/query.bench.ts [rows=1000000] [runs=5]
// Files are generated once per row count, encoder and generator version, and kept in the temp directory.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import type { LakeRow } from "../shared/lake/lake-row";
import { encodeLakeFile } from "../shared/parquet/lake-file";
import { createFooterCache, type FileRef, runQuery } from "../shared/query/index";
import { generateRows } from "./data";
import { catalogOver } from "./local-catalog";

const QUERIES: { name: string; kind: string; sql: string }[] = [
  {
    name: "group_by_type",
    kind: "group-by",
    sql: "SELECT event_type, count(*) AS n, sum(epoch_ms(received_at) - epoch_ms(ts)) AS lag FROM events GROUP BY 1 ORDER BY n DESC",
  },
  {
    name: "group_by_two_keys",
    kind: "group-by",
    sql: "SELECT country, source, count(*) AS n, avg(epoch_ms(received_at) - epoch_ms(ts)) AS lag FROM events GROUP BY 1, 2 ORDER BY n DESC, 1, 2 LIMIT 20",
  },
  {
    name: "hourly",
    kind: "time-bucket",
    sql: "SELECT date_trunc('hour', ts) AS hour, count(*) AS n FROM events GROUP BY 1 ORDER BY 1",
  },
  {
    name: "daily_by_type",
    kind: "time-bucket",
    sql: "SELECT date_trunc('day', ts) AS day, event_type, count(*) AS n FROM events GROUP BY 1, 2 ORDER BY 1, 2",
  },
  { name: "distinct_users", kind: "distinct", sql: "SELECT count(DISTINCT user_id) AS users FROM events" },
  { name: "approx_users", kind: "distinct", sql: "SELECT approx_count_distinct(user_id) AS users FROM events" },
  {
    name: "filtered_country",
    kind: "filtered",
    sql: "SELECT country, count(*) AS n FROM events WHERE event_type = 'purchase' AND ts >= TIMESTAMP '2025-03-02' GROUP BY 1 ORDER BY n DESC, 1 LIMIT 5",
  },
  {
    name: "filtered_revenue",
    kind: "filtered",
    sql: "SELECT round(sum(CAST(payload->>'amount' AS DOUBLE)), 2) AS revenue, count(*) AS n FROM events WHERE event_type = 'purchase'",
  },
  {
    name: "filtered_hour",
    kind: "filtered",
    sql: "SELECT count(*) AS n, count(DISTINCT session_id) AS sessions FROM events WHERE ts BETWEEN TIMESTAMP '2025-03-02 10:00' AND TIMESTAMP '2025-03-02 11:00'",
  },
];

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
async function lakeFiles(total: number): Promise<(FileRef & { path: string })[]> {
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

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

function sameAnswer(a: unknown[][], b: unknown[][]): boolean {
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

async function main(): Promise<void> {
  const total = Number(process.argv[2] ?? 1_000_000);
  const runs = Number(process.argv[3] ?? 5);
  const files = await lakeFiles(total);
  const catalog = catalogOver(files);
  const footerCache = createFooterCache(10_000);

  const instance = await DuckDBInstance.create(":memory:");
  const duck = await instance.connect();
  await duck.run("SET threads = 1");
  await duck.run("SET TimeZone = 'UTC'");
  const list = files.map((f) => `'${f.path}'`).join(", ");
  await duck.run(`CREATE VIEW events AS SELECT * FROM read_parquet([${list}])`);

  console.log(`rows: ${total}`);
  console.log(`files: ${files.length}`);
  console.log(
    `runs: ${runs} each, alternating, after one untimed warm-up each (footers cached by Tarn, as the adapter does)`,
  );
  const ratios: number[] = [];
  for (const q of QUERIES) {
    const tarnMs: number[] = [];
    const duckMs: number[] = [];
    const tarnRows = (await runQuery(q.sql, catalog, { footerCache })).rows;
    const duckRows = (await duck.runAndReadAll(q.sql)).getRowsJS() as unknown[][];
    const same = q.name === "approx_users" || sameAnswer(tarnRows, duckRows);
    for (let r = 0; r < runs; r++) {
      let t = performance.now();
      await runQuery(q.sql, catalog, { footerCache });
      tarnMs.push(performance.now() - t);
      t = performance.now();
      await duck.runAndReadAll(q.sql);
      duckMs.push(performance.now() - t);
    }
    const ratio = median(tarnMs) / median(duckMs);
    ratios.push(ratio);
    console.log(
      `${q.name} (${q.kind}): tarn_ms_median ${median(tarnMs).toFixed(1)}  duckdb_ms_median ${median(duckMs).toFixed(1)}  ratio ${ratio.toFixed(2)}${same ? "" : "  (ANSWERS DIFFER)"}`,
    );
  }
  const geomean = Math.exp(ratios.reduce((s, r) => s + Math.log(r), 0) / ratios.length);
  console.log(`geometric_mean_ratio_tarn_over_duckdb: ${geomean.toFixed(2)}`);
  duck.closeSync();
  instance.closeSync();
}

await main();
