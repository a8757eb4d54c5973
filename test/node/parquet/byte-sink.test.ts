// The page buffer: varints, zigzag varints and little-endian words as the format reads them, growing as needed.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ByteSink } from "../../../shared/parquet/byte-sink";

/** ULEB128 as the format defines it, read with BigInts so no value is too large. */
function readVarint(bytes: Uint8Array, pos: number): [bigint, number] {
  let value = 0n;
  let shift = 0n;
  for (;;) {
    const b = bytes[pos++] as number;
    value |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) return [value, pos];
    shift += 7n;
  }
}

describe("ByteSink", () => {
  it("writes varints up to 2^53 and zigzag varints below 2^52 that read back exactly", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), { maxLength: 50 }),
        fc.array(fc.integer({ min: -(2 ** 52) + 1, max: 2 ** 52 - 1 }), { maxLength: 50 }),
        (plain, signed) => {
          const sink = new ByteSink(1); // grows from one byte
          for (const v of plain) sink.varint(v);
          for (const v of signed) sink.zigzag(v);
          const bytes = sink.view();
          let pos = 0;
          for (const v of plain) {
            const [got, next] = readVarint(bytes, pos);
            expect(got).toBe(BigInt(v));
            pos = next;
          }
          for (const v of signed) {
            const [got, next] = readVarint(bytes, pos);
            expect((got >> 1n) ^ -(got & 1n)).toBe(BigInt(v));
            pos = next;
          }
          expect(pos).toBe(bytes.length);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("writes bytes and little-endian words, and starts over on reset", () => {
    const sink = new ByteSink(2);
    sink.byte(7);
    sink.u32(0xdeadbeef);
    expect([...sink.view()]).toEqual([7, 0xef, 0xbe, 0xad, 0xde]);
    sink.reset();
    sink.varint(300);
    expect([...sink.view()]).toEqual([0xac, 0x02]);
  });
});
