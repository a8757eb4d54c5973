// The lake's three column encoders (delta timestamps, dictionary strings, PLAIN strings), each read
// back by the engine's cursor, with their statistics and page limits.
import fc from "fast-check";
import type { RowGroup, SchemaElement } from "hyparquet";
import { describe, expect, it } from "vitest";
import { ColumnCursor, chunkRange } from "../../../shared/parquet/chunk";
import { lakeCompress, lakeCompressors } from "../../../shared/parquet/codecs";
import {
  columnContext,
  type EncodedChunk,
  writeDictionaryColumn,
  writePlainColumn,
  writeTimestampColumn,
} from "../../../shared/parquet/columns";
import { PARQUET_MAGIC } from "../../../shared/parquet/footer";
import { ByteWriter } from "../../../shared/parquet/hyparquet-internals";
import { columnSpec } from "../../../shared/parquet/schema";
import { compareBytes } from "../../../shared/parquet/strings";
import { valueAt } from "../../../shared/query/vector";

const TS: SchemaElement = { name: "ts", type: "INT64", repetition_type: "REQUIRED" };
const TEXT: SchemaElement = { name: "s", type: "BYTE_ARRAY", repetition_type: "OPTIONAL" };
const ID: SchemaElement = { name: "id", type: "BYTE_ARRAY", repetition_type: "REQUIRED" };

/** Encode one column chunk, then read every row back through the cursor. */
function roundTrip(element: SchemaElement, n: number, write: (ctx: ReturnType<typeof columnContext>) => EncodedChunk) {
  const file = new ByteWriter();
  file.appendUint32(PARQUET_MAGIC); // chunks start past the magic, as in a file
  const encoded = write(columnContext(file, lakeCompress, Math.max(1, n)));
  const group: RowGroup = { columns: [encoded.chunk], num_rows: BigInt(n), total_byte_size: 0n };
  const [start, end] = chunkRange(group, 0);
  const bytes = file.getBytes().slice(start, end);
  const strings = element.type === "BYTE_ARRAY";
  const cursor = new ColumnCursor(bytes, columnSpec(element, "ZSTD", strings), lakeCompressors);
  const vec = cursor.take(n);
  return { values: Array.from({ length: n }, (_, i) => valueAt(vec, i)), encoded };
}

const utf8 = new TextEncoder();
const text = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("café", "😀", "", "\uff5e"));

describe("lake column encoders", () => {
  it("timestamps: DELTA_BINARY_PACKED with min and max, near and far from the epoch", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }), { minLength: 1, maxLength: 300 }),
        (ts) => {
          const { values, encoded } = roundTrip(TS, ts.length, (ctx) =>
            writeTimestampColumn(ctx, TS, Float64Array.from(ts), ts.length),
          );
          expect(values).toEqual(ts);
          expect(encoded.chunk.meta_data?.encodings).toEqual(["DELTA_BINARY_PACKED"]);
          expect(encoded.chunk.meta_data?.statistics).toMatchObject({
            min_value: BigInt(Math.min(...ts)),
            max_value: BigInt(Math.max(...ts)),
          });
        },
      ),
      { numRuns: 100 },
    );
    expect(() => roundTrip(TS, 1, (ctx) => writeTimestampColumn(ctx, TS, Float64Array.of(1.5), 1))).toThrow(RangeError);
  });

  it("strings, dictionary-encoded: values and nulls back, min and max in byte order", () => {
    fc.assert(
      fc.property(fc.array(fc.option(text, { nil: null }), { maxLength: 300 }), (list) => {
        const { values, encoded } = roundTrip(TEXT, list.length, (ctx) =>
          writeDictionaryColumn(ctx, TEXT, list, list.length),
        );
        expect(values).toEqual(list.map((v) => (v === null ? null : v.toWellFormed())));
        const meta = encoded.chunk.meta_data;
        expect(meta?.encodings).toEqual(["PLAIN", "RLE_DICTIONARY"]);
        expect(meta?.statistics?.null_count).toBe(BigInt(list.filter((v) => v === null).length));
        const sorted = list.flatMap((v) => (v === null ? [] : [utf8.encode(v)])).sort(compareBytes);
        expect(meta?.statistics?.min_value).toEqual(sorted[0]);
        expect(meta?.statistics?.max_value).toEqual(sorted.at(-1));
      }),
      { numRuns: 100 },
    );
  });

  it("strings, PLAIN: values back, pages kept under the page budget", () => {
    const list = Array.from({ length: 5000 }, (_, i) => (i % 9 === 0 ? null : `${"é".repeat(i % 40)}-${i}`));
    const { values, encoded } = roundTrip(TEXT, list.length, (ctx) => writePlainColumn(ctx, TEXT, list, list.length));
    expect(values).toEqual(list);
    const pages = encoded.indexes.offsetIndex?.page_locations ?? [];
    expect(pages.length).toBeGreaterThan(1);
    expect(encoded.chunk.meta_data?.statistics?.null_count).toBe(BigInt(list.filter((v) => v === null).length));
  });

  it("refuses a null in a REQUIRED string column", () => {
    expect(() => roundTrip(ID, 2, (ctx) => writePlainColumn(ctx, ID, ["a", null], 2))).toThrow(TypeError);
    expect(() => roundTrip(ID, 2, (ctx) => writeDictionaryColumn(ctx, ID, ["a", null], 2))).toThrow(TypeError);
  });
});
