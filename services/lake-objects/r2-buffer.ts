// hyparquet's AsyncBuffer over an R2 object: ranged GETs, counted so a query can report bytes read.

export interface CountingBuffer {
  byteLength: number;
  slice(start: number, end?: number): Promise<ArrayBuffer>;
  /** Bytes fetched from R2 so far through this buffer. */
  readonly bytesRead: number;
}

/** An AsyncBuffer for `key`, whose size the manifest already knows (no HEAD request). */
export function r2AsyncBuffer(lake: R2Bucket, key: string, byteLength: number): CountingBuffer {
  let bytesRead = 0;
  return {
    byteLength,
    get bytesRead() {
      return bytesRead;
    },
    async slice(start: number, end = byteLength): Promise<ArrayBuffer> {
      const length = Math.max(0, Math.min(end, byteLength) - start);
      if (length === 0) return new ArrayBuffer(0);
      const object = await lake.get(key, { range: { offset: start, length } });
      if (!object) throw new Error(`lake object ${key} is missing`);
      const bytes = await object.arrayBuffer();
      bytesRead += bytes.byteLength;
      return bytes;
    },
  };
}
