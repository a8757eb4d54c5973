// Parquet's RLE / bit-packed hybrid, decoded straight into typed arrays (definition levels, dictionary codes).

/** Read an unsigned LEB128 varint; returns [value, next position]. */
function varint(bytes: Uint8Array, pos: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[pos++] as number;
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [value, pos];
    shift += 7;
  }
}

/**
 * Decode `count` values of bit width `width` starting at `pos` into `out` from index 0.
 * Returns the position after the last run read.
 */
export function decodeHybrid(
  bytes: Uint8Array,
  pos: number,
  width: number,
  count: number,
  out: Int32Array | Uint8Array,
): number {
  let o = 0;
  if (width === 0) {
    out.fill(0, 0, count);
    return pos;
  }
  const byteWidth = (width + 7) >> 3;
  const mask = width >= 32 ? 0xffffffff : (1 << width) - 1;
  while (o < count) {
    const [header, next] = varint(bytes, pos);
    pos = next;
    if ((header & 1) === 0) {
      const run = Math.min(header >>> 1, count - o);
      let value = 0;
      for (let i = 0; i < byteWidth; i++) value |= (bytes[pos + i] as number) << (8 * i);
      pos += byteWidth;
      out.fill(value, o, o + run);
      o += run;
    } else {
      const groups = header >>> 1;
      const total = groups * 8;
      const end = pos + groups * width;
      if (width <= 24) {
        let buf = 0;
        let bits = 0;
        let p = pos;
        const take = Math.min(total, count - o);
        for (let k = 0; k < take; k++) {
          while (bits < width) {
            buf |= (bytes[p++] as number) << bits;
            bits += 8;
          }
          out[o++] = buf & mask;
          buf >>>= width;
          bits -= width;
        }
      } else {
        const take = Math.min(total, count - o);
        for (let k = 0; k < take; k++) {
          const bit = k * width;
          let value = 0;
          for (let b = 0; b < width; b++) {
            const at = bit + b;
            if ((bytes[pos + (at >> 3)] as number) & (1 << (at & 7))) value += 2 ** b;
          }
          out[o++] = value;
        }
      }
      pos = end;
    }
  }
  return pos;
}
