// Buffers an encode needs in proportion to its rows (the file being written, the row order and the
// sort's keys), handed from one encode to the next instead of allocated afresh.
//
// Every fresh ArrayBuffer is external memory to V8, which starts a full collection once about 64 MB
// of it has been allocated since the last one; a full collection walks every object the caller
// holds (~0.5 s beside the million row objects of a large file). A million-row encode used to
// allocate its 56 MB file buffer and 12 MB of sort arrays afresh, plus the 48 MB file it returns:
// one full collection per encode whatever else it did. Kept here through WeakRefs, the buffers
// cost nothing to the collector: it frees them at its next full collection if it wants the memory,
// and until then the next encode reuses them, so that only the returned file is new memory.
//
// Encoding is synchronous, and a borrowed buffer is given back only once its last use is over, so
// no two users ever hold one buffer; a buffer borrowed by an encode that throws is simply dropped.

import { ByteWriter } from "./hyparquet-internals";

const kept: WeakRef<ArrayBuffer>[] = [];
/** A few are enough: an encode borrows four at most (file, order, two for the sort). */
const MAX_KEPT = 8;

/** A buffer of at least `bytes` bytes, with whatever it held before: the smallest kept one that fits, or a new one. */
export function borrowBuffer(bytes: number): ArrayBuffer {
  let best: ArrayBuffer | undefined;
  let bestRef: WeakRef<ArrayBuffer> | undefined;
  for (const ref of [...kept]) {
    const buffer = ref.deref();
    if (!buffer) kept.splice(kept.indexOf(ref), 1);
    else if (buffer.byteLength >= bytes && (!best || buffer.byteLength < best.byteLength)) {
      best = buffer;
      bestRef = ref;
    }
  }
  if (!best || !bestRef) return new ArrayBuffer(bytes);
  kept.splice(kept.indexOf(bestRef), 1);
  return best;
}

/** Give back a borrowed buffer, whose contents nobody reads any more. */
export function returnBuffer(buffer: ArrayBufferLike): void {
  if (typeof WeakRef !== "function" || !(buffer instanceof ArrayBuffer) || buffer.byteLength === 0) return;
  kept.push(new WeakRef(buffer));
  if (kept.length > MAX_KEPT) kept.shift();
}

/** `n` unsigned 32-bit integers in a borrowed buffer (give back `.buffer` when done). */
export function borrowUint32(n: number): Uint32Array<ArrayBuffer> {
  return new Uint32Array(borrowBuffer(n * 4), 0, n);
}

/** `n` doubles in a borrowed buffer (give back `.buffer` when done). */
export function borrowFloat64(n: number): Float64Array<ArrayBuffer> {
  return new Float64Array(borrowBuffer(n * 8), 0, n);
}

/** A file writer over a borrowed buffer of at least `bytes` bytes; end it with `takeFileBytes`. */
export function borrowFileWriter(bytes: number): ByteWriter {
  const file = new ByteWriter(0);
  file.buffer = borrowBuffer(bytes);
  file.view = new DataView(file.buffer);
  return file;
}

/**
 * The file's bytes, copied into a buffer of their exact size, and the writer's buffer given back.
 * The copy (a few ms for 50 MB) is what lets the next file reuse the buffer; the caller also gets
 * no more memory than its file holds.
 */
export function takeFileBytes(file: ByteWriter): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(file.buffer.slice(0, file.index));
  returnBuffer(file.buffer);
  return bytes;
}
