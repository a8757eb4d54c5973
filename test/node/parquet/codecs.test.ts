// The lake's page codec: ZSTD pages compressed by Tarn, stored frames where compression fails, and
// both decompressed by the reader's codec (workerd's own behaviour is tested in test/workers/zstd.test.ts).

import { constants, zstdCompressSync, zstdDecompressSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  isWholeZstdFrame,
  lakeCompress,
  lakeCompressors,
  lakePageCompress,
  zstdCompress,
  zstdCompressView,
  zstdDecompress,
  zstdKeepsStream,
  zstdStoredFrame,
} from "../../../shared/parquet/codecs";

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

  it("gives the same frame whatever the guess of its size, too small, exact or too large", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.nat({ max: 40 }),
        fc.nat({ max: 200_000 }),
        (bytes, repeat, guess) => {
          const input = new Uint8Array(bytes.length * (repeat + 1));
          for (let r = 0; r <= repeat; r++) input.set(bytes, r * bytes.length);
          const unguessed = lakeCompress(input);
          expect(lakeCompress(input, guess)).toEqual(unguessed);
          expect(lakeCompress(input, unguessed.length)).toEqual(unguessed);
          expect(decompress(lakeCompress(input, guess), input.length)).toEqual(input);
        },
      ),
      { numRuns: 30 },
    );
  });

  it("stores pages of a few dozen bytes in one raw block, which any ZSTD decoder reads", () => {
    for (const n of [0, 1, 40, 63]) {
      const input = new Uint8Array(n).fill(7);
      const frame = lakeCompress(input);
      expect(frame).toEqual(zstdStoredFrame(input));
      expect(new Uint8Array(zstdDecompressSync(frame))).toEqual(input);
    }
    expect(lakeCompress(new Uint8Array(64).fill(7)).length).toBeLessThan(64); // compressed from 64 bytes on
  });

  it("writes node:zlib's own frames through the kept stream, frame after frame, at any level", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.uint8Array({ maxLength: 3000 }), fc.nat({ max: 60 })), { minLength: 1, maxLength: 6 }),
        fc.constantFrom(undefined, 1, 3, 9),
        (pages, level) => {
          for (const [bytes, repeat] of pages) {
            const input = new Uint8Array(bytes.length * (repeat + 1));
            for (let r = 0; r <= repeat; r++) input.set(bytes, r * bytes.length);
            const options = level === undefined ? {} : { params: { [constants.ZSTD_c_compressionLevel]: level } };
            const oneOff =
              input.length < 64 ? zstdStoredFrame(input) : new Uint8Array(zstdCompressSync(input, options));
            expect(zstdCompress(input, level)).toEqual(oneOff);
            expect(zstdCompressView(input, level)).toEqual(oneOff);
            const padded = new Uint8Array(input.length + 7); // the same bytes, as a view at an offset
            padded.set(input, 5);
            expect(zstdCompressView(padded.subarray(5, 5 + input.length), level)).toEqual(oneOff);
          }
        },
      ),
      { numRuns: 60 },
    );
    expect(zstdKeepsStream(1)).toBe(true); // node 24 has the handle: the frames above took the kept path
  });

  it("returns owned frames from lakeCompress, and views the next call reuses from lakePageCompress", () => {
    const a = new TextEncoder().encode("a page of text, ".repeat(400));
    const b = new TextEncoder().encode("another page, longer, ".repeat(900));
    const owned = lakeCompress(a);
    const copy = owned.slice();
    const view = lakePageCompress(a);
    expect(view).toEqual(copy);
    lakePageCompress(b);
    lakeCompress(b);
    expect(owned).toEqual(copy); // not overwritten by later calls
    expect(decompress(lakePageCompress(b), b.length)).toEqual(b);
  });

  it("compresses inputs whose frame would not fit the kept stream's buffer (over 1 MB) the one-off way", () => {
    const big = new TextEncoder().encode("tarn lake page ".repeat(90_000)); // 1.35 MB
    const packed = lakePageCompress(big);
    expect(packed.length).toBeLessThan(big.length / 100);
    expect(decompress(packed, big.length)).toEqual(big);
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

  it("tells a whole frame from one cut short, overlong, or of another size", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 3000 }), fc.nat({ max: 200 }), (bytes, repeat) => {
        const input = new Uint8Array(bytes.length * (repeat + 1));
        for (let r = 0; r <= repeat; r++) input.set(bytes, r * bytes.length);
        const native = new Uint8Array(zstdCompressSync(input));
        for (const frame of [native, zstdStoredFrame(input)]) {
          expect(isWholeZstdFrame(frame, input.length)).toBe(true);
          expect(isWholeZstdFrame(frame, input.length + 1)).toBe(false);
          for (const cut of [1, 2, 3, Math.ceil(frame.length / 2)]) {
            expect(isWholeZstdFrame(frame.subarray(0, frame.length - cut), input.length)).toBe(false);
          }
          const longer = new Uint8Array(frame.length + 1);
          longer.set(frame);
          expect(isWholeZstdFrame(longer, input.length)).toBe(false);
        }
      }),
      { numRuns: 100 },
    );
  });

  it("keeps compression wherever the encoder returns a whole frame", () => {
    const text = new TextEncoder().encode('{"path":"/p/1","ok":true}'.repeat(20_000)); // several blocks
    const packed = lakeCompress(text);
    expect(packed.length).toBeLessThan(text.length / 50);
    expect(decompress(packed, text.length)).toEqual(text);
  });

  it("decodes a page the runtime's decoder refuses with the JavaScript decoder, and fails only on bad bytes", () => {
    const refuses = () => {
      throw new Error("unexpected end of file");
    };
    const text = new TextEncoder().encode('{"path":"/p/1","ok":true,"ms":12}'.repeat(5000));
    const random = new Uint8Array(200_000).map((_, i) => (i * 2654435761) >>> 24);
    for (const input of [text, random, new Uint8Array(0)]) {
      for (const frame of [lakeCompress(input), zstdStoredFrame(input)]) {
        expect(zstdDecompress(frame, refuses)).toEqual(input);
      }
    }
    const cut = lakeCompress(text).subarray(0, 40);
    expect(() => zstdDecompress(cut, refuses)).toThrow("unexpected end of file");
  });
});
