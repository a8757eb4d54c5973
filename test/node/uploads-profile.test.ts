// Uploaded tables as Parquet, read back by DuckDB; and their profile's numbers equal DuckDB's own
// aggregates over the same file.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { parquetMetadata, parquetReadObjects } from "hyparquet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lakeCompressors } from "../../shared/parquet/codecs";
import type { StoredValue } from "../../shared/uploads/column-types";
import { Profiler } from "../../shared/uploads/profile";
import { type TableColumn, TableFileWriter } from "../../shared/uploads/table-parquet";
import { RowGroupBuilder, ShapeInference } from "../../shared/uploads/table-shape";

let instance: DuckDBInstance;
let duckdb: DuckDBConnection;
const dir = mkdtempSync(path.join(tmpdir(), "tarn-upload-"));

beforeAll(async () => {
  instance = await DuckDBInstance.create(":memory:");
  duckdb = await instance.connect();
});
afterAll(() => {
  duckdb?.closeSync();
});

/** A deterministic CSV: duplicates, nulls, an outlier, every type. */
function csvRows(n: number): string[][] {
  let s = 7;
  const rand = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
  const rows: string[][] = [];
  for (let i = 0; i < n; i++) {
    if (i % 97 === 5 && rows.length > 0) {
      rows.push([...(rows[rows.length - 1] as string[])]);
      continue;
    }
    const price = i === 1234 ? "99999.5" : rand() < 0.1 ? "" : (rand() * 100).toFixed(2);
    const day = `2026-0${1 + Math.floor(rand() * 9)}-1${Math.floor(rand() * 9)}`;
    rows.push([
      String(Math.floor(rand() * 2000)),
      price,
      ["ann", "bob", "cy", "dee", "eve"][Math.floor(rand() * 5)] as string,
      rand() < 0.5 ? "true" : "false",
      day,
      `${day}T${String(Math.floor(rand() * 24)).padStart(2, "0")}:15:00Z`,
      rand() < 0.7 ? "" : "note",
    ]);
  }
  return rows;
}

const HEADER = ["id", "price", "name", "flag", "day", "at", "note"];

function convert(rows: string[][]): { columns: TableColumn[]; bytes: Uint8Array } {
  const inference = new ShapeInference(true, 100);
  inference.setHeader(HEADER);
  inference.add(rows);
  const { columns } = inference.result();
  const writer = new TableFileWriter(columns, 1500);
  const builder = new RowGroupBuilder(columns, true);
  rows.forEach((r, i) => {
    builder.add(r, i + 2);
    if (builder.n === 1500) {
      writer.addRowGroup(builder.values as StoredValue[][], builder.n);
      builder.reset();
    }
  });
  writer.addRowGroup(builder.values, builder.n);
  return { columns, bytes: writer.finish() };
}

async function duck(sql: string): Promise<Record<string, unknown>[]> {
  const reader = await duckdb.runAndReadAll(sql);
  return reader.getRowObjectsJson() as Record<string, unknown>[];
}

describe("uploaded tables", () => {
  const rows = csvRows(5000);
  const { columns, bytes } = convert(rows);
  const file = path.join(dir, "t.parquet");
  writeFileSync(file, bytes);

  it("infers the types DuckDB reads back from the Parquet file", async () => {
    expect(columns.map((c) => c.type)).toEqual([
      "BIGINT",
      "DOUBLE",
      "VARCHAR",
      "BOOLEAN",
      "DATE",
      "TIMESTAMP",
      "VARCHAR",
    ]);
    const described = await duck(`DESCRIBE SELECT * FROM read_parquet('${file}')`);
    expect(described.map((d) => d.column_type)).toEqual([
      "BIGINT",
      "DOUBLE",
      "VARCHAR",
      "BOOLEAN",
      "DATE",
      "TIMESTAMP",
      "VARCHAR",
    ]);
    const [count] = await duck(`SELECT count(*)::INT AS n FROM read_parquet('${file}')`);
    expect(count?.n).toBe(5000);
    const meta = parquetMetadata(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    );
    expect(meta.row_groups.length).toBe(4);
    expect(meta.row_groups[0]?.columns[0]?.meta_data?.codec).toBe("ZSTD");
  });

  it("profiles with DuckDB's numbers", async () => {
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const back = await parquetReadObjects({ file: buffer, compressors: lakeCompressors });
    const profiler = new Profiler(columns, { exactDistinct: 100_000, rows: back.length });
    profiler.add(back);
    const profile = profiler.finish();
    const t = `read_parquet('${file}')`;
    const [dupes] = await duck(
      `SELECT (count(*) - (SELECT count(*) FROM (SELECT DISTINCT * FROM ${t})))::INT AS d FROM ${t}`,
    );
    expect(profile.duplicate_rows).toBe(dupes?.d);
    expect(profile.row_count).toBe(5000);
    for (const c of profile.columns) {
      const q = `"${c.name}"`;
      const numeric = c.type === "BIGINT" || c.type === "DOUBLE";
      const [d] = await duck(
        `SELECT (count(*) - count(${q}))::INT AS nulls, count(DISTINCT ${q})::INT AS uniq,
                ${numeric ? `min(${q})::DOUBLE AS lo, max(${q})::DOUBLE AS hi, avg(${q}) AS mean, stddev_samp(${q}) AS sd` : `min(${q})::VARCHAR AS lo, max(${q})::VARCHAR AS hi`}
         FROM ${t}`,
      );
      expect(c.null_count, c.name).toBe(d?.nulls);
      expect(c.unique_count, c.name).toBe(d?.uniq);
      expect(c.unique_exact).toBe(true);
      if (numeric) {
        expect(c.min).toBe(d?.lo);
        expect(c.max).toBe(d?.hi);
        expect(c.mean).toBeCloseTo(d?.mean as number, 9);
        expect(c.std_dev).toBeCloseTo(d?.sd as number, 9);
      } else if (c.type === "DATE") {
        expect(c.min).toBe(d?.lo);
        expect(c.max).toBe(d?.hi);
      } else if (c.type === "VARCHAR") {
        expect(c.min).toBe(d?.lo ?? null);
        expect(c.max).toBe(d?.hi ?? null);
      }
      const top = await duck(
        `SELECT ${q}::VARCHAR AS v, count(*)::INT AS n FROM ${t} WHERE ${q} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5`,
      );
      expect(
        c.top_values.map((v) => v.count),
        c.name,
      ).toEqual(top.map((r) => r.n));
    }
    const issues = profile.issues.map((i) => `${i.column}:${i.issue_type}`);
    expect(issues).toContain("price:outliers");
    expect(issues).toContain("note:high_nulls");
    expect(issues).toContain("null:duplicates");
  });
});
