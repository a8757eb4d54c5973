// Pages: dictionary and DATA_PAGE_V2 pages written by Tarn, read back one by one.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ByteSink } from "../../../shared/parquet/byte-sink";
import { lakeCompress, lakeCompressors } from "../../../shared/parquet/codecs";
import { ByteWriter, writePageHeader } from "../../../shared/parquet/hyparquet-internals";
import { readPage, writeDataPageV2, writeDictionaryPage } from "../../../shared/parquet/page";
import { writeHybrid } from "../../../shared/parquet/rle";
import { columnSpec } from "../../../shared/parquet/schema";
import { writePlainStrings } from "../../../shared/parquet/strings";

const TEXT = { name: "t", type: "BYTE_ARRAY", repetition_type: "OPTIONAL" } as const;

function plain(values: (string | null)[]): Uint8Array {
  const sink = new ByteSink();
  writePlainStrings(sink, values, 0, values.length);
  return sink.view().slice();
}

function levels(defs: number[]): Uint8Array {
  const sink = new ByteSink();
  writeHybrid(sink, defs, 0, defs.length, 1);
  return sink.view().slice();
}

describe("pages", () => {
  it("have the same headers as hyparquet-writer writes", () => {
    const identity = (bytes: Uint8Array) => bytes;
    const size = fc.integer({ min: 0, max: 2 ** 31 - 1 });
    const encoding = fc.constantFrom("PLAIN", "RLE_DICTIONARY", "DELTA_BINARY_PACKED" as const);
    fc.assert(
      fc.property(
        size,
        size,
        fc.nat({ max: 300 }),
        fc.nat({ max: 200 }),
        encoding,
        (rows, nulls, valueBytes, levelBytes, enc) => {
          const values = new Uint8Array(valueBytes).fill(3);
          const defs = new Uint8Array(levelBytes).fill(1);
          const ours = new ByteWriter();
          writeDataPageV2(ours, { rows, nulls, levels: defs, values, encoding: enc }, identity);
          writeDictionaryPage(ours, values, rows, identity);
          const theirs = new ByteWriter();
          writePageHeader(theirs, {
            type: "DATA_PAGE_V2",
            uncompressed_page_size: levelBytes + valueBytes,
            compressed_page_size: levelBytes + valueBytes,
            data_page_header_v2: {
              num_values: rows,
              num_nulls: nulls,
              num_rows: rows,
              encoding: enc,
              definition_levels_byte_length: levelBytes,
              repetition_levels_byte_length: 0,
              is_compressed: true,
            },
          });
          theirs.appendBytes(defs);
          theirs.appendBytes(values);
          writePageHeader(theirs, {
            type: "DICTIONARY_PAGE",
            uncompressed_page_size: valueBytes,
            compressed_page_size: valueBytes,
            dictionary_page_header: { num_values: rows, encoding: "PLAIN" },
          });
          theirs.appendBytes(values);
          expect(ours.getBytes()).toEqual(theirs.getBytes());
        },
      ),
      { numRuns: 200 },
    );
  });

  it("read back as written: a dictionary, then rows with nulls, then rows without", () => {
    const file = new ByteWriter();
    const sizes = [
      writeDictionaryPage(file, plain(["x", "yz"]), 2, lakeCompress),
      writeDataPageV2(
        file,
        { rows: 4, nulls: 2, levels: levels([1, 0, 0, 1]), values: plain(["p", "q"]), encoding: "PLAIN" },
        lakeCompress,
      ),
      writeDataPageV2(
        file,
        { rows: 2, nulls: 0, levels: new Uint8Array(0), values: plain(["é", ""]), encoding: "PLAIN" },
        lakeCompress,
      ),
    ];
    const bytes = file.getBytes();
    const spec = columnSpec(TEXT, "ZSTD", true);
    const dictionary = readPage(bytes, 0, spec, lakeCompressors);
    expect(dictionary.dictionary).toEqual({ kind: "str", n: 2, values: ["x", "yz"] });
    expect(dictionary.rows).toBeNull();
    const first = readPage(bytes, dictionary.next, spec, lakeCompressors);
    expect(first.rows).toEqual({ kind: "str", n: 4, values: ["p", null, null, "q"] });
    const second = readPage(bytes, first.next, spec, lakeCompressors);
    expect(second.rows).toEqual({ kind: "str", n: 2, values: ["é", ""] });
    expect(second.next).toBe(bytes.length);
    // Each returned size is the page's uncompressed size, header included: never less than its values.
    expect(sizes[1]).toBeGreaterThan(levels([1, 0, 0, 1]).length + plain(["p", "q"]).length);
  });

  it("reads uncompressed pages and INT64 values as doubles", () => {
    const file = new ByteWriter();
    const values = new ByteWriter();
    for (const v of [1_740_787_200_000n, -5n]) values.appendInt64(v);
    writeDataPageV2(
      file,
      { rows: 2, nulls: 0, levels: new Uint8Array(0), values: values.getBytes().slice(), encoding: "PLAIN" },
      (b) => b,
    );
    const spec = columnSpec({ name: "n", type: "INT64", repetition_type: "REQUIRED" }, "UNCOMPRESSED", false);
    const page = readPage(file.getBytes(), 0, spec, {});
    expect(page.rows).toEqual({ kind: "num", n: 2, values: Float64Array.of(1_740_787_200_000, -5), valid: null });
  });
});
