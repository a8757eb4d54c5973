// Footers: written after the row groups by Tarn, read back whole or by ranged reads, statistics as numbers.
import { type AsyncBuffer, parquetMetadata } from "hyparquet";
import { describe, expect, it } from "vitest";
import type { LakeRow } from "../../../shared/lake/lake-row";
import { PARQUET_MAGIC, parseFooter, readFooter, writeFooter } from "../../../shared/parquet/footer";
import { ByteWriter } from "../../../shared/parquet/hyparquet-internals";
import { encodeLakeFile } from "../../../shared/parquet/lake-file";

const T0 = Date.UTC(2025, 5, 1, 12);

function row(i: number): LakeRow {
  return {
    event_id: `e${i}`,
    event_type: "click",
    ts: T0 + i * 1000,
    received_at: T0 + i * 1000 + 5,
    user_id: null,
    session_id: null,
    correlation_id: null,
    source: null,
    version: null,
    environment: null,
    region: null,
    request_id: null,
    country: null,
    colo: null,
    payload: null,
    metadata: null,
  };
}

function asyncBuffer(bytes: Uint8Array): AsyncBuffer & { reads: number } {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return {
    reads: 0,
    byteLength: buffer.byteLength,
    slice(start, end) {
      this.reads++;
      return buffer.slice(start, end);
    },
  };
}

describe("footer", () => {
  it("ends a file hyparquet reads: schema, row count, no row groups", () => {
    const file = new ByteWriter();
    file.appendUint32(PARQUET_MAGIC);
    const schema = [
      { name: "root", num_children: 1 },
      { name: "x", type: "INT32" as const, repetition_type: "REQUIRED" as const },
    ];
    writeFooter(file, { schema, numRows: 0, rowGroups: [] }, []);
    const bytes = file.getBytes().slice();
    expect(new DataView(bytes.buffer).getUint32(bytes.length - 4, true)).toBe(PARQUET_MAGIC);
    const metadata = parquetMetadata(bytes.buffer);
    expect(metadata).toMatchObject({ version: 2, created_by: "tarn", num_rows: 0n, row_groups: [] });
    expect(metadata.schema.map((e) => e.name)).toEqual(["root", "x"]);
  });

  it("reads back the same footer whole or by ranged reads, with timestamp statistics as epoch ms", async () => {
    const bytes = encodeLakeFile(
      Array.from({ length: 300 }, (_, i) => row(i)),
      { rowGroupSize: 100 },
    );
    const whole = parseFooter(bytes.slice().buffer);
    const buffer = asyncBuffer(bytes);
    const ranged = await readFooter(buffer);
    expect(ranged).toEqual(whole);
    expect(buffer.reads).toBeLessThanOrEqual(2);
    expect(whole.row_groups).toHaveLength(3);
    const ts = whole.row_groups.map((g) => g.columns.find((c) => c.meta_data?.path_in_schema[0] === "ts"));
    expect(ts.map((c) => [c?.meta_data?.statistics?.min_value, c?.meta_data?.statistics?.max_value])).toEqual([
      [T0, T0 + 99_000],
      [T0 + 100_000, T0 + 199_000],
      [T0 + 200_000, T0 + 299_000],
    ]);
  });
});
