// The RLE / bit-packed hybrid and bit-packing: written by Tarn, read back by Tarn and by hyparquet.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ByteSink } from "../../../shared/parquet/byte-sink";
import { readRleBitPackedHybrid } from "../../../shared/parquet/hyparquet-internals";
import { bitPack, bitWidthOf, decodeHybrid, writeHybrid } from "../../../shared/parquet/rle";

/** Values below 2^width with long runs (RLE) and noise (bit-packed), in one array. */
const valuesOf = (width: number) =>
  fc.array(
    fc.oneof(
      fc.array(fc.nat({ max: 2 ** width - 1 }), { maxLength: 30 }),
      fc.tuple(fc.nat({ max: 2 ** width - 1 }), fc.integer({ min: 8, max: 100 })).map(([v, n]) => Array(n).fill(v)),
    ),
    { maxLength: 12 },
  );

function encode(values: number[], width: number): Uint8Array {
  const sink = new ByteSink(16);
  writeHybrid(sink, values, 0, values.length, width);
  return sink.view().slice();
}

describe("RLE / bit-packed hybrid", () => {
  it("decodes what it encodes, at every width up to 32 bits", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 32 }).chain((width) => fc.tuple(fc.constant(width), valuesOf(width))),
        ([width, runs]) => {
          const values = runs.flat();
          const out = new Int32Array(values.length);
          decodeHybrid(encode(values, width), 0, width, values.length, out);
          expect(Array.from(out, (v) => v >>> 0)).toEqual(values);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("writes what hyparquet reads", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 24 }).chain((width) => fc.tuple(fc.constant(width), valuesOf(width))),
        ([width, runs]) => {
          const values = runs.flat();
          if (values.length === 0) return; // hyparquet reads a length prefix when given no length
          const bytes = encode(values, width);
          const out = new Array<number>(values.length);
          readRleBitPackedHybrid({ view: new DataView(bytes.buffer), offset: 0 }, width, out, bytes.length);
          expect(out).toEqual(values);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("encodes a long run of one value as a few bytes, and decodes into a byte array too", () => {
    const values = Array(10_000).fill(1);
    const bytes = encode(values, 1);
    expect(bytes.length).toBe(4); // a varint run header and one value byte
    const out = new Uint8Array(values.length);
    expect(decodeHybrid(bytes, 0, 1, values.length, out)).toBe(bytes.length);
    expect(out.every((v) => v === 1)).toBe(true);
  });

  it("reads width 0 as all zeros without reading a byte", () => {
    const out = new Int32Array(5).fill(7);
    expect(decodeHybrid(new Uint8Array(0), 0, 0, 5, out)).toBe(0);
    expect([...out]).toEqual([0, 0, 0, 0, 0]);
  });
});

describe("bit-packing", () => {
  it("needs bitWidthOf(max) bits for values up to max", () => {
    expect([0, 1, 2, 3, 255, 256, 2 ** 31, 2 ** 32 - 1].map(bitWidthOf)).toEqual([0, 1, 2, 2, 8, 9, 32, 32]);
  });

  it("packs values of up to 53 bits LSB first, padded to whole bytes", () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 53 })
          .chain((width) =>
            fc.tuple(
              fc.constant(width),
              fc.array(fc.bigInt({ min: 0n, max: 2n ** BigInt(width) - 1n }), { maxLength: 40 }),
            ),
          ),
        fc.nat({ max: 7 }),
        ([width, big], pad) => {
          const values = big.map(Number);
          const sink = new ByteSink(4);
          bitPack(sink, values, 0, values.length, pad, width);
          const bytes = sink.view();
          expect(bytes.length).toBe(Math.ceil(((values.length + pad) * width) / 8));
          // Read the stream back bit by bit, as the format defines it.
          let bit = 0;
          const read = (): bigint => {
            let v = 0n;
            for (let b = 0; b < width; b++, bit++)
              if (((bytes[bit >> 3] as number) >> (bit & 7)) & 1) v |= 1n << BigInt(b);
            return v;
          };
          expect(values.map(() => read())).toEqual(big);
          for (let i = 0; i < pad; i++) expect(read()).toBe(0n);
        },
      ),
      { numRuns: 300 },
    );
  });
});
