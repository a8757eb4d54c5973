// DELTA_BINARY_PACKED (INT32/INT64) straight to doubles, without a BigInt per value. Pages whose values
// or deltas do not fit a double exactly fall back to hyparquet's BigInt decoder.
import { deltaBinaryUnpack } from "hyparquet/src/delta.js";

const SAFE = Number.MAX_SAFE_INTEGER;

/** An unsigned LEB128 varint; NaN when it does not fit a double exactly. */
function varint(bytes: Uint8Array, pos: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (;;) {
    const b = bytes[pos++] as number;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return [value > SAFE ? Number.NaN : value, pos];
    scale *= 128;
  }
}

function zigzag(n: number): number {
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
}

/** Read `width` (≤ 32) bits at bit offset `bit`, least significant first. */
function readBits(bytes: Uint8Array, bit: number, width: number): number {
  let value = 0;
  let got = 0;
  let pos = bit;
  while (got < width) {
    const shift = pos & 7;
    const take = Math.min(8 - shift, width - got);
    value += (((bytes[pos >> 3] as number) >> shift) & ((1 << take) - 1)) * 2 ** got;
    got += take;
    pos += take;
  }
  return value;
}

/** The fast path; null when a value or delta would not be exact as a double. */
function decodeFast(
  bytes: Uint8Array,
  offset: number,
  count: number,
  scale: number,
  int32: boolean,
): Float64Array | null {
  const out = new Float64Array(count);
  const [blockSize, p1] = varint(bytes, offset);
  const [miniblocks, p2] = varint(bytes, p1);
  const [, p3] = varint(bytes, p2);
  const [first, p4] = varint(bytes, p3);
  if (Number.isNaN(first)) return null;
  let pos = p4;
  let value = zigzag(first);
  out[0] = value * scale;
  let o = 1;
  const perMiniblock = blockSize / miniblocks;
  const widths = new Uint8Array(miniblocks);
  while (o < count) {
    const [raw, next] = varint(bytes, pos);
    pos = next;
    if (Number.isNaN(raw)) return null;
    const minDelta = zigzag(raw);
    for (let i = 0; i < miniblocks; i++) widths[i] = bytes[pos++] as number;
    for (let m = 0; m < miniblocks && o < count; m++) {
      const width = widths[m] as number;
      if (width > 32) return null;
      const take = Math.min(perMiniblock, count - o);
      if (width <= 24) {
        const mask = (1 << width) - 1;
        let buf = 0;
        let bits = 0;
        let p = pos;
        for (let k = 0; k < take; k++) {
          while (bits < width) {
            buf |= (bytes[p++] as number) << bits;
            bits += 8;
          }
          value += minDelta + (buf & mask);
          buf >>>= width;
          bits -= width;
          if (int32) value |= 0;
          else if (value > SAFE || value < -SAFE) return null;
          out[o++] = value * scale;
        }
      } else {
        for (let k = 0; k < take; k++) {
          value += minDelta + readBits(bytes, pos * 8 + k * width, width);
          if (int32) value |= 0;
          else if (value > SAFE || value < -SAFE) return null;
          out[o++] = value * scale;
        }
      }
      pos += (perMiniblock * width) / 8;
    }
  }
  return out;
}

/** Decode `count` values starting at `offset`, each multiplied by `scale`. */
export function decodeDelta(
  bytes: Uint8Array,
  offset: number,
  count: number,
  scale: number,
  int32: boolean,
): Float64Array {
  if (count === 0) return new Float64Array(0);
  const fast = decodeFast(bytes, offset, count, scale, int32);
  if (fast) return fast;
  const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset };
  if (int32) {
    const raw = new Int32Array(count);
    deltaBinaryUnpack(reader, count, raw);
    return Float64Array.from(raw, (x) => x * scale);
  }
  const raw = new BigInt64Array(count);
  deltaBinaryUnpack(reader, count, raw);
  return Float64Array.from(raw, (x) => Number(x) * scale);
}
