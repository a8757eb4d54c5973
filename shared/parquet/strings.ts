// PLAIN BYTE_ARRAY strings both ways with few native calls: JS strings encoded in batches, with their
// min/max in byte order, and pages decoded with one UTF-8 decode when they are ASCII.
import type { ByteSink } from "./byte-sink";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Stands in for each 4-byte length prefix after the first in the joined text; overwritten after encoding. */
const PREFIX = "\0\0\0\0";
/**
 * Values joined per encode call. Batches keep each joined string small enough (well under V8's
 * 128 KiB regular-object limit for typical values) to die young, instead of page-sized strings
 * that land in large-object space and trigger full collections of the caller's row objects.
 */
const BATCH_VALUES = 128;
const BATCH_CHARS = 16_384;
const batch: string[] = [];

/**
 * Append the non-null values among values[from..to) as PLAIN BYTE_ARRAY: a 4-byte little-endian
 * length, then the UTF-8 bytes. Returns whether every value was ASCII.
 *
 * Each batch of values is joined around 4-character placeholders and encoded with one `encodeInto`
 * straight into the sink; when that text is all ASCII (its UTF-8 length equals its UTF-16 length)
 * every value's byte length is its string length, so the placeholders are overwritten with the
 * lengths. That is one native call per batch instead of a call and a Uint8Array view per value.
 * A batch with multi-byte characters is encoded again value by value.
 */
export function writePlainStrings(
  sink: ByteSink,
  values: readonly (string | null)[],
  from: number,
  to: number,
): boolean {
  let ascii = true;
  let i = from;
  while (i < to) {
    batch.length = 0;
    let chars = 0;
    while (i < to && batch.length < BATCH_VALUES && chars < BATCH_CHARS) {
      const value = values[i++] as string | null;
      if (value === null) continue;
      batch.push(value);
      chars += value.length;
    }
    const count = batch.length;
    if (count === 0) break;
    // The first length prefix is left as a gap rather than prepended: `PREFIX + joined` would
    // allocate the batch's text a second time (measured: ~200 MB more garbage per 1M rows).
    const text = batch.join(PREFIX);
    sink.ensure(4 + text.length * 3);
    const b = sink.bytes;
    let p = sink.pos;
    if (encoder.encodeInto(text, b.subarray(p + 4)).written === text.length) {
      for (let k = 0; k < count; k++) {
        const length = (batch[k] as string).length;
        b[p] = length & 0xff;
        b[p + 1] = (length >>> 8) & 0xff;
        b[p + 2] = (length >>> 16) & 0xff;
        b[p + 3] = length >>> 24;
        p += 4 + length;
      }
    } else {
      ascii = false;
      for (let k = 0; k < count; k++) {
        const value = batch[k] as string;
        const length = encoder.encodeInto(value, b.subarray(p + 4, p + 4 + value.length * 3)).written;
        b[p] = length & 0xff;
        b[p + 1] = (length >>> 8) & 0xff;
        b[p + 2] = (length >>> 16) & 0xff;
        b[p + 3] = length >>> 24;
        p += 4 + length;
      }
    }
    sink.pos = p;
  }
  batch.length = 0;
  return ascii;
}

/** Unsigned lexicographic order of b[p, p + pl) and b[q, q + ql) (Parquet's BYTE_ARRAY order). */
function compareAt(b: Uint8Array, p: number, pl: number, q: number, ql: number): number {
  const n = Math.min(pl, ql);
  for (let k = 0; k < n; k++) {
    const d = (b[p + k] as number) - (b[q + k] as number);
    if (d !== 0) return d;
  }
  return pl - ql;
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let k = 0; k < n; k++) {
    const d = (a[k] as number) - (b[k] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Running min and max of a column chunk's byte-array values, as copies. */
export class BytesRange {
  min: Uint8Array | undefined;
  max: Uint8Array | undefined;

  /**
   * Fold in the PLAIN BYTE_ARRAY values in b[start, end). Comparing the encoded bytes gives UTF-8
   * (code point) order for free, which JavaScript's `<` on strings does not, and costs no string
   * flattening; only the page's winners are copied out.
   */
  addPlain(b: Uint8Array, start: number, end: number): void {
    if (start >= end) return;
    let minAt = start + 4;
    let minLength = readLength(b, start);
    let maxAt = minAt;
    let maxLength = minLength;
    let p = minAt + minLength;
    while (p < end) {
      const length = readLength(b, p);
      const at = p + 4;
      if (compareAt(b, at, length, minAt, minLength) < 0) {
        minAt = at;
        minLength = length;
      } else if (compareAt(b, at, length, maxAt, maxLength) > 0) {
        maxAt = at;
        maxLength = length;
      }
      p = at + length;
    }
    const min = b.slice(minAt, minAt + minLength);
    const max = b.slice(maxAt, maxAt + maxLength);
    if (this.min === undefined || compareBytes(min, this.min) < 0) this.min = min;
    if (this.max === undefined || compareBytes(max, this.max) > 0) this.max = max;
  }
}

function readLength(b: Uint8Array, p: number): number {
  return (
    ((b[p] as number) | ((b[p + 1] as number) << 8) | ((b[p + 2] as number) << 16) | ((b[p + 3] as number) << 24)) >>> 0
  );
}

// Reading

/** Decode `count` length-prefixed UTF-8 strings starting at `offset`. */
export function decodeStrings(bytes: Uint8Array, offset: number, count: number): string[] {
  const out: string[] = new Array(count);
  const starts = new Int32Array(count);
  const lengths = new Int32Array(count);
  let p = offset;
  for (let i = 0; i < count; i++) {
    const len =
      (bytes[p] as number) |
      ((bytes[p + 1] as number) << 8) |
      ((bytes[p + 2] as number) << 16) |
      ((bytes[p + 3] as number) << 24);
    starts[i] = p + 4;
    lengths[i] = len;
    p += 4 + len;
  }
  if (count === 0) return out;
  // Decoding the whole run keeps V8 from allocating per value; it only works when every byte is one character.
  const text = decoder.decode(bytes.subarray(offset, p));
  if (text.length === p - offset) {
    for (let i = 0; i < count; i++) {
      const s = (starts[i] as number) - offset;
      out[i] = text.slice(s, s + (lengths[i] as number));
    }
    return out;
  }
  for (let i = 0; i < count; i++) {
    const s = starts[i] as number;
    out[i] = decoder.decode(bytes.subarray(s, s + (lengths[i] as number)));
  }
  return out;
}
