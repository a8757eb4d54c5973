// One page of a column chunk, both ways: PLAIN dictionary and DATA_PAGE_V2 pages written behind their
// thrift headers, and any dictionary or data page (V1 or V2) read back into a decoded piece of rows.
import type { CompressionCodec, Compressors, Encoding, SchemaElement } from "hyparquet";
import type { Compress } from "./codecs";
import { decodeDelta } from "./delta";
import {
  type ByteWriter,
  byteStreamSplit,
  decompressPage,
  deltaByteArray,
  deltaLengthByteArray,
  Encodings,
  parquetHeader,
  readRleBitPackedHybrid,
} from "./hyparquet-internals";
import { decodeHybrid } from "./rle";
import { decodeStrings } from "./strings";

// Writing

/** Thrift compact protocol: field types, and Parquet's PageType and Encoding enum values. */
const I32 = 5;
const STRUCT = 12;
const DICTIONARY_PAGE = 2;
const DATA_PAGE_V2 = 3;
const ENCODING_IDS: Readonly<Record<string, number>> = Object.fromEntries(Encodings.map((name, id) => [name, id]));

/** A zigzag varint (thrift i32) appended to the file. */
function appendI32(file: ByteWriter, value: number): void {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  while (v >= 0x80) {
    file.appendUint8((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  file.appendUint8(v);
}

/** Struct fields 1..n, each an i32, then the struct's end. */
function appendI32Fields(file: ByteWriter, values: readonly number[]): void {
  for (const value of values) {
    file.appendUint8((1 << 4) | I32);
    appendI32(file, value);
  }
  file.appendUint8(0);
}

/**
 * A PageHeader for the two kinds of page the lake writes, the same bytes as hyparquet-writer's
 * `writePageHeader` (a test compares them) without its generic path (an object per struct, a
 * regular expression per field), which cost more than small pages' own encoding.
 */
function appendPageHeader(
  file: ByteWriter,
  type: typeof DICTIONARY_PAGE | typeof DATA_PAGE_V2,
  uncompressed: number,
  compressed: number,
  fields: readonly number[],
): void {
  for (const value of [type, uncompressed, compressed]) {
    file.appendUint8((1 << 4) | I32);
    appendI32(file, value);
  }
  // dictionary_page_header is field 7, data_page_header_v2 field 8: a delta of 4 or 5 after field 3
  file.appendUint8(((type === DICTIONARY_PAGE ? 4 : 5) << 4) | STRUCT);
  appendI32Fields(file, fields);
  file.appendUint8(0);
}

/**
 * A PLAIN dictionary page of `count` values, compressed here. Returns the page's uncompressed size
 * (header included), which the chunk's metadata adds up.
 */
export function writeDictionaryPage(file: ByteWriter, values: Uint8Array, count: number, compress: Compress): number {
  const compressed = compress(values);
  const headerStart = file.offset;
  // DictionaryPageHeader: num_values, encoding (PLAIN)
  appendPageHeader(file, DICTIONARY_PAGE, values.length, compressed.length, [count, 0]);
  const header = file.offset - headerStart;
  file.appendBytes(compressed);
  return header + values.length;
}

/** What one DATA_PAGE_V2 holds. */
export interface DataPageV2 {
  rows: number;
  /** Rows among them that are null. */
  nulls: number;
  /** RLE-encoded definition levels (empty for a REQUIRED column), kept uncompressed as V2 wants. */
  levels: Uint8Array;
  /** The encoded non-null values, compressed here. */
  values: Uint8Array;
  encoding: Encoding;
}

/**
 * A DATA_PAGE_V2 (no repetition levels). Returns its uncompressed size, header included.
 * `expectedSize` is passed on to `compress` (a guess of the compressed values' size).
 */
export function writeDataPageV2(file: ByteWriter, page: DataPageV2, compress: Compress, expectedSize?: number): number {
  const { rows, nulls, levels, values, encoding } = page;
  const compressed = compress(values, expectedSize);
  const pageStart = file.offset;
  // DataPageHeaderV2: num_values, num_nulls, num_rows, encoding, definition and repetition levels'
  // byte lengths; is_compressed (field 7) is left out, its default being true.
  appendPageHeader(file, DATA_PAGE_V2, levels.length + values.length, levels.length + compressed.length, [
    rows,
    nulls,
    rows,
    ENCODING_IDS[encoding] as number,
    levels.length,
    0,
  ]);
  const header = file.offset - pageStart;
  file.appendBytes(levels);
  file.appendBytes(compressed);
  return header + levels.length + values.length;
}

// Reading

/** How to read one column of one file. */
export interface ColumnSpec {
  element: SchemaElement;
  /** 1 when the column is OPTIONAL (nulls possible), 0 when REQUIRED. */
  maxDef: number;
  codec: CompressionCodec;
  /** Multiplier to epoch ms for INT64/INT96 timestamps (1 for millis, 0.001 for micros); 1 otherwise. */
  scale: number;
  /** Strings (BYTE_ARRAY as UTF-8) or numbers. */
  strings: boolean;
}

/** A decoded page: per row, a dictionary code (-1 NULL) or a value. */
export type Piece =
  | { kind: "codes"; n: number; codes: Int32Array }
  | { kind: "num"; n: number; values: Float64Array; valid: Uint8Array | null }
  | { kind: "str"; n: number; values: (string | null)[] };

/** A dictionary page's values, PLAIN-decoded. */
export type DictionaryPiece = Exclude<Piece, { kind: "codes" }>;

/** A page read: a dictionary (PLAIN values), rows, or neither (index pages); `next` is where the next page starts. */
export interface ReadPage {
  next: number;
  dictionary: DictionaryPiece | null;
  rows: Piece | null;
}

const DICT_ENCODINGS = new Set(["PLAIN_DICTIONARY", "RLE_DICTIONARY"]);

function int64ToNumbers(bytes: Uint8Array, offset: number, count: number, scale: number): Float64Array {
  const aligned = (bytes.byteOffset + offset) % 4 === 0 ? bytes : bytes.slice(offset, offset + count * 8);
  const base = aligned === bytes ? bytes.byteOffset + offset : aligned.byteOffset;
  const words = new Int32Array(aligned.buffer, base, count * 2);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++)
    out[i] = ((words[2 * i + 1] as number) * 4294967296 + ((words[2 * i] as number) >>> 0)) * scale;
  return out;
}

function plainNumbers(bytes: Uint8Array, offset: number, count: number, spec: ColumnSpec): Float64Array {
  const type = spec.element.type;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(count);
  switch (type) {
    case "INT64":
      return int64ToNumbers(bytes, offset, count, spec.scale);
    case "INT32":
      for (let i = 0; i < count; i++) out[i] = view.getInt32(offset + 4 * i, true) * spec.scale;
      return out;
    case "DOUBLE":
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(offset + 8 * i, true);
      return out;
    case "FLOAT":
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i, true);
      return out;
    case "BOOLEAN":
      for (let i = 0; i < count; i++) out[i] = ((bytes[offset + (i >> 3)] as number) >> (i & 7)) & 1;
      return out;
    case "INT96":
      for (let i = 0; i < count; i++) {
        const nanos = Number(view.getBigInt64(offset + 12 * i, true));
        const day = view.getInt32(offset + 12 * i + 8, true);
        out[i] = (day - 2440588) * 86_400_000 + nanos / 1e6;
      }
      return out;
    default:
      throw new Error(`unsupported parquet type ${type}`);
  }
}

/** Values (non-null ones, in order) of a page's value section. */
function decodeValues(
  bytes: Uint8Array,
  offset: number,
  end: number,
  count: number,
  encoding: string,
  spec: ColumnSpec,
): Float64Array | (string | null)[] | Int32Array {
  if (DICT_ENCODINGS.has(encoding)) {
    const codes = new Int32Array(count);
    if (count > 0) decodeHybrid(bytes, offset + 1, bytes[offset] as number, count, codes);
    return codes;
  }
  const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset };
  const type = spec.element.type;
  if (encoding === "PLAIN") {
    if (type === "BYTE_ARRAY") return decodeStrings(bytes, offset, count);
    return plainNumbers(bytes, offset, count, spec);
  }
  if (encoding === "DELTA_BINARY_PACKED") return decodeDelta(bytes, offset, count, spec.scale, type === "INT32");
  if (encoding === "DELTA_LENGTH_BYTE_ARRAY" || encoding === "DELTA_BYTE_ARRAY") {
    const raw: Uint8Array[] = new Array(count);
    if (encoding === "DELTA_LENGTH_BYTE_ARRAY") deltaLengthByteArray(reader, count, raw);
    else deltaByteArray(reader, count, raw);
    const decoder = new TextDecoder();
    return raw.map((b) => decoder.decode(b));
  }
  if (encoding === "RLE" && type === "BOOLEAN") {
    const out: number[] = new Array(count);
    readRleBitPackedHybrid(reader, 1, out, end - offset - 4);
    return Float64Array.from(out);
  }
  if (encoding === "BYTE_STREAM_SPLIT") {
    const out = byteStreamSplit(reader, count, type as "DOUBLE", spec.element.type_length);
    return Float64Array.from(out as ArrayLike<number>, (x) => Number(x) * spec.scale);
  }
  throw new Error(`unsupported parquet encoding ${encoding}`);
}

/** Spread non-null values over rows using definition levels (1 = present). */
function spread(values: Float64Array | (string | null)[] | Int32Array, defs: Uint8Array | null, n: number): Piece {
  if (values instanceof Int32Array) {
    if (!defs) return { kind: "codes", n, codes: values };
    const codes = new Int32Array(n);
    for (let i = 0, k = 0; i < n; i++) codes[i] = defs[i] ? (values[k++] as number) : -1;
    return { kind: "codes", n, codes };
  }
  if (values instanceof Float64Array) {
    if (!defs) return { kind: "num", n, values, valid: null };
    const out = new Float64Array(n);
    for (let i = 0, k = 0; i < n; i++) if (defs[i]) out[i] = values[k++] as number;
    return { kind: "num", n, values: out, valid: defs };
  }
  if (!defs) return { kind: "str", n, values };
  const out: (string | null)[] = new Array(n);
  for (let i = 0, k = 0; i < n; i++) out[i] = defs[i] ? (values[k++] as string) : null;
  return { kind: "str", n, values: out };
}

function countOnes(defs: Uint8Array, n: number): number {
  let c = 0;
  for (let i = 0; i < n; i++) c += defs[i] as number;
  return c;
}

/** Reads the page that starts at `pos` of a column chunk's bytes. */
export function readPage(bytes: Uint8Array, pos: number, spec: ColumnSpec, compressors: Compressors): ReadPage {
  const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: pos };
  const header = parquetHeader(reader);
  const start = reader.offset;
  const size = header.compressed_page_size;
  const next = start + size;
  const raw = bytes.subarray(start, next);
  const decompress = (data: Uint8Array, length: number) => decompressPage(data, length, spec.codec, compressors);
  if (header.type === "DICTIONARY_PAGE") {
    const page = decompress(raw, header.uncompressed_page_size);
    const n = header.dictionary_page_header?.num_values ?? 0;
    const values = spec.element.type === "BYTE_ARRAY" ? decodeStrings(page, 0, n) : plainNumbers(page, 0, n, spec);
    const dictionary: DictionaryPiece =
      values instanceof Float64Array ? { kind: "num", n, values, valid: null } : { kind: "str", n, values };
    return { next, dictionary, rows: null };
  }
  if (header.type === "DATA_PAGE") {
    const h = header.data_page_header;
    if (!h) throw new Error("parquet data page without header");
    const page = decompress(raw, header.uncompressed_page_size);
    const n = h.num_values;
    let offset = 0;
    let defs: Uint8Array | null = null;
    if (spec.maxDef > 0) {
      const len = new DataView(page.buffer, page.byteOffset, 4).getInt32(0, true);
      defs = new Uint8Array(n);
      decodeHybrid(page, 4, 1, n, defs);
      offset = 4 + len;
    }
    const present = defs ? countOnes(defs, n) : n;
    const rows = spread(
      decodeValues(page, offset, page.length, present, h.encoding, spec),
      present === n ? null : defs,
      n,
    );
    return { next, dictionary: null, rows };
  }
  if (header.type === "DATA_PAGE_V2") {
    const h = header.data_page_header_v2;
    if (!h) throw new Error("parquet data page v2 without header");
    const n = h.num_rows;
    const levels = h.repetition_levels_byte_length + h.definition_levels_byte_length;
    let defs: Uint8Array | null = null;
    if (spec.maxDef > 0 && h.num_nulls > 0) {
      defs = new Uint8Array(n);
      decodeHybrid(raw, h.repetition_levels_byte_length, 1, n, defs);
    }
    const body = raw.subarray(levels);
    const values = h.is_compressed === false ? body : decompress(body, header.uncompressed_page_size - levels);
    const rows = spread(decodeValues(values, 0, values.length, n - h.num_nulls, h.encoding, spec), defs, n);
    return { next, dictionary: null, rows };
  }
  // index pages and others carry no rows
  return { next, dictionary: null, rows: null };
}
