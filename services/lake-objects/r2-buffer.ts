// hyparquet's AsyncBuffer over an R2 object: ranged GETs, counted so a query can report bytes read.
import type { ByteRangeCache } from "../../shared/lake/byte-range-cache";

export interface CountingBuffer {
  byteLength: number;
  slice(start: number, end?: number): Promise<ArrayBuffer>;
  /** Bytes fetched from R2 so far through this buffer (not those served from a cache). */
  readonly bytesRead: number;
}

/**
 * An AsyncBuffer for `key`, whose size the manifest already knows (no HEAD request). With a
 * `cache`, a range it holds is served from memory and a fetched range is offered to it.
 */
export function r2AsyncBuffer(lake: R2Bucket, key: string, byteLength: number, cache?: ByteRangeCache): CountingBuffer {
  let bytesRead = 0;
  // The size is part of the name: a key is never rewritten, and if it were, its size would differ.
  const cacheKey = `${key}@${byteLength}`;
  return {
    byteLength,
    get bytesRead() {
      return bytesRead;
    },
    async slice(start: number, end = byteLength): Promise<ArrayBuffer> {
      const length = Math.max(0, Math.min(end, byteLength) - start);
      if (length === 0) return new ArrayBuffer(0);
      const kept = cache?.get(cacheKey, start, start + length);
      if (kept) return kept;
      const object = await lake.get(key, { range: { offset: start, length } });
      if (!object) throw new Error(`lake object ${key} is missing`);
      const bytes = await object.arrayBuffer();
      bytesRead += bytes.byteLength;
      cache?.set(cacheKey, start, bytes);
      return bytes;
    },
  };
}
