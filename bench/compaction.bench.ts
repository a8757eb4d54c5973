// Compaction and rollups: bronze → silver rows/s, files and bytes before/after, and dashboard queries
// over bronze, over silver and from rollups, each against DuckDB (one thread) over the bronze files.
// Usage: npx tsx bench/compaction.bench.ts [rows=1000000] [bronze_files=200] [runs=5]
// In process: compaction runs queues/jobs/compact.ts's per-partition loop (readLakeRowGroups, dedupe
// by event_id, encodeLakeFile, which sorts by ts) over local files instead of R2, without the D1
// publish; rollups are built with the job's builder and served by the planner's pure modules over
// groups held as D1 returns them (base64 sketches), without the D1 round trip itself: each query is
// given the groups of its plan's level, as rollup-answer.ts's `level = ?` (indexed) read returns them.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { asyncBufferFromFile } from "hyparquet";
import { toBase64 } from "../shared/base64";
import type { LakeRow } from "../shared/lake/lake-row";
import { encodeLakeFile, readLakeRowGroups } from "../shared/parquet/lake-file";
import { createFooterCache, type FileRef, runQuery } from "../shared/query/index";
import { answerFromRollups, type StoredGroup } from "../shared/rollup/answer";
import { createRollupBuilder } from "../shared/rollup/build";
import { matchRollupQuery } from "../shared/rollup/match";
import { generateRows } from "./data";
import { catalogOver } from "./local-catalog";

const QUERIES = [
  {
    name: "hourly_by_type",
    sql: "SELECT date_trunc('hour', ts) AS h, event_type, count(*) AS n FROM events GROUP BY 1, 2 ORDER BY 1, 2",
  },
  {
    name: "daily_users_approx",
    sql: "SELECT date_trunc('day', ts) AS d, approx_count_distinct(user_id) AS users FROM events GROUP BY 1 ORDER BY 1",
  },
  {
    name: "country_env_counts",
    sql: "SELECT country, environment, count(*) AS n FROM events WHERE ts >= TIMESTAMP '2025-03-02 00:00:00' AND ts < TIMESTAMP '2025-03-03 00:00:00' GROUP BY 1, 2 ORDER BY n DESC, 1, 2 LIMIT 10",
  },
  {
    name: "one_type_daily",
    sql: "SELECT date_trunc('day', ts) AS d, count(*) AS n, approx_count_distinct(session_id) AS sessions FROM events WHERE event_type = 'page_view' GROUP BY 1 ORDER BY 1",
  },
];

type LocalFile = FileRef & { path: string; bytes: number };
const DAY = 86_400_000;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

async function writeLocal(dir: string, name: string, rows: LakeRow[]): Promise<LocalFile> {
  const file = path.join(dir, name);
  const bytes = encodeLakeFile(rows);
  await writeFile(file, bytes);
  const ts = rows.map((r) => r.ts);
  return {
    key: name,
    path: file,
    dataset: rows[0]?.event_type as string,
    rows: rows.length,
    minTs: Math.min(...ts),
    maxTs: Math.max(...ts),
    bytes: bytes.byteLength,
  };
}

const partitionOf = (r: LakeRow) =>
  `${r.event_type}__${new Date(Math.floor(r.ts / DAY) * DAY).toISOString().slice(0, 10)}`;

async function main() {
  const total = Number(process.argv[2] ?? 1_000_000);
  const bronzeTarget = Number(process.argv[3] ?? 200);
  const runs = Number(process.argv[4] ?? 5);
  const dir = await mkdtemp(path.join(tmpdir(), "tarn-compaction-bench-"));
  try {
    const rows = generateRows(total, 1);
    // Bronze: per partition (dataset, day), slices in arrival order, ~bronzeTarget files in all.
    const parts = new Map<string, LakeRow[]>();
    for (const r of rows) {
      const key = partitionOf(r);
      let list = parts.get(key);
      if (!list) {
        list = [];
        parts.set(key, list);
      }
      list.push(r);
    }
    const perPart = Math.max(1, Math.round(bronzeTarget / parts.size));
    const bronze: LocalFile[] = [];
    for (const [key, list] of parts) {
      const size = Math.ceil(list.length / perPart);
      for (let i = 0; i * size < list.length; i++) {
        bronze.push(await writeLocal(dir, `bronze__${key}__${i}.parquet`, list.slice(i * size, (i + 1) * size)));
      }
    }

    // Compaction: each partition's files read row group by row group, deduplicated, encoded as one file.
    const started = performance.now();
    const silver: LocalFile[] = [];
    let rowsIn = 0;
    for (const key of parts.keys()) {
      const seen = new Set<string>();
      const out: LakeRow[] = [];
      for (const f of bronze.filter((b) => b.key.startsWith(`bronze__${key}__`))) {
        for await (const chunk of readLakeRowGroups(await asyncBufferFromFile(f.path))) {
          rowsIn += chunk.length;
          for (const r of chunk) {
            if (seen.has(r.event_id)) continue;
            seen.add(r.event_id);
            out.push(r);
          }
        }
      }
      silver.push(await writeLocal(dir, `silver__${key}.parquet`, out));
    }
    const compactMs = performance.now() - started;
    const bytes = (fs: LocalFile[]) => fs.reduce((n, f) => n + f.bytes, 0);
    console.log(
      `compaction_rows ${rowsIn}  ms ${compactMs.toFixed(0)}  rows_per_s ${Math.round(rowsIn / (compactMs / 1000))}`,
    );
    console.log(`files_before ${bronze.length}  bytes_before ${bytes(bronze)}`);
    console.log(`files_after ${silver.length}  bytes_after ${bytes(silver)}`);

    // Rollups: built from the silver files, as the job reads them; stored as D1 returns them.
    const rollStarted = performance.now();
    const builder = createRollupBuilder();
    for (const f of silver)
      for await (const chunk of readLakeRowGroups(await asyncBufferFromFile(f.path))) builder.add(chunk);
    const groups: StoredGroup[] = [...builder.groups().values()].flat().map((g) => ({
      ...g,
      sketches: { user_id: toBase64(g.sketches.user_id), session_id: toBase64(g.sketches.session_id) },
    }));
    const rollMs = performance.now() - rollStarted;
    const sketchBytes = groups.reduce(
      (n, g) => n + (g.sketches.user_id as string).length + (g.sketches.session_id as string).length,
      0,
    );
    console.log(
      `rollup_build_ms ${rollMs.toFixed(0)}  rows_per_s ${Math.round(rowsIn / (rollMs / 1000))}  hours ${builder.groups().size}  groups ${groups.length}  sketch_base64_bytes ${sketchBytes}`,
    );
    const byLevel = new Map<string, StoredGroup[]>();
    for (const g of groups) {
      const list = byLevel.get(g.level);
      if (list) list.push(g);
      else byLevel.set(g.level, [g]);
    }
    console.log(`groups_by_level ${[...byLevel].map(([l, gs]) => `${l}=${gs.length}`).join("  ")}`);

    const instance = await DuckDBInstance.create(":memory:");
    const duck = await instance.connect();
    await duck.run("SET threads = 1");
    await duck.run("SET TimeZone = 'UTC'");
    await duck.run(
      `CREATE VIEW events AS SELECT * FROM read_parquet([${bronze.map((f) => `'${f.path}'`).join(", ")}])`,
    );
    const catalogs = { bronze: catalogOver(bronze), silver: catalogOver(silver) };
    const footers = { bronze: createFooterCache(5000), silver: createFooterCache(5000) };
    const ratios: number[] = [];
    for (const q of QUERIES) {
      const plan = matchRollupQuery(q.sql);
      if (!plan) throw new Error(`${q.name} is not rollup-eligible`);
      const raw = await runQuery(q.sql, catalogs.bronze, { footerCache: footers.bronze });
      const levelGroups = byLevel.get(plan.level) ?? [];
      const fromGold = answerFromRollups(plan, levelGroups);
      const same = JSON.stringify(raw.rows) === JSON.stringify(fromGold.rows);
      const times = { bronze: [] as number[], silver: [] as number[], rollup: [] as number[], duckdb: [] as number[] };
      for (let i = 0; i < runs; i++) {
        let t = performance.now();
        await duck.runAndReadAll(q.sql);
        times.duckdb.push(performance.now() - t);
        t = performance.now();
        await runQuery(q.sql, catalogs.bronze, { footerCache: footers.bronze });
        times.bronze.push(performance.now() - t);
        t = performance.now();
        await runQuery(q.sql, catalogs.silver, { footerCache: footers.silver });
        times.silver.push(performance.now() - t);
        t = performance.now();
        const p = matchRollupQuery(q.sql) as NonNullable<typeof plan>;
        answerFromRollups(p, byLevel.get(p.level) ?? []);
        times.rollup.push(performance.now() - t);
      }
      const d = median(times.duckdb);
      const ratio = median(times.rollup) / d;
      ratios.push(ratio);
      console.log(
        `${q.name}: duckdb_bronze_ms ${d.toFixed(1)}  tarn_bronze_ms ${median(times.bronze).toFixed(1)} (${(median(times.bronze) / d).toFixed(2)}x)  tarn_silver_ms ${median(times.silver).toFixed(1)} (${(median(times.silver) / d).toFixed(2)}x)  rollup_ms ${median(times.rollup).toFixed(2)} (level ${plan.level}, ${levelGroups.length} groups)  ratio ${ratio.toFixed(3)}${same ? "" : "  (ROLLUP ANSWER DIFFERS FROM RAW)"}`,
      );
    }
    duck.closeSync();
    instance.closeSync();
    const geomean = Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length);
    console.log(`geometric_mean_ratio_rollup_over_duckdb: ${geomean.toFixed(3)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
