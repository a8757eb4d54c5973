// Parquet bit-packing (LSB first) and the RLE / bit-packed hybrid of levels and dictionary indexes:
// written from typed arrays into a ByteSink, and decoded straight back into typed arrays.
import type { ByteSink } from "./byte-sink";

/** Bits needed to store `max` (0 for 0), for max < 2^32. */
export function bitWidthOf(max: number): number {
  return max === 0 ? 0 : 32 - Math.clz32(max);
}

/**
 * Bit-pack values[from..to) at `width` bits each, then `pad` zero values (to fill a group of 8).
 * Widths up to 25 use 32-bit operators: at most 7 pending bits plus 25 new ones fit in a uint32.
 * Wider values (up to 53 bits, delta timestamps) go through exact float arithmetic, split in a low
 * 32-bit part and the rest, which is the same bit stream because packing is LSB first.
 */
export function bitPack(
  sink: ByteSink,
  values: ArrayLike<number>,
  from: number,
  to: number,
  pad: number,
  width: number,
): void {
  if (width === 0) return;
  const count = to - from + pad;
  sink.ensure(Math.ceil((count * width) / 8) + 8);
  const b = sink.bytes;
  let p = sink.pos;
  if (width <= 25) {
    let acc = 0;
    let bits = 0;
    for (let i = from; i < to; i++) {
      acc |= (values[i] as number) << bits;
      bits += width;
      while (bits >= 8) {
        b[p++] = acc & 0xff;
        acc >>>= 8;
        bits -= 8;
      }
    }
    for (let i = 0; i < pad; i++) {
      bits += width;
      while (bits >= 8) {
        b[p++] = acc & 0xff;
        acc >>>= 8;
        bits -= 8;
      }
    }
    if (bits > 0) b[p++] = acc & 0xff;
    sink.pos = p;
    return;
  }
  let acc = 0; // < 2^8 between values; < 2^40 after adding a 32-bit part
  let bits = 0;
  const push = (part: number, partWidth: number): void => {
    acc += part * 2 ** bits;
    bits += partWidth;
    while (bits >= 8) {
      b[p++] = acc % 0x100;
      acc = Math.floor(acc / 0x100);
      bits -= 8;
    }
  };
  for (let i = from; i < to + pad; i++) {
    const v = i < to ? (values[i] as number) : 0;
    if (width <= 32) push(v, width);
    else {
      const low = v % 0x100000000;
      push(low, 32);
      push((v - low) / 0x100000000, width - 32);
    }
  }
  if (bits > 0) b[p++] = acc;
  sink.pos = p;
}

/**
 * RLE / bit-packed hybrid encoding of values[from..to), each < 2^width (width ≤ 32). Runs of 8 or
 * more equal values found at a group start become RLE runs; everything else is bit-packed in groups
 * of 8, the last group padded with zeros. No length prefix (callers add one where the format needs it).
 */
export function writeHybrid(sink: ByteSink, values: ArrayLike<number>, from: number, to: number, width: number): void {
  const valueBytes = (width + 7) >> 3;
  let i = from;
  let pending = from; // start of values waiting to be bit-packed; always a multiple of 8 before i
  while (i < to) {
    const v = values[i] as number;
    let j = i + 1;
    while (j < to && values[j] === v) j++;
    if (j - i >= 8) {
      if (pending < i) flushPacked(sink, values, pending, i, to, width);
      sink.varint((j - i) * 2);
      sink.ensure(4);
      for (let k = 0; k < valueBytes; k++) sink.bytes[sink.pos++] = (v >>> (8 * k)) & 0xff;
      i = j;
      pending = j;
    } else {
      i += 8;
    }
  }
  if (pending < to) flushPacked(sink, values, pending, i, to, width);
}

/** Bit-packed run of (end - start) / 8 groups; values at or past `to` are padding zeros. */
function flushPacked(
  sink: ByteSink,
  values: ArrayLike<number>,
  start: number,
  end: number,
  to: number,
  width: number,
): void {
  sink.varint(((end - start) / 8) * 2 + 1);
  const last = Math.min(end, to);
  bitPack(sink, values, start, last, end - last, width);
}

// Reading

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
