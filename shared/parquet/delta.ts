// DELTA_BINARY_PACKED both ways without a BigInt per value: timestamps written from float64 milliseconds,
// INT32/INT64 pages decoded straight to doubles. Values beyond a double's exact range go through
// hyparquet(-writer)'s BigInt code instead.
import type { ByteSink } from "./byte-sink";
import { ByteWriter, deltaBinaryPack, deltaBinaryUnpack } from "./hyparquet-internals";
import { bitPack, bitWidthOf } from "./rle";

const BLOCK = 128;
const MINIBLOCKS = 4;
const PER_MINIBLOCK = BLOCK / MINIBLOCKS;

/**
 * Values this encoder takes: integers with |v| < 2^51, so every delta, zigzag and adjusted delta
 * (delta - block minimum, < 2^53) is an exact float64. Epoch milliseconds are about 2^41 today.
 * hyparquet-writer only has a Number path for int32 values and converts anything larger to BigInt
 * per value, which made timestamps one of the slowest columns.
 */
export const DELTA_SAFE_LIMIT = 2 ** 51;

const deltas = new Float64Array(BLOCK);

function widthOf(max: number): number {
  if (max < 0x100000000) return bitWidthOf(max);
  return 32 + bitWidthOf(Math.floor(max / 0x100000000));
}

/**
 * Write values[from..to) as one DELTA_BINARY_PACKED stream (block 128, 4 miniblocks of 32), laid out
 * as hyparquet-writer does: the last miniblocks of the last block are padded with zeros, and
 * miniblocks past the last value get width 0 and no bytes. Every value must satisfy |v| < DELTA_SAFE_LIMIT.
 */
export function writeDeltaPacked(sink: ByteSink, values: Float64Array, from: number, to: number): void {
  const count = to - from;
  sink.varint(BLOCK);
  sink.varint(MINIBLOCKS);
  sink.varint(count);
  sink.zigzag(count > 0 ? (values[from] as number) : 0);
  const widths = [0, 0, 0, 0];
  for (let start = from + 1; start < to; start += BLOCK) {
    const size = Math.min(BLOCK, to - start);
    let min = Number.POSITIVE_INFINITY;
    for (let i = 0; i < size; i++) {
      const d = (values[start + i] as number) - (values[start + i - 1] as number);
      deltas[i] = d;
      if (d < min) min = d;
    }
    sink.zigzag(min);
    for (let m = 0; m < MINIBLOCKS; m++) {
      const end = Math.min(size, (m + 1) * PER_MINIBLOCK);
      let max = 0;
      for (let i = m * PER_MINIBLOCK; i < end; i++) {
        const adjusted = (deltas[i] as number) - min;
        deltas[i] = adjusted;
        if (adjusted > max) max = adjusted;
      }
      widths[m] = widthOf(max);
    }
    sink.ensure(MINIBLOCKS);
    for (let m = 0; m < MINIBLOCKS; m++) sink.bytes[sink.pos++] = widths[m] as number;
    for (let m = 0; m < MINIBLOCKS; m++) {
      const first = m * PER_MINIBLOCK;
      if (first >= size) break;
      const last = Math.min(size, first + PER_MINIBLOCK);
      bitPack(sink, deltas, first, last, PER_MINIBLOCK - (last - first), widths[m] as number);
    }
  }
}

/**
 * values[from..to) as one DELTA_BINARY_PACKED INT64 stream. `safe` (every value of the chunk within
 * ±DELTA_SAFE_LIMIT, known from its min and max) takes writeDeltaPacked; times beyond ±2^51 ms
 * (±71,000 years) are not exact in float arithmetic and go through hyparquet-writer's BigInt encoder.
 */
export function writeDeltaInt64(sink: ByteSink, values: Float64Array, from: number, to: number, safe: boolean): void {
  if (safe) {
    writeDeltaPacked(sink, values, from, to);
    return;
  }
  const page = new ByteWriter();
  deltaBinaryPack(page, BigInt64Array.from(values.subarray(from, to), BigInt), "INT64");
  const bytes = page.getBytes();
  sink.ensure(bytes.length);
  sink.bytes.set(bytes, sink.pos);
  sink.pos += bytes.length;
}

// Reading

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
