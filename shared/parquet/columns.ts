// Encoders for the lake's three kinds of column chunk: delta timestamps, dictionary strings, PLAIN strings.
import type { ColumnChunk, SchemaElement } from "hyparquet";
import { ByteSink } from "./byte-sink";
import { ChunkWriter } from "./chunk";
import type { Compress } from "./codecs";
import { DELTA_SAFE_LIMIT, writeDeltaInt64 } from "./delta";
import type { ByteWriter, PageIndexes } from "./hyparquet-internals";
import { bitWidthOf, writeHybrid } from "./rle";
import { BytesRange, writePlainStrings } from "./strings";

/**
 * What every column encoder of one file shares: the output, the codec, and scratch buffers reused
 * from row group to row group, so that encoding allocates little beyond the compressed pages (large
 * short-lived allocations would trigger full collections over the caller's row objects).
 */
export interface ColumnContext {
  file: ByteWriter;
  compress: Compress;
  values: ByteSink;
  levels: ByteSink;
  /** Definition levels (1 = present) of the current chunk. */
  defs: Uint8Array;
  /** Dictionary indexes of the current chunk's non-null values. */
  indices: Uint32Array;
  /** Per dictionary column, by name: its values across the whole file. */
  dictionaries: Map<string, FileDictionary>;
  /** Row group ordinal, so that FileDictionary can tell which ids the current chunk has used. */
  group: number;
  /** Per column, by name: compressed over raw size of its last data page (sizes zstd's output buffers). */
  ratios: Map<string, number>;
}

/**
 * A column's distinct values across the file, each with a file-wide id. Each row group's dictionary
 * is the subset it uses, in order of first use; `stamp`/`local` map a file id to its index in the
 * current group's dictionary without a second Map, and the big Map is built once per file rather
 * than once per row group.
 */
interface FileDictionary {
  ids: Map<string, number>;
  values: string[];
  stamp: Int32Array;
  local: Uint32Array;
}

export interface EncodedChunk {
  chunk: ColumnChunk;
  indexes: PageIndexes;
}

const NO_LEVELS = new Uint8Array(0);

/**
 * Most bytes of encoded values in one data page, before compression. workerd's zstd fails to
 * compress to, and to decompress into, more than about 40–64 KB (see codecs.ts), and lake files are
 * read inside workerd too, so every page stays below that whatever the runtime; hyparquet-writer's
 * `pageSize` of 48 KiB, which the lake used before, estimated the same budget from raw value sizes.
 * Counting encoded bytes lets bit-packed index pages hold 2–4 times more rows than that estimate.
 */
const MAX_PAGE_BYTES = 48 * 1024;

/** Scratch buffers one file's encoders share, kept for the next file when small (see columnContext). */
interface Scratch {
  values: ByteSink;
  levels: ByteSink;
  defs: Uint8Array;
  indices: Uint32Array;
}

/**
 * The scratch of the last file encoded, when it was small enough to keep. Landing encodes many small
 * files one after another (a file per dataset per consumer batch, 50 to 12,000 rows); without this,
 * each of them allocated ~300 KB of buffers, several times its own size. Encoding is synchronous, so
 * no two encoders of one isolate ever share it; one taken by an encode that throws is simply lost.
 */
let pooled: Scratch | undefined;
/**
 * Larger scratch (a million-row file's dictionary pages and indexes) is not kept alive between
 * files, only kept within the collector's reach: reused if no full collection came in between
 * (fresh buffers are external memory, which brings those collections on; see scratch.ts).
 */
let pooledLarge: WeakRef<Scratch> | undefined;
const POOLED_MAX_BYTES = 1 << 20;

function takeScratch(groupRows: number): Scratch {
  const scratch = pooled ?? pooledLarge?.deref();
  pooled = undefined;
  pooledLarge = undefined;
  if (scratch && scratch.defs.length >= groupRows) return scratch;
  return {
    values: scratch?.values ?? new ByteSink(Math.min(1 << 17, 1024 + groupRows * 64)),
    levels: scratch?.levels ?? new ByteSink(Math.min(1 << 16, 256 + groupRows)),
    defs: new Uint8Array(groupRows),
    indices: new Uint32Array(groupRows),
  };
}

export function columnContext(file: ByteWriter, compress: Compress, groupRows: number): ColumnContext {
  const { values, levels, defs, indices } = takeScratch(groupRows);
  return { file, compress, values, levels, defs, indices, dictionaries: new Map(), group: 0, ratios: new Map() };
}

/** Hand a finished file's scratch to the next file, unless it has grown large. */
export function releaseContext(ctx: ColumnContext): void {
  const bytes = ctx.values.bytes.length + ctx.levels.bytes.length + ctx.defs.length + ctx.indices.byteLength;
  const scratch = { values: ctx.values, levels: ctx.levels, defs: ctx.defs, indices: ctx.indices };
  if (bytes <= POOLED_MAX_BYTES) pooled = scratch;
  else if (typeof WeakRef === "function") pooledLarge = new WeakRef(scratch);
}

function fileDictionary(ctx: ColumnContext, name: string): FileDictionary {
  let dictionary = ctx.dictionaries.get(name);
  if (!dictionary) {
    // Ids never outnumber the file's rows: small files start small, and the arrays double as needed.
    const capacity = Math.min(1024, Math.max(16, ctx.defs.length));
    dictionary = {
      ids: new Map(),
      values: [],
      stamp: new Int32Array(capacity).fill(-1),
      local: new Uint32Array(capacity),
    };
    ctx.dictionaries.set(name, dictionary);
  }
  return dictionary;
}

/** The distinct non-null values a dictionary column has had across the file so far, if it is one. */
export function distinctValues(ctx: ColumnContext, name: string): readonly string[] | undefined {
  return ctx.dictionaries.get(name)?.values;
}

/** Add a value to the file dictionary, growing the id-indexed arrays by doubling. */
function addValue(dictionary: FileDictionary, value: string): number {
  const id = dictionary.values.length;
  dictionary.values.push(value);
  dictionary.ids.set(value, id);
  if (id >= dictionary.stamp.length) {
    const stamp = new Int32Array(dictionary.stamp.length * 2).fill(-1);
    stamp.set(dictionary.stamp);
    const local = new Uint32Array(stamp.length);
    local.set(dictionary.local);
    dictionary.stamp = stamp;
    dictionary.local = local;
  }
  return id;
}

function requiredNull(element: SchemaElement): never {
  throw new TypeError(`lake column ${element.name} is REQUIRED but a row has null`);
}

/**
 * A REQUIRED INT64 timestamp column (epoch ms as numbers), DELTA_BINARY_PACKED: sorted times differ
 * by a few ms from row to row, which packs to a few bits before ZSTD. Throws a RangeError for a value that is not an integer.
 */
export function writeTimestampColumn(
  ctx: ColumnContext,
  element: SchemaElement,
  values: Float64Array,
  n: number,
): EncodedChunk {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    if (!Number.isInteger(v)) throw new RangeError(`lake column ${element.name} needs integer milliseconds, got ${v}`);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const safe = min > -DELTA_SAFE_LIMIT && max < DELTA_SAFE_LIMIT;
  const writer = new ChunkWriter(ctx.file, element, ctx.compress, ctx.ratios);
  const sink = ctx.values;
  for (let from = 0, to = 0; from < n; from = to) {
    to = Math.min(n, from + MAX_PAGE_BYTES / 8); // delta-packing never needs more than 8 bytes a value
    sink.reset();
    writeDeltaInt64(sink, values, from, to, safe);
    writer.dataPage(to - from, 0, NO_LEVELS, sink.view(), "DELTA_BINARY_PACKED");
  }
  return writer.finish("DELTA_BINARY_PACKED", 0, n ? BigInt(min) : undefined, n ? BigInt(max) : undefined);
}

/**
 * A string column as a dictionary page (the distinct values of the row group, PLAIN, in order of
 * first use) and RLE_DICTIONARY data pages of bit-packed indexes. One Map lookup per value, skipped
 * when a value repeats the previous one (request ids, environments). Min and max come from the
 * dictionary page's bytes.
 */
export function writeDictionaryColumn(
  ctx: ColumnContext,
  element: SchemaElement,
  values: readonly (string | null)[],
  n: number,
): EncodedChunk {
  const optional = element.repetition_type !== "REQUIRED";
  const defs = optional ? ctx.defs : undefined;
  const indices = ctx.indices;
  const file = fileDictionary(ctx, element.name);
  const { ids } = file;
  const group = ctx.group;
  const used: string[] = []; // this row group's dictionary
  let previous: string | null = null;
  let previousIndex = 0;
  let present = 0;
  for (let i = 0; i < n; i++) {
    const value = values[i] as string | null;
    if (value === null) {
      if (!defs) requiredNull(element);
      defs[i] = 0;
      continue;
    }
    if (defs) defs[i] = 1;
    if (value !== previous) {
      let id = ids.get(value);
      if (id === undefined) id = addValue(file, value);
      if (file.stamp[id] !== group) {
        file.stamp[id] = group;
        file.local[id] = used.length;
        used.push(value);
      }
      previous = value;
      previousIndex = file.local[id] as number;
    }
    indices[present++] = previousIndex;
  }
  const writer = new ChunkWriter(ctx.file, element, ctx.compress, ctx.ratios);
  const sink = ctx.values;
  sink.reset();
  writePlainStrings(sink, used, 0, used.length);
  const range = new BytesRange();
  range.addPlain(sink.bytes, 0, sink.pos);
  writer.dictionaryPage(sink.view(), used.length);
  const width = bitWidthOf(Math.max(0, used.length - 1));
  // Bit-packing bounds the page: width bits a value, plus a few bytes of run headers.
  const perPage = Math.max(8, Math.floor(((MAX_PAGE_BYTES - 64) * 8) / Math.max(1, width)) & ~7);
  let dense = 0;
  for (let from = 0, to = 0; from < n; from = to) {
    to = Math.min(n, from + perPage);
    const rows = to - from;
    const levels = definitionLevels(ctx.levels, defs, from, to);
    const count = defs ? countPresent(defs, from, to) : rows;
    sink.reset();
    sink.byte(width);
    writeHybrid(sink, indices, dense, dense + count, width);
    writer.dataPage(rows, rows - count, levels, sink.view(), "RLE_DICTIONARY");
    dense += count;
  }
  return writer.finish("RLE_DICTIONARY", n - present, range.min, range.max);
}

/**
 * A mostly-unique string column (ids, JSON text) as PLAIN pages of at most MAX_PAGE_BYTES of values,
 * encoded in batches by writePlainStrings; min and max are taken from each page's bytes.
 */
export function writePlainColumn(
  ctx: ColumnContext,
  element: SchemaElement,
  values: readonly (string | null)[],
  n: number,
): EncodedChunk {
  const defs = element.repetition_type !== "REQUIRED" ? ctx.defs : undefined;
  const writer = new ChunkWriter(ctx.file, element, ctx.compress, ctx.ratios);
  const sink = ctx.values;
  const range = new BytesRange();
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const value = values[i] as string | null;
    if (defs) defs[i] = value === null ? 0 : 1;
    else if (value === null) requiredNull(element);
  }
  let from = 0;
  while (from < n) {
    // Take rows while their values fit (4 + length bytes each, exact for ASCII)...
    let to = from;
    let bytes = 0;
    while (to < n) {
      const value = values[to] as string | null;
      const size = value === null ? 0 : value.length + 4;
      if (bytes + size > MAX_PAGE_BYTES && to > from) break;
      bytes += size;
      to++;
    }
    sink.reset();
    writePlainStrings(sink, values, from, to);
    // ...and halve the page while multi-byte characters make it larger than that.
    while (sink.pos > MAX_PAGE_BYTES && to - from > 1) {
      to = from + ((to - from) >> 1);
      sink.reset();
      writePlainStrings(sink, values, from, to);
    }
    const pageNulls = defs ? to - from - countPresent(defs, from, to) : 0;
    const levels = definitionLevels(ctx.levels, defs, from, to);
    range.addPlain(sink.bytes, 0, sink.pos);
    writer.dataPage(to - from, pageNulls, levels, sink.view(), "PLAIN");
    nulls += pageNulls;
    from = to;
  }
  return writer.finish("PLAIN", nulls, range.min, range.max);
}

/** Definition levels of rows [from, to) as the V2 page wants them: RLE hybrid, width 1, no length prefix. */
function definitionLevels(sink: ByteSink, defs: Uint8Array | undefined, from: number, to: number): Uint8Array {
  if (!defs) return NO_LEVELS;
  sink.reset();
  writeHybrid(sink, defs, from, to, 1);
  return sink.view();
}

function countPresent(defs: Uint8Array, from: number, to: number): number {
  let count = 0;
  for (let i = from; i < to; i++) count += defs[i] as number;
  return count;
}
