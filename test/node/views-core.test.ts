// Views' pure core: a view's stored file (result rows → ZSTD Parquet) read back by DuckDB equals
// DuckDB's answer to the view's SELECT over the same lake files; dependency order and cycles; schedules.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { parquetMetadata, parquetReadObjects } from "hyparquet";
import { describe, expect, it } from "vitest";
import { lakeCompressors } from "../../shared/parquet/codecs";
import { runQuery } from "../../shared/query";
import { analyzeViewSql } from "../../shared/views/analyze";
import { BUCKET_MS, changedBuckets, fileMeetsBuckets } from "../../shared/views/buckets";
import { nextRunAt } from "../../shared/views/definition";
import { dependentsOf, findCycle, refreshOrder } from "../../shared/views/order";
import { encodeResultFile } from "../../shared/views/result-parquet";
import { duckdbAnswer, expectSameRows, lakeWithDuckDB, START } from "./query-fixtures";

const lake = lakeWithDuckDB();

const VIEWS = [
  // The analyst's daily revenue: TIMESTAMP buckets, BIGINT counts, DOUBLE sums, distinct counts.
  `SELECT date_trunc('day', ts) AS day, count(*) AS orders, sum(CAST(payload->>'$.amount' AS DOUBLE)) AS revenue,
     count(DISTINCT user_id) AS buyers FROM "order.created" GROUP BY 1`,
  // HUGEINT sums, DATE, BOOLEAN, VARCHAR with NULLs.
  `SELECT CAST(ts AS DATE) AS d, country, sum(CAST(payload->>'$.qty' AS BIGINT)) AS qty,
     count(*) > 2 AS busy FROM "order.created" GROUP BY 1, 2`,
  // DECIMAL averages and JSON text.
  `SELECT event_type, environment, round(avg(CAST(payload->>'$.duration_ms' AS DECIMAL(18,3))), 3) AS avg_ms,
     max(metadata) AS some_meta FROM events GROUP BY 1, 2`,
  // Hourly rows of every event, as an incremental view's time column.
  `SELECT date_trunc('hour', ts) AS hour, event_type, count(*) AS n FROM events GROUP BY 1, 2`,
];

describe("a view's stored file", () => {
  for (const select of VIEWS) {
    it(`reads back in DuckDB as DuckDB's answer to: ${select.replace(/\s+/g, " ").slice(0, 70)}…`, async () => {
      const result = await runQuery(select, lake.fixture.catalog);
      const file = path.join(lake.fixture.dir, `view-${crypto.randomUUID()}.parquet`);
      const bytes = encodeResultFile(result.meta, result.rows);
      await writeFile(file, bytes);
      // ZSTD pages, one column per output column, the rows all there.
      const meta = parquetMetadata(bytes.buffer as ArrayBuffer);
      expect(meta.row_groups[0]?.columns.every((c) => c.meta_data?.codec === "ZSTD")).toBe(true);
      expect(Number(meta.num_rows)).toBe(result.rows.length);
      const stored = await duckdbAnswer(lake.duck, `SELECT * FROM read_parquet('${file}')`);
      const direct = await duckdbAnswer(lake.duck, select);
      expect(stored.names).toEqual(direct.names);
      expectSameRows(stored.rows, direct.rows, select);
      // And hyparquet (the engine's reader) reads the same row count back.
      const rows = await parquetReadObjects({ file: bytes.buffer as ArrayBuffer, compressors: lakeCompressors });
      expect(rows).toHaveLength(result.rows.length);
    });
  }

  it("stores an empty result as a file of its columns and no rows", async () => {
    const bytes = encodeResultFile(
      [
        { name: "a", type: "BIGINT" },
        { name: "b", type: "VARCHAR" },
      ],
      [],
    );
    const file = path.join(lake.fixture.dir, "empty.parquet");
    await writeFile(file, bytes);
    const stored = await duckdbAnswer(lake.duck, `SELECT * FROM read_parquet('${file}')`);
    expect(stored).toMatchObject({ names: ["a", "b"], types: ["BIGINT", "VARCHAR"], rows: [] });
  });
});

describe("a view's shape", () => {
  const exists = (t: string) => ["events", "order.created", "per_user"].includes(t);
  it("records the tables it reads and its output columns as stored", () => {
    const shape = analyzeViewSql("v", VIEWS[1] as string, "d", { tableExists: exists });
    expect(shape.dependsOn).toEqual(["order.created"]);
    expect(shape.columns).toEqual([
      { name: "d", type: "DATE" },
      { name: "country", type: "VARCHAR" },
      { name: "qty", type: "BIGINT" },
      { name: "busy", type: "BOOLEAN" },
    ]);
  });
  it("refuses unknown tables, itself, unnamed or duplicate columns and a time column that is not a time", () => {
    const bad = (sql: string, time?: string) => () => analyzeViewSql("v", sql, time, { tableExists: exists });
    expect(bad("SELECT * FROM nope")).toThrow(/does not exist/);
    expect(bad("SELECT 1 AS a, 2 AS a")).toThrow(/appears twice/);
    expect(bad("SELECT count(*) AS n FROM events", "n")).toThrow(/TIMESTAMP or DATE/);
    expect(bad("SELECT count(*) AS n FROM events", "day")).toThrow(/not an output column/);
    expect(() => analyzeViewSql("v", "SELECT 1 AS x FROM v", undefined, { tableExists: () => true })).toThrow(
      /cannot read itself/,
    );
  });
});

describe("dependencies between views", () => {
  const views = [
    { name: "c", dependsOn: ["b", "events"] },
    { name: "a", dependsOn: ["order.created"] },
    { name: "b", dependsOn: ["a"] },
    { name: "d", dependsOn: ["a", "c"] },
  ];
  it("refreshes every view after the views it reads", () => {
    expect(refreshOrder(views)).toEqual(["a", "b", "c", "d"]);
  });
  it("finds the cycle a new definition would close", () => {
    expect(findCycle("a", views)).toBeNull();
    const changed = views.map((v) => (v.name === "a" ? { name: "a", dependsOn: ["d"] } : v));
    expect(findCycle("a", changed)).toEqual(["a", "d", "a"]);
    const longer = views.map((v) => (v.name === "a" ? { name: "a", dependsOn: ["c"] } : v));
    expect(findCycle("a", longer)).toEqual(["a", "c", "b", "a"]);
  });
  it("lists every view that reads a view, directly or not", () => {
    expect(dependentsOf("a", views)).toEqual(["b", "c", "d"]);
    expect(dependentsOf("d", views)).toEqual([]);
  });
});

describe("incremental buckets and schedules", () => {
  it("buckets changed files by the UTC days they span", () => {
    const files = [
      { minTs: START + 1000, maxTs: START + 2000 },
      { minTs: START + BUCKET_MS - 1, maxTs: START + 2 * BUCKET_MS + 5 },
    ];
    expect(changedBuckets(files)).toEqual([START, START + BUCKET_MS, START + 2 * BUCKET_MS]);
    expect(fileMeetsBuckets({ minTs: START + 5, maxTs: START + 6 }, [START + BUCKET_MS])).toBe(false);
    expect(fileMeetsBuckets({ minTs: START + 5, maxTs: START + BUCKET_MS }, [START + BUCKET_MS])).toBe(true);
  });
  it("runs hourly views at the next hour and daily ones at the next UTC midnight", () => {
    const at = new Date("2026-11-30T04:40:00Z");
    expect(nextRunAt("hourly", at)).toBe("2026-11-30T05:00:00.000Z");
    expect(nextRunAt("daily", at)).toBe("2026-12-01T00:00:00.000Z");
    expect(nextRunAt("manual", at)).toBeNull();
  });
});
