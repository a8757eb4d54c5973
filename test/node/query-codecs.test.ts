import fc from "fast-check";
import { type Encoding, parquetMetadata } from "hyparquet";
import { type ColumnSource, parquetWriteBuffer } from "hyparquet-writer";
import { describe, expect, it } from "vitest";
import { ColumnCursor } from "../../shared/query/decode";
import { hashString, hashValue } from "../../shared/query/hash";
import { HyperLogLog } from "../../shared/query/hll";
import { type Vec, valueAt } from "../../shared/query/vector";

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
    const data = Number(meta.data_page_offset);
    const dict = meta.dictionary_page_offset ? Number(meta.dictionary_page_offset) : data;
    const start = Math.min(dict, data);
    const bytes = new Uint8Array(buffer, start, Number(meta.total_compressed_size));
    const cursor = new ColumnCursor(
      bytes,
      {
        element,
        maxDef: element.repetition_type === "REQUIRED" ? 0 : 1,
        codec: meta.codec,
        scale: 1,
        strings: element.type === "BYTE_ARRAY",
      },
      {},
    );
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

describe("HyperLogLog", () => {
  const ids = (from: number, n: number) => Array.from({ length: n }, (_, i) => `user_${(from + i).toString(36)}`);

  for (const n of [1000, 20_000, 150_000, 1_000_000]) {
    it(`estimates ${n} distinct values within 2%`, () => {
      const h = new HyperLogLog();
      for (const id of ids(0, n)) h.add(hashString(id));
      for (const id of ids(0, Math.min(n, 50_000))) h.add(hashString(id));
      expect(Math.abs(h.estimate() - n)).toBeLessThanOrEqual(0.02 * n);
    });
  }

  it("merges like the union of what was added, in either order and after a round trip to bytes", () => {
    const a = new HyperLogLog();
    const b = new HyperLogLog();
    const both = new HyperLogLog();
    for (const id of ids(0, 60_000)) {
      a.add(hashString(id));
      both.add(hashString(id));
    }
    for (const id of ids(40_000, 500)) {
      b.add(hashString(id));
      both.add(hashString(id));
    }
    const ab = HyperLogLog.fromBytes(a.toBytes());
    ab.merge(HyperLogLog.fromBytes(b.toBytes()));
    const ba = HyperLogLog.fromBytes(b.toBytes());
    ba.merge(a);
    expect(ab.estimate()).toBe(both.estimate());
    expect(ba.estimate()).toBe(both.estimate());
  });

  it("counts small sets exactly and hashes numbers by value", () => {
    const h = new HyperLogLog();
    for (const v of [1, 2, 3, 3, 0, -0, 2.5]) h.add(hashValue(v));
    expect(h.estimate()).toBe(5);
  });
});
