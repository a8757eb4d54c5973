// SQL over the lake: Tarn's runQuery (in process, catalog over local files) against DuckDB single-threaded.
// Usage: npx tsx bench/query.bench.ts [rows=1000000] [runs=5]
// Files are generated once per row count, encoder and generator version, and kept in the temp directory.
import { DuckDBInstance } from "@duckdb/node-api";
import { createFooterCache, runQuery } from "../shared/query/index";
import { catalogOver } from "./local-catalog";
import { lakeFiles, median, sameAnswer } from "./query-lake";

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
