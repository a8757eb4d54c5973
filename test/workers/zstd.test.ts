import { zstdDecompressSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { zstdCompress, zstdDecompress, zstdStoredFrame } from "../../shared/parquet/codecs";

const random = (n: number) => {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) out.set(crypto.getRandomValues(new Uint8Array(Math.min(65536, n - i))), i);
  return out;
};

describe("zstd in workerd", () => {
  it("compresses what the runtime's encoder can, and stores what it cannot, both decodable", () => {
    for (const input of [
      new Uint8Array(0),
      random(100),
      random(300_000),
      new TextEncoder().encode("tarn ".repeat(50_000)),
    ]) {
      const packed = zstdCompress(input, 1);
      expect(new Uint8Array(zstdDecompressSync(packed))).toEqual(input);
    }
    const text = new TextEncoder().encode("tarn ".repeat(50_000));
    expect(zstdCompress(text, 1).length).toBeLessThan(text.length / 100);
  });

  it("keeps compressing when told the expected frame size (the output chunk size), right or wrong", () => {
    const page = new TextEncoder().encode('{"path":"/p/1","ok":true}'.repeat(1_500)); // a 37 KB lake page
    const unguessed = zstdCompress(page, 1);
    expect(unguessed.length).toBeLessThan(page.length / 20);
    for (const guess of [1, unguessed.length, unguessed.length * 2, 1 << 20]) {
      const packed = zstdCompress(page, 1, guess);
      expect(packed).toEqual(unguessed);
      expect(new Uint8Array(zstdDecompressSync(packed))).toEqual(page);
    }
  });

  it("writes a stored frame any decoder reads, across several 128 KB blocks", () => {
    const input = random(300_001);
    expect(new Uint8Array(zstdDecompressSync(zstdStoredFrame(input)))).toEqual(input);
  });

  it("decodes the runtime's own frames with the JavaScript fallback decoder, inside workerd", () => {
    const refuses = () => {
      throw new Error("unexpected end of file");
    };
    for (const input of [random(300_000), new TextEncoder().encode("tarn ".repeat(50_000))]) {
      expect(zstdDecompress(zstdCompress(input, 1), refuses)).toEqual(input);
    }
  });
});
