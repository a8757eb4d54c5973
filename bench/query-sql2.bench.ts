// SQL, second edition, over the lake: funnel, weekly retention, sessionization with lag, first event
// per user with QUALIFY, and a join with a 100k-row dimension table; Tarn's runQuery in process
// against DuckDB single-threaded over the same files, answers compared, plus Tarn's peak heap.
// Usage: node --expose-gc --import tsx bench/query-sql2.bench.ts [rows=1000000] [runs=3]
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import type { LakeRow } from "../shared/lake/lake-row";
import { encodeLakeFile } from "../shared/parquet/lake-file";
import { createFooterCache, type FileRef, QueryError, runQuery } from "../shared/query/index";
import { mulberry32 } from "../test/seeded-random";
import { catalogOver } from "./local-catalog";
import { lakeFiles, median, sameAnswer } from "./query-lake";

export const SQL2_QUERIES: { name: string; sql: string }[] = [
  {
    name: "funnel_3_steps",
    sql: `SELECT count(DISTINCT s.user_id) AS started, count(DISTINCT c.user_id) AS carted, count(DISTINCT p.user_id) AS bought
FROM (SELECT user_id, min(ts) AS ts FROM events WHERE event_type = 'session_start' GROUP BY 1) s
LEFT JOIN (SELECT user_id, min(ts) AS ts FROM events WHERE event_type = 'add_to_cart' GROUP BY 1) c ON c.user_id = s.user_id AND c.ts > s.ts
LEFT JOIN (SELECT user_id, min(ts) AS ts FROM events WHERE event_type = 'purchase' GROUP BY 1) p ON p.user_id = c.user_id AND p.ts > c.ts`,
  },
  {
    name: "retention_weekly",
    sql: `WITH first AS (SELECT user_id, date_trunc('week', min(ts)) AS cohort FROM events WHERE user_id IS NOT NULL GROUP BY 1),
activity AS (SELECT DISTINCT user_id, date_trunc('week', ts) AS week FROM events WHERE user_id IS NOT NULL)
SELECT f.cohort, date_diff('week', f.cohort, a.week) AS week_n, count(*) AS users
FROM first f JOIN activity a USING (user_id) GROUP BY 1, 2 ORDER BY 1, 2`,
  },
  {
    name: "sessionize_lag",
    sql: `WITH g AS (SELECT CASE WHEN lag(ts) OVER (PARTITION BY user_id ORDER BY ts) IS NULL
  OR ts - lag(ts) OVER (PARTITION BY user_id ORDER BY ts) > INTERVAL 30 MINUTE THEN 1 ELSE 0 END AS starts
  FROM events WHERE user_id IS NOT NULL AND ts < TIMESTAMP '2025-03-02')
SELECT count(*) AS events, sum(starts) AS sessions FROM g`,
  },
  {
    name: "first_event_qualify",
    sql: `SELECT event_type, count(*) AS users FROM (
  SELECT user_id, event_type FROM events WHERE user_id IS NOT NULL AND ts < TIMESTAMP '2025-03-02'
  QUALIFY row_number() OVER (PARTITION BY user_id ORDER BY ts, event_id) = 1) t
GROUP BY 1 ORDER BY 2 DESC, 1`,
  },
  {
    name: "join_dimension_100k",
    sql: `SELECT c.payload->>'plan' AS plan, count(*) AS events, count(DISTINCT e.user_id) AS users
FROM events e JOIN customer c ON e.user_id = c.user_id WHERE e.event_type <> 'customer'
GROUP BY 1 ORDER BY 1`,
  },
];

/**
 * The two window queries over ten days instead of one: ~3.3M rows at 10M events (the generator's
 * chunks each cover three days), ~1M at 1M, past the 500k rows one invocation holds, so they run
 * in hash partitions of user_id. Reported apart from the five.
 */
export const WIDE_WINDOW_QUERIES: { name: string; sql: string }[] = SQL2_QUERIES.filter(
  (q) => q.name === "sessionize_lag" || q.name === "first_event_qualify",
).map((q) => ({ name: `${q.name}_10d`, sql: q.sql.replace("TIMESTAMP '2025-03-02'", "TIMESTAMP '2025-03-11'") }));

export const DIMENSION_ROWS = 100_000;

/** The dimension's users: every user of the events once, then users who sent nothing, 100k in all. */
export function dimensionUsers(eventUsers: string[]): string[] {
  const out = [...new Set(eventUsers)].sort().slice(0, DIMENSION_ROWS);
  for (let i = 0; out.length < DIMENSION_ROWS; i++) out.push(`user_dim_${i}`);
  return out;
}

/** A customer's plan, seeded by position. */
export function planOf(i: number): string {
  return mulberry32(1000 + i)() < 0.2 ? "pro" : "free";
}

/** A 100k-row `customer` table: every user of the events once, then users who sent nothing. */
async function dimension(files: (FileRef & { path: string })[], users: string[]): Promise<FileRef & { path: string }> {
  const file = path.join(path.dirname((files[0] as { path: string }).path), `customer-v2-${DIMENSION_ROWS}.parquet`);
  const random = mulberry32(99);
  const countries = ["US", "GB", "DE", "FR", "NL", "JP", "BR", "IN"];
  const ids = dimensionUsers(users);
  const rows: LakeRow[] = [];
  const base = Date.UTC(2025, 0, 1);
  for (let i = 0; i < DIMENSION_ROWS; i++) {
    const ts = base + i * 1000;
    rows.push({
      event_id: `cust-${i}`,
      event_type: "customer",
      ts,
      received_at: ts,
      user_id: ids[i] as string,
      session_id: null,
      correlation_id: null,
      source: "import",
      version: null,
      environment: "production",
      region: null,
      request_id: null,
      country: countries[Math.floor(random() * countries.length)] as string,
      colo: null,
      payload: JSON.stringify({ plan: planOf(i) }),
      metadata: null,
    });
  }
  if (!existsSync(file)) await writeFile(file, encodeLakeFile(rows));
  return {
    key: "customer/part-0.parquet",
    path: file,
    dataset: "customer",
    rows: rows.length,
    minTs: base,
    maxTs: base + (DIMENSION_ROWS - 1) * 1000,
  };
}

async function main(): Promise<void> {
  const total = Number(process.argv[2] ?? 1_000_000);
  const runs = Number(process.argv[3] ?? 3);
  const events = await lakeFiles(total);
  const instance = await DuckDBInstance.create(":memory:");
  const duck = await instance.connect();
  await duck.run("SET threads = 1");
  await duck.run("SET TimeZone = 'UTC'");
  const list = (fs: { path: string }[]) => fs.map((f) => `'${f.path}'`).join(", ");
  await duck.run(`CREATE VIEW raw_events AS SELECT * FROM read_parquet([${list(events)}])`);
  const users = (
    await duck.runAndReadAll("SELECT DISTINCT user_id FROM raw_events WHERE user_id IS NOT NULL ORDER BY 1")
  )
    .getRowsJS()
    .map((r) => r[0] as string);
  const customer = await dimension(events, users);
  const files = [...events, customer];
  await duck.run(`CREATE VIEW events AS SELECT * FROM read_parquet([${list(files)}])`);
  await duck.run(`CREATE VIEW customer AS SELECT * FROM read_parquet([${list([customer])}])`);
  const local = catalogOver(files);
  // Heap is sampled at every read of a file (the engine is synchronous between reads).
  let peak = 0;
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  };
  const catalog: typeof local = {
    listFiles: (table, filter) => local.listFiles(table, filter),
    async openFile(key) {
      const buffer = await local.openFile(key);
      return {
        byteLength: buffer.byteLength,
        slice(start: number, end?: number) {
          sample();
          return buffer.slice(start, end);
        },
      };
    },
  };
  const footerCache = createFooterCache(10_000);
  // SQL2_MAX_GROUPS=n lowers the group cap (default 500,000), to run GROUP BYs past it in hash partitions at 1M.
  const maxGroups = process.env.SQL2_MAX_GROUPS ? Number(process.env.SQL2_MAX_GROUPS) : undefined;
  const gc = (globalThis as { gc?: () => void }).gc;

  console.log(`rows: ${total} events + ${DIMENSION_ROWS} customer rows`);
  console.log(`files: ${files.length}`);
  console.log(`runs: ${runs} each, alternating, after one untimed warm-up each`);
  if (maxGroups !== undefined) console.log(`group cap: ${maxGroups}`);
  const ratios: number[] = [];
  const wideRatios: number[] = [];
  // SQL2_ONLY=name,name runs only those queries (a 10M run of every one takes long).
  const only = process.env.SQL2_ONLY?.split(",");
  for (const q of [...SQL2_QUERIES, ...WIDE_WINDOW_QUERIES].filter((x) => !only || only.includes(x.name))) {
    const tarnMs: number[] = [];
    const duckMs: number[] = [];
    gc?.();
    const before = process.memoryUsage().heapUsed;
    peak = before;
    let tarnRows: unknown[][];
    let rowsRead = 0;
    try {
      const first = await runQuery(q.sql, catalog, { footerCache, maxGroups });
      tarnRows = first.rows;
      rowsRead = first.statistics.rows_read;
    } catch (error) {
      // A refusal (a limit of one invocation) is a result too: reported, left out of the mean.
      if (!(error instanceof QueryError)) throw error;
      console.log(`${q.name}: tarn refused ${error.code}: ${error.message}`);
      continue;
    }
    sample();
    const duckRows = (await duck.runAndReadAll(q.sql)).getRowsJS() as unknown[][];
    const same = sameAnswer(tarnRows, duckRows);
    // CPU time of the process too (DuckDB runs one thread in it): steadier than wall time on a shared machine.
    const tarnCpu: number[] = [];
    const duckCpu: number[] = [];
    const cpuMs = (from: NodeJS.CpuUsage) => {
      const used = process.cpuUsage(from);
      return (used.user + used.system) / 1000;
    };
    for (let r = 0; r < runs; r++) {
      let t = performance.now();
      let cpu = process.cpuUsage();
      await runQuery(q.sql, catalog, { footerCache, maxGroups });
      tarnMs.push(performance.now() - t);
      tarnCpu.push(cpuMs(cpu));
      t = performance.now();
      cpu = process.cpuUsage();
      await duck.runAndReadAll(q.sql);
      duckMs.push(performance.now() - t);
      duckCpu.push(cpuMs(cpu));
    }
    const ratio = median(tarnMs) / median(duckMs);
    (WIDE_WINDOW_QUERIES.includes(q) ? wideRatios : ratios).push(ratio);
    console.log(
      `${q.name}: tarn_ms_median ${median(tarnMs).toFixed(1)}  duckdb_ms_median ${median(duckMs).toFixed(1)}  ratio ${ratio.toFixed(2)}  tarn_peak_heap_mb ${((peak - before) / 2 ** 20).toFixed(0)}  cpu_ms ${median(tarnCpu).toFixed(0)}/${median(duckCpu).toFixed(0)} (cpu ratio ${(median(tarnCpu) / median(duckCpu)).toFixed(2)})  tarn_rows_read ${rowsRead}${same ? "" : "  (ANSWERS DIFFER)"}`,
    );
  }
  const geomean = (xs: number[]) => Math.exp(xs.reduce((s, r) => s + Math.log(r), 0) / xs.length);
  if (ratios.length > 0) console.log(`geometric_mean_ratio_tarn_over_duckdb: ${geomean(ratios).toFixed(2)}`);
  if (wideRatios.length > 0)
    console.log(`geometric_mean_ratio_wide_windows (hash-partitioned): ${geomean(wideRatios).toFixed(2)}`);
  duck.closeSync();
  instance.closeSync();
}

if (process.argv[1]?.endsWith("query-sql2.bench.ts")) await main();
