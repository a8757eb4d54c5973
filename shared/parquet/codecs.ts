// The lake's page codec, ZSTD, both ways (node:zlib works in workerd with nodejs_compat).
//
// Compression never fails: node:zlib's ZSTD through one kept stream (or zstdCompressSync where that
// is unavailable), falling back to a frame of raw (stored) blocks when it throws. workerd's zstd throws "Unexpected end of file" once the compressed output
// passes ~40 KB (cloudflare/workerd#6769, fix pending); any zstd decoder reads a raw-block frame, so
// a page that hits the bug is kept uncompressed instead of failing the file.

import { constants, ZstdCompress, zstdCompressSync, zstdDecompressSync } from "node:zlib";
import { decompress as decompressInJs } from "fzstd";

/**
 * A page compressor (what a column chunk writer is given). `expectedSize`, when given, is a guess of
 * the compressed size (from the chunk's previous page); it only sizes the output buffer. The frame
 * returned may be a view of a buffer the next call reuses: append it before compressing again.
 */
export type Compress = (bytes: Uint8Array, expectedSize?: number) => Uint8Array;

// Writing

const MAX_BLOCK = 128 * 1024;
const MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/**
 * A spec-conformant (RFC 8878) single-segment frame holding `input` in raw blocks.
 * @example zstdDecompressSync(zstdStoredFrame(bytes)) // equals bytes
 */
export function zstdStoredFrame(input: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(input.length / MAX_BLOCK));
  const out = new Uint8Array(4 + 1 + 4 + blocks * 3 + input.length);
  out.set(MAGIC, 0);
  // Frame header descriptor: 4-byte content size (flag 2), single segment, no checksum, no dictionary.
  out[4] = 0xa0;
  new DataView(out.buffer).setUint32(5, input.length, true);
  let o = 9;
  for (let b = 0; b < blocks; b++) {
    const start = b * MAX_BLOCK;
    const size = Math.min(MAX_BLOCK, input.length - start);
    const header = (size << 3) | (0 << 1) | (b === blocks - 1 ? 1 : 0);
    out[o] = header & 0xff;
    out[o + 1] = (header >>> 8) & 0xff;
    out[o + 2] = (header >>> 16) & 0xff;
    out.set(input.subarray(start, start + size), o + 3);
    o += 3 + size;
  }
  return out;
}

const FCS_BYTES = [0, 2, 4, 8];
const DICTIONARY_ID_BYTES = [0, 1, 2, 4];

/**
 * Whether `frame` is exactly one whole ZSTD frame (RFC 8878): its header, then blocks up to the one
 * marked last, then the checksum if the header announces one, and not a byte more or less; and, when
 * the header records the content size, that it is `contentSize`. Walking the block headers costs a
 * few reads per 128 KB block, far less than decoding. The runtime bug behind the stored-frame
 * fallback stops the encoder early; a frame cut short must never reach the lake unnoticed, since it
 * would only fail when read back (by compaction, long after the 202).
 */
export function isWholeZstdFrame(frame: Uint8Array, contentSize: number): boolean {
  if (frame.length < 6 || MAGIC.some((b, i) => frame[i] !== b)) return false;
  const descriptor = frame[4] as number;
  const fcsFlag = descriptor >>> 6;
  const singleSegment = (descriptor >>> 5) & 1;
  const checksum = (descriptor >>> 2) & 1;
  const fcsBytes = fcsFlag === 0 && singleSegment ? 1 : (FCS_BYTES[fcsFlag] as number);
  let p = 5 + (singleSegment ? 0 : 1) + (DICTIONARY_ID_BYTES[descriptor & 3] as number);
  if (p + fcsBytes > frame.length) return false;
  if (fcsBytes > 0) {
    let size = 0;
    for (let k = fcsBytes - 1; k >= 0; k--) size = size * 256 + (frame[p + k] as number);
    if (fcsBytes === 2) size += 256;
    if (size !== contentSize) return false;
  }
  p += fcsBytes;
  for (;;) {
    if (p + 3 > frame.length) return false;
    const header = (frame[p] as number) | ((frame[p + 1] as number) << 8) | ((frame[p + 2] as number) << 16);
    const type = (header >>> 1) & 3;
    if (type === 3) return false;
    p += 3 + (type === 1 ? 1 : header >>> 3);
    if (header & 1) break;
  }
  return p + (checksum ? 4 : 0) === frame.length;
}

/**
 * Inputs shorter than this are stored (one raw block) rather than compressed: a call to node:zlib
 * costs tens of µs of fixed work (a stream object and a ZSTD context per call), which dominated
 * landing's small files, whose dictionary index and timestamp pages are a few dozen bytes, while
 * ZSTD could save at most a few bytes of them (measured: +0.7 % bytes on 50-row files, +0.02 % on
 * 2,000-row ones).
 */
const STORE_BELOW = 64;

/** node:zlib's smallest and default output chunk. */
const MIN_CHUNK = 64;
const DEFAULT_CHUNK = 16 * 1024;

/** A bound on any ZSTD frame of `length` input bytes (ZSTD_compressBound is below it). */
const frameBound = (length: number): number => length + (length >> 7) + 512;

/**
 * node:zlib's native handle under a ZstdCompress stream: `writeSync(flush, input, inOffset,
 * inLength, output, outOffset, outLength)` compresses straight into `output` and leaves the output
 * and input bytes still available in the stream's `_writeState`. This is how node's own
 * zstdCompressSync drives it (node and workerd share the shape, workerd's port being node's code);
 * it is not public API, so it is checked for before use and any surprise falls back to
 * zstdCompressSync.
 */
interface NativeZstdHandle {
  writeSync(
    flush: number,
    input: Uint8Array,
    inOffset: number,
    inLength: number,
    output: Uint8Array,
    outOffset: number,
    outLength: number,
  ): void;
}

interface ReusedEncoder {
  stream: ZstdCompress;
  handle: NativeZstdHandle;
  /** [output bytes left, input bytes left] after each writeSync. */
  state: Uint32Array;
}

/** ZSTD_e_end: finish the frame. */
const END_FRAME = 2;

/**
 * One ZSTD stream per level, kept for every page of every file. zstdCompressSync builds a stream,
 * a ZSTD context and output buffers for each call: ~50 µs before a byte is compressed (~2.5 µs
 * through a kept context; measured, node 24), and node:zlib's output buffers, 60 MB of them for a
 * million-row file, were the external memory that made V8 run a full collection during each such
 * encode (each walking every row object the caller holds). A frame compressed in one call of a kept
 * context is the same bytes as zstdCompressSync's (the context adapts to the pledged input size the
 * same way; tested). `null`: this runtime's stream has no usable handle.
 */
const encoders = new Map<number, ReusedEncoder | null>();
/** Streams dropped after a failure, per level; past MAX_DROPS the level keeps to the one-off path. */
const drops = new Map<number, number>();
const MAX_DROPS = 3;

function reusedEncoder(level: number | undefined): ReusedEncoder | null {
  const key = level ?? 0;
  let encoder = encoders.get(key);
  if (encoder !== undefined) return encoder;
  encoder = null;
  try {
    const param: unknown = constants.ZSTD_c_compressionLevel;
    const stream = new ZstdCompress(
      level !== undefined && typeof param === "number" ? { params: { [param]: level } } : {},
    );
    const internals = stream as unknown as { _handle?: Partial<NativeZstdHandle>; _writeState?: unknown };
    if (typeof internals._handle?.writeSync === "function" && internals._writeState instanceof Uint32Array) {
      // A failed write destroys the stream, which emits "error": seen below through `destroyed`.
      stream.on("error", () => {});
      encoder = { stream, handle: internals._handle as NativeZstdHandle, state: internals._writeState };
    } else {
      stream.destroy();
    }
  } catch {
    encoder = null;
  }
  encoders.set(key, encoder);
  return encoder;
}

/** Whether compression at `level` goes through a kept stream in this runtime (tests, diagnostics). */
export function zstdKeepsStream(level?: number): boolean {
  return reusedEncoder(level) !== null;
}

/**
 * Forget a stream that failed or was left mid-frame: the next call starts a fresh one, unless
 * streams at this level keep failing, when the one-off path is cheaper than a stream per page.
 */
function dropEncoder(level: number | undefined, encoder: ReusedEncoder): void {
  const key = level ?? 0;
  const dropped = (drops.get(key) ?? 0) + 1;
  drops.set(key, dropped);
  if (dropped >= MAX_DROPS) encoders.set(key, null);
  else encoders.delete(key);
  try {
    encoder.stream.destroy();
  } catch {
    // already destroyed
  }
}

/** Frames are written here, and only inputs whose bound fits are compressed through the kept stream. */
const SCRATCH_MAX = 1 << 20;
let scratch = new Uint8Array(0);

/**
 * `input` compressed through the kept stream into the scratch buffer: a view of it, valid until the
 * next call, or undefined when that path is unavailable or failed (the caller then takes the
 * one-off path). The output room is the whole frame bound, so one call finishes the frame: this
 * also keeps clear of workerd's bug, which cuts frames whose output needs several calls.
 */
function compressReused(input: Uint8Array, level: number | undefined): Uint8Array | undefined {
  const bound = frameBound(input.length);
  if (bound > SCRATCH_MAX) return undefined;
  const encoder = reusedEncoder(level);
  if (!encoder) return undefined;
  if (scratch.length < bound) scratch = new Uint8Array(Math.min(SCRATCH_MAX, Math.max(bound, scratch.length * 2)));
  try {
    encoder.handle.writeSync(END_FRAME, input, 0, input.length, scratch, 0, bound);
  } catch {
    dropEncoder(level, encoder);
    return undefined;
  }
  const [outLeft, inLeft] = encoder.state;
  if (encoder.stream.destroyed || inLeft !== 0 || outLeft === 0) {
    dropEncoder(level, encoder);
    return undefined;
  }
  const frame = scratch.subarray(0, bound - (outLeft as number));
  if (isWholeZstdFrame(frame, input.length)) return frame;
  dropEncoder(level, encoder);
  return undefined;
}

/** The one-off path: a zstdCompressSync call, its output sized from `expectedSize`. */
function compressOnce(input: Uint8Array, level: number | undefined, expectedSize: number | undefined): Uint8Array {
  try {
    const param: unknown = constants.ZSTD_c_compressionLevel;
    const chunkSize = Math.max(MIN_CHUNK, Math.ceil(Math.min(frameBound(input.length), expectedSize ?? DEFAULT_CHUNK)));
    const options = {
      chunkSize,
      ...(level !== undefined && typeof param === "number" ? { params: { [param]: level } } : {}),
    };
    const out = zstdCompressSync(input, options);
    const frame = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    return isWholeZstdFrame(frame, input.length) ? frame : zstdStoredFrame(input);
  } catch {
    return zstdStoredFrame(input);
  }
}

/**
 * Compresses with ZSTD at `level` (the library default when undefined) into a view of a buffer
 * that the next call of this module reuses; stores the bytes raw when they are very few
 * (STORE_BELOW), when the runtime's encoder fails, or returns anything but one whole frame of the
 * input. For a page writer that appends the frame at once; zstdCompress returns an owned copy.
 */
export function zstdCompressView(input: Uint8Array, level?: number, expectedSize?: number): Uint8Array {
  if (input.length < STORE_BELOW) return zstdStoredFrame(input);
  return compressReused(input, level) ?? compressOnce(input, level, expectedSize);
}

/**
 * Compresses with ZSTD at `level`; stores the bytes raw when they are very few (STORE_BELOW), when
 * the runtime's encoder fails, or returns anything but one whole frame of the input.
 *
 * `expectedSize` sizes node:zlib's output chunk when the kept stream cannot be used (inputs of
 * more than a megabyte, or a runtime without it). Its default of 16 KiB costs a 16 KiB buffer for
 * a 2 KiB frame, and two chunks plus a joined copy for a 20 KiB one; those are external memory,
 * which V8 answers with full collections once 64 MB of it has been allocated since the last one
 * (each such collection walks every object the caller holds: ~0.5 s beside a million rows). A
 * chunk a little larger than the expected frame, and never larger than any frame of a small input
 * can be, makes the frame one slice of one buffer.
 */
export function zstdCompress(input: Uint8Array, level?: number, expectedSize?: number): Uint8Array {
  if (input.length < STORE_BELOW) return zstdStoredFrame(input);
  return compressReused(input, level)?.slice() ?? compressOnce(input, level, expectedSize);
}

/**
 * The lake's page compressor: ZSTD level 1, not the library default 3: on lake pages (dictionary
 * indexes, hex ids, short JSON) it measured both faster and slightly smaller. Pages are kept small
 * enough for workerd's encoder not to fail (see columns.ts), and stored raw if it does. Returns an
 * owned frame (for hyparquet-writer, which is given it as its ZSTD codec).
 */
export const lakeCompress: Compress = (bytes, expectedSize) => zstdCompress(bytes, 1, expectedSize);

/** lakeCompress for Tarn's own page writer, which appends each frame at once: a view, no copy. */
export const lakePageCompress: Compress = (bytes, expectedSize) => zstdCompressView(bytes, 1, expectedSize);

// Reading

/**
 * Decompresses one page. workerd's decoder has refused a few pages with "unexpected end of file"
 * (seen reading compaction inputs under load; the pages' frames were checked whole when written), so
 * a page it refuses is decoded again by fzstd, a decoder in plain JavaScript, before the read fails:
 * one page must not make a file unreadable, and with it a day's compaction impossible.
 */
export function zstdDecompress(
  input: Uint8Array,
  native: (bytes: Uint8Array) => Uint8Array = zstdDecompressSync,
): Uint8Array {
  try {
    return new Uint8Array(native(input));
  } catch (nativeError) {
    try {
      return decompressInJs(input);
    } catch {
      throw nativeError;
    }
  }
}

/** Pass as `compressors` to every hyparquet read of a lake file. */
export const lakeCompressors = {
  ZSTD: (input: Uint8Array, _outputLength: number): Uint8Array => zstdDecompress(input),
};
