// The lake's page codec: ZSTD pages compressed by Tarn, stored frames where compression fails, and
// both decompressed by the reader's codec (workerd's own behaviour is tested in test/workers/zstd.test.ts).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lakeCompress, lakeCompressors, zstdCompress, zstdStoredFrame } from "../../../shared/parquet/codecs";

const decompress = (bytes: Uint8Array, length: number) => lakeCompressors.ZSTD(bytes, length);

describe("ZSTD pages", () => {
  it("decompress to what was compressed, at the lake's level and the library default", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), fc.nat({ max: 30 }), (bytes, repeat) => {
        const input = new Uint8Array(bytes.length * (repeat + 1));
        for (let r = 0; r <= repeat; r++) input.set(bytes, r * bytes.length);
        expect(decompress(lakeCompress(input), input.length)).toEqual(input);
        expect(decompress(zstdCompress(input), input.length)).toEqual(input);
      }),
      { numRuns: 50 },
    );
  });

  it("shrinks repetitive pages", () => {
    const text = new TextEncoder().encode('{"path":"/p/1","ok":true}'.repeat(2000));
    expect(lakeCompress(text).length).toBeLessThan(text.length / 50);
  });

  it("reads a stored frame (raw blocks) written where the runtime's encoder fails", () => {
    for (const n of [0, 1, 128 * 1024, 300_001]) {
      const input = new Uint8Array(n);
      for (let i = 0; i < n; i++) input[i] = (i * 7919) & 0xff;
      expect(decompress(zstdStoredFrame(input), n)).toEqual(input);
    }
  });
});
