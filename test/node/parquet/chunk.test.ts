// Column chunks: pages written by ChunkWriter and by hyparquet-writer (every encoding), read back by the
// engine's cursor in uneven batches.
import fc from "fast-check";
import { type Encoding, parquetMetadata } from "hyparquet";
import { type ColumnSource, parquetWriteBuffer } from "hyparquet-writer";
import { describe, expect, it } from "vitest";
import { ChunkWriter, ColumnCursor, chunkRange } from "../../../shared/parquet/chunk";
import { lakeCompress, lakeCompressors } from "../../../shared/parquet/codecs";
import { PARQUET_MAGIC } from "../../../shared/parquet/footer";
import { ByteWriter } from "../../../shared/parquet/hyparquet-internals";
import { columnSpec } from "../../../shared/parquet/schema";
import { type Vec, valueAt } from "../../../shared/query/vector";

/** Write one column with hyparquet-writer, then decode it with the engine's cursor, in uneven batches. */
function roundTrip(source: Omit<ColumnSource, "name">, batches: number[] = []): unknown[] {
  const buffer = parquetWriteBuffer({ columnData: [{ name: "x", ...source }], codec: "UNCOMPRESSED", pageSize: 2048 });
  const metadata = parquetMetadata(buffer);
  const element = metadata.schema[1];
  if (!element) throw new Error("no column");
  const out: unknown[] = [];
  for (const group of metadata.row_groups) {
    const meta = group.columns[0]?.meta_data;
    if (!meta) throw new Error("no chunk");
    const [start, end] = chunkRange(group, 0);
    const bytes = new Uint8Array(buffer, start, end - start);
    const cursor = new ColumnCursor(bytes, columnSpec(element, meta.codec, element.type === "BYTE_ARRAY"), {});
    let left = Number(group.num_rows);
    let k = 0;
    while (left > 0) {
      const n = Math.min(left, batches[k++ % Math.max(1, batches.length)] ?? left);
      const vec: Vec = cursor.take(n);
      for (let i = 0; i < n; i++) out.push(valueAt(vec, i));
      left -= n;
    }
  }
  return out;
}

const batchSizes = fc.array(fc.integer({ min: 1, max: 700 }), { maxLength: 5 });

describe("column decoding", () => {
  it("decodes DELTA_BINARY_PACKED INT64 (negative, wide and sparse deltas, NULLs) exactly", () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.integer({ min: -(2 ** 52), max: 2 ** 52 }), { nil: null, freq: 8 }), { maxLength: 3000 }),
        batchSizes,
        (values, batches) => {
          const data = values.map((v) => (v === null ? null : BigInt(v)));
          expect(roundTrip({ data, type: "INT64", nullable: true, encoding: "DELTA_BINARY_PACKED" }, batches)).toEqual(
            values,
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it("decodes DELTA_BINARY_PACKED INT32 and sorted timestamps", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { minLength: 1, maxLength: 2000 }),
        (values) => {
          const data = Int32Array.from(values);
          expect(roundTrip({ data, type: "INT32", nullable: false, encoding: "DELTA_BINARY_PACKED" })).toEqual(values);
          const sorted = [...values].sort((a, b) => a - b).map((v) => 1_740_787_200_000 + v);
          expect(
            roundTrip({ data: sorted.map(BigInt), type: "INT64", nullable: false, encoding: "DELTA_BINARY_PACKED" }),
          ).toEqual(sorted);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("decodes PLAIN numbers and booleans", () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.double({ noNaN: true }), { nil: null }), { maxLength: 1500 }),
        fc.array(fc.option(fc.boolean(), { nil: null }), { maxLength: 1500 }),
        batchSizes,
        (doubles, booleans, batches) => {
          expect(roundTrip({ data: doubles, type: "DOUBLE", nullable: true, encoding: "PLAIN" }, batches)).toEqual(
            doubles.map((d) => (Object.is(d, -0) ? -0 : d)),
          );
          expect(roundTrip({ data: booleans, type: "BOOLEAN", nullable: true }, batches)).toEqual(
            booleans.map((b) => (b === null ? null : b ? 1 : 0)),
          );
        },
      ),
      { numRuns: 40 },
    );
  });

  const encodings: Encoding[] = ["PLAIN", "RLE_DICTIONARY", "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY"];
  for (const encoding of encodings) {
    it(`decodes ${encoding} strings, ASCII or not, with NULLs`, () => {
      fc.assert(
        fc.property(
          fc.array(
            fc.option(
              fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom("café ✓", "日本語", "😀 emoji", "a\nb", "")),
              { nil: null },
            ),
            {
              maxLength: 1500,
            },
          ),
          batchSizes,
          (values, batches) => {
            expect(roundTrip({ data: values, type: "STRING", nullable: true, encoding }, batches)).toEqual(values);
          },
        ),
        { numRuns: 30 },
      );
    });
  }

  it("keeps dictionary codes for wide dictionaries (bit widths past 16)", () => {
    const values = Array.from({ length: 150_000 }, (_, i) => `v${(i * 7919) % 140_000}`);
    expect(roundTrip({ data: values, type: "STRING", nullable: false, encoding: "RLE_DICTIONARY" }, [40_000])).toEqual(
      values,
    );
  });
});

/** Plain strings as a PLAIN dictionary page's body. */
function plainStrings(values: string[]): Uint8Array {
  const out = new ByteWriter();
  for (const v of values) {
    const bytes = new TextEncoder().encode(v);
    out.appendUint32(bytes.length);
    out.appendBytes(bytes);
  }
  return out.getBytes().slice();
}

describe("ChunkWriter", () => {
  it("writes a dictionary page and data pages that the cursor reads back, with the chunk's metadata", () => {
    const file = new ByteWriter();
    file.appendUint32(PARQUET_MAGIC);
    const element = { name: "x", type: "BYTE_ARRAY", repetition_type: "OPTIONAL" } as const;
    const writer = new ChunkWriter(file, element, lakeCompress);
    writer.dictionaryPage(plainStrings(["a", "b", "c"]), 3);
    // Page 1: rows a, NULL, c (levels 1 0 1, bit-packed); page 2: rows b, b (no nulls, no levels).
    writer.dataPage(3, 1, Uint8Array.of(3, 0b101), Uint8Array.of(2, 3, 0b1000, 0), "RLE_DICTIONARY");
    writer.dataPage(2, 0, new Uint8Array(0), Uint8Array.of(2, 4, 1), "RLE_DICTIONARY");
    const { chunk, indexes } = writer.finish("RLE_DICTIONARY", 1, "a", "c");
    const meta = chunk.meta_data;
    expect(meta).toMatchObject({
      codec: "ZSTD",
      encodings: ["PLAIN", "RLE_DICTIONARY"],
      num_values: 5n,
      dictionary_page_offset: 4n,
      statistics: { min_value: "a", max_value: "c", null_count: 1n },
      encoding_stats: [
        { page_type: "DICTIONARY_PAGE", encoding: "PLAIN", count: 1 },
        { page_type: "DATA_PAGE_V2", encoding: "RLE_DICTIONARY", count: 2 },
      ],
    });
    expect(indexes.offsetIndex?.page_locations.map((p) => p.first_row_index)).toEqual([0n, 3n]);
    const [start, end] = chunkRange({ columns: [chunk], num_rows: 5n, total_byte_size: 0n }, 0);
    expect([start, end]).toEqual([4, file.offset]);
    const bytes = file.getBytes().slice(start, end);
    const cursor = new ColumnCursor(bytes, columnSpec(element, "ZSTD", true), lakeCompressors);
    const first = cursor.take(2);
    expect(first.kind).toBe("dict"); // codes stay codes
    const rest = cursor.take(3);
    expect([0, 1].map((i) => valueAt(first, i))).toEqual(["a", null]);
    expect([0, 1, 2].map((i) => valueAt(rest, i))).toEqual(["c", "b", "b"]);
  });

  it("keeps no page index for a chunk of one page", () => {
    const file = new ByteWriter();
    const writer = new ChunkWriter(file, { name: "x", type: "BYTE_ARRAY", repetition_type: "REQUIRED" }, (b) => b);
    writer.dataPage(1, 0, new Uint8Array(0), plainStrings(["only"]), "PLAIN");
    const { chunk, indexes } = writer.finish("PLAIN", 0, "only", "only");
    expect(indexes.offsetIndex).toBeUndefined();
    expect(chunk.meta_data?.dictionary_page_offset).toBeUndefined();
    expect(chunk.meta_data?.total_compressed_size).toBe(BigInt(file.offset));
  });
});
