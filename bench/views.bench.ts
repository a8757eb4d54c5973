// Views: an incremental refresh after 1 % new events against a full refresh, and a dashboard query
// answered from the view against the same question over the raw files (Tarn and DuckDB), same run.
// Usage: npx tsx bench/views.bench.ts [rows=1000000] [runs=3]
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import type { LakeRow } from "../shared/lake/lake-row";
import { encodeLakeFile } from "../shared/parquet/lake-file";
import { createFooterCache, type FileRef, type QueryCatalog, runQuery } from "../shared/query/index";
import type { SqlType } from "../shared/query/types";
import { storedType } from "../shared/views/analyze";
import { BUCKET_MS, bucketOf, changedBuckets, fileMeetsBuckets, timeValue } from "../shared/views/buckets";
import { encodeResultFile } from "../shared/views/result-parquet";
import { generateRows } from "./data";
import { catalogOver } from "./local-catalog";
import { lakeFiles, median, sameAnswer } from "./query-lake";

type LocalFile = FileRef & { path: string };

const VIEW_SQL =
  "SELECT date_trunc('day', ts) AS day, event_type, count(*) AS n, count(DISTINCT user_id) AS users, " +
  "sum(CAST(payload->>'amount' AS DOUBLE)) AS amount FROM events GROUP BY 1, 2";
const DASHBOARD_RAW =
  "SELECT date_trunc('day', ts) AS day, count(*) AS n, sum(CAST(payload->>'amount' AS DOUBLE)) AS amount FROM events GROUP BY 1 ORDER BY 1";
const DASHBOARD_VIEW = "SELECT day, sum(n) AS n, sum(amount) AS amount FROM daily GROUP BY 1 ORDER BY 1";

/** Buckets of the view's rows, one file each, written to `dir`; returns the files as an own table. */
async function writeView(dir: string, meta: { name: string; type: string }[], rows: unknown[][], tag: string) {
  const at = meta.findIndex((m) => m.name === "day");
  const parts = new Map<number, unknown[][]>();
  for (const r of rows) {
    const b = bucketOf(timeValue(r[at]) as number);
    parts.set(b, [...(parts.get(b) ?? []), r]);
  }
  const files: LocalFile[] = [];
  for (const [b, part] of parts) {
    const file = path.join(dir, `view-${tag}-${b}.parquet`);
    await writeFile(file, encodeResultFile(meta, part));
    files.push({
      key: file,
      path: file,
      dataset: "daily",
      rows: part.length,
      minTs: b,
      maxTs: b + BUCKET_MS - 1,
      own: true,
    });
  }
  return files;
}

/** A catalog over event files that keeps only those meeting `buckets` (an incremental step). */
function bucketCatalog(inner: QueryCatalog, buckets: number[]): QueryCatalog {
  return {
    listFiles: async (t, f) => (await inner.listFiles(t, f))?.filter((x) => fileMeetsBuckets(x, buckets)) ?? null,
    openFile: (k) => inner.openFile(k),
  };
}

async function main(): Promise<void> {
  const total = Number(process.argv[2] ?? 1_000_000);
  const runs = Number(process.argv[3] ?? 3);
  const base = await lakeFiles(total);
  const dir = await mkdtemp(path.join(tmpdir(), "tarn-views-bench-"));
  // 1 % new events, all on the lake's last day (as the hour's ingest would land them).
  const lastDay = bucketOf(Math.max(...base.map((f) => f.maxTs)));
  const fresh = generateRows(Math.max(1, Math.floor(total / 100)), 99);
  for (const r of fresh) r.ts = lastDay + (((r.ts % BUCKET_MS) + BUCKET_MS) % BUCKET_MS);
  const added: LocalFile[] = [];
  const byType = new Map<string, LakeRow[]>();
  for (const r of fresh) byType.set(r.event_type, [...(byType.get(r.event_type) ?? []), r]);
  for (const [type, rows] of byType) {
    const file = path.join(dir, `new-${type}.parquet`);
    await writeFile(file, encodeLakeFile(rows));
    const ts = rows.map((r) => r.ts);
    added.push({
      key: file,
      path: file,
      dataset: type,
      rows: rows.length,
      minTs: Math.min(...ts),
      maxTs: Math.max(...ts),
    });
  }
  const all = [...base, ...added];
  const catalog = catalogOver(all);
  const footerCache = createFooterCache(10_000);

  const full = async () => {
    const r = await runQuery(VIEW_SQL, catalog, { footerCache, maxResultRows: 1_000_000 });
    return writeView(dir, r.meta, r.rows, "full");
  };
  const incremental = async () => {
    const buckets = changedBuckets(added);
    const r = await runQuery(VIEW_SQL, bucketCatalog(catalog, buckets), { footerCache, maxResultRows: 1_000_000 });
    const at = r.meta.findIndex((m) => m.name === "day");
    const rows = r.rows.filter((row) => buckets.includes(bucketOf(timeValue(row[at]) as number)));
    return writeView(dir, r.meta, rows, "inc");
  };
  await full();
  await incremental();
  const fullMs: number[] = [];
  const incMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    let t = performance.now();
    await full();
    fullMs.push(performance.now() - t);
    t = performance.now();
    await incremental();
    incMs.push(performance.now() - t);
  }

  // The dashboard question, three ways.
  const viewFiles = await full();
  const meta = (await runQuery(`${VIEW_SQL} LIMIT 0`, catalog)).meta;
  const viewCatalog = catalogOver(viewFiles);
  const tableColumns = { daily: meta.map((m) => ({ name: m.name, type: storedType(m.type) as SqlType })) };
  const instance = await DuckDBInstance.create(":memory:");
  const duck = await instance.connect();
  await duck.run("SET threads = 1");
  await duck.run("SET TimeZone = 'UTC'");
  await duck.run(`CREATE VIEW events AS SELECT * FROM read_parquet([${all.map((f) => `'${f.path}'`).join(", ")}])`);
  const fromView = (await runQuery(DASHBOARD_VIEW, viewCatalog, { footerCache, tableColumns })).rows;
  const fromRaw = (await runQuery(DASHBOARD_RAW, catalog, { footerCache })).rows;
  const fromDuck = (await duck.runAndReadAll(DASHBOARD_RAW)).getRowsJS() as unknown[][];
  const round = (rows: unknown[][]) =>
    rows.map((r) => r.map((v) => (typeof v === "number" ? Math.round(v * 100) / 100 : v)));
  const same = sameAnswer(round(fromView), round(fromRaw)) && sameAnswer(round(fromRaw), round(fromDuck));
  const viewMs: number[] = [];
  const rawMs: number[] = [];
  const duckMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    let t = performance.now();
    await runQuery(DASHBOARD_VIEW, viewCatalog, { footerCache, tableColumns });
    viewMs.push(performance.now() - t);
    t = performance.now();
    await runQuery(DASHBOARD_RAW, catalog, { footerCache });
    rawMs.push(performance.now() - t);
    t = performance.now();
    await duck.runAndReadAll(DASHBOARD_RAW);
    duckMs.push(performance.now() - t);
  }
  duck.closeSync();
  instance.closeSync();
  await rm(dir, { recursive: true, force: true });

  console.log(`rows: ${total} + ${fresh.length} new (1 %) on the last day; files: ${all.length}; runs: ${runs}`);
  console.log(
    `refresh: full_ms_median ${median(fullMs).toFixed(1)}  incremental_ms_median ${median(incMs).toFixed(1)}  ratio_full_over_incremental ${(median(fullMs) / median(incMs)).toFixed(1)}`,
  );
  console.log(
    `dashboard: view_ms_median ${median(viewMs).toFixed(2)}  raw_tarn_ms_median ${median(rawMs).toFixed(1)}  raw_duckdb_ms_median ${median(duckMs).toFixed(1)}  ` +
      `ratio_view_over_duckdb_raw ${(median(viewMs) / median(duckMs)).toFixed(3)}  ratio_raw_tarn_over_duckdb_raw ${(median(rawMs) / median(duckMs)).toFixed(2)}${same ? "" : "  (ANSWERS DIFFER)"}`,
  );
}

await main();
