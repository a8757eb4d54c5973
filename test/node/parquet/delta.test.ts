// DELTA_BINARY_PACKED: timestamps written by Tarn, byte for byte as hyparquet-writer writes them, and
// read back by Tarn's decoder and by hyparquet's.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ByteSink } from "../../../shared/parquet/byte-sink";
import { DELTA_SAFE_LIMIT, decodeDelta, writeDeltaInt64, writeDeltaPacked } from "../../../shared/parquet/delta";
import { ByteWriter, deltaBinaryPack, deltaBinaryUnpack } from "../../../shared/parquet/hyparquet-internals";

const safeInt = fc.integer({ min: -(DELTA_SAFE_LIMIT - 1), max: DELTA_SAFE_LIMIT - 1 });
/** Sorted epoch-ms times a few ms apart (the lake's case), or any safe integers. */
const times = fc.oneof(
  fc
    .array(fc.nat({ max: 5_000 }), { maxLength: 700 })
    .map((steps) => steps.map((_, i) => 1_740_787_200_000 + steps.slice(0, i + 1).reduce((a, b) => a + b, 0))),
  fc.array(safeInt, { maxLength: 700 }),
);

function written(values: number[], safe = true): Uint8Array {
  const sink = new ByteSink(8);
  writeDeltaInt64(sink, Float64Array.from(values), 0, values.length, safe);
  return sink.view().slice();
}

function hyparquetWriterBytes(values: number[]): Uint8Array {
  const writer = new ByteWriter();
  deltaBinaryPack(writer, BigInt64Array.from(values, BigInt), "INT64");
  return writer.getBytes().slice();
}

describe("DELTA_BINARY_PACKED", () => {
  it("decodes what it encodes, exactly, in uneven page ranges", () => {
    fc.assert(
      fc.property(times, fc.nat(), (values, cut) => {
        const from = values.length ? cut % values.length : 0;
        const sink = new ByteSink(8);
        writeDeltaPacked(sink, Float64Array.from(values), from, values.length);
        expect([...decodeDelta(sink.view(), 0, values.length - from, 1, false)]).toEqual(values.slice(from));
      }),
      { numRuns: 300 },
    );
  });

  it("writes the bytes hyparquet-writer writes, without a BigInt per value", () => {
    fc.assert(
      fc.property(times, (values) => {
        expect(written(values)).toEqual(hyparquetWriterBytes(values));
      }),
      { numRuns: 200 },
    );
  });

  it("writes what hyparquet reads", () => {
    fc.assert(
      fc.property(times, (values) => {
        const bytes = written(values);
        const out = new BigInt64Array(values.length);
        deltaBinaryUnpack({ view: new DataView(bytes.buffer), offset: 0 }, values.length, out);
        expect(Array.from(out, Number)).toEqual(values);
      }),
      { numRuns: 200 },
    );
  });

  it("takes hyparquet-writer's BigInt path beyond ±2^51 ms and still reads back exactly", () => {
    const far = [-(2 ** 53) + 1, 0, 2 ** 53 - 1, 2 ** 52, -(2 ** 52) - 7, 12];
    const bytes = written(far, false);
    expect(bytes).toEqual(hyparquetWriterBytes(far));
    const out = new BigInt64Array(far.length);
    deltaBinaryUnpack({ view: new DataView(bytes.buffer), offset: 0 }, far.length, out);
    expect(Array.from(out, Number)).toEqual(far);
    // The engine's decoder falls back to BigInts where deltas pass a double's exact range.
    expect([...decodeDelta(bytes, 0, far.length, 1, false)]).toEqual(far);
  });

  it("decodes INT32 pages with wrap-around deltas, and scales INT64 to milliseconds", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { minLength: 1, maxLength: 500 }),
        (v) => {
          const writer = new ByteWriter();
          deltaBinaryPack(writer, Int32Array.from(v), "INT32");
          expect([...decodeDelta(writer.getBytes(), 0, v.length, 1, true)]).toEqual(v);
        },
      ),
      { numRuns: 100 },
    );
    const micros = [1_740_787_200_000_000, 1_740_787_200_001_000, 1_740_787_200_000_500];
    expect([...decodeDelta(written(micros), 0, 3, 0.001, false)]).toEqual(micros.map((m) => m * 0.001));
  });

  it("writes an empty stream that decodes to nothing", () => {
    expect(decodeDelta(written([]), 0, 0, 1, false)).toHaveLength(0);
    expect(written([])).toEqual(hyparquetWriterBytes([]));
  });
});
