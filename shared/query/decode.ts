// One column chunk, decoded page by page into vectors: dictionary codes stay codes, INT64 becomes doubles.
import type { CompressionCodec, Compressors, SchemaElement } from "hyparquet";
import { parquetHeader } from "hyparquet/src/column.js";
import { decompressPage } from "hyparquet/src/datapage.js";
import { deltaByteArray, deltaLengthByteArray } from "hyparquet/src/delta.js";
import { byteStreamSplit, readRleBitPackedHybrid } from "hyparquet/src/encoding.js";
import { decodeDelta } from "./delta";
import { decodeHybrid } from "./rle";
import { decodeStrings } from "./strings";
import type { Vec } from "./vector";

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
type Piece =
  | { kind: "codes"; n: number; codes: Int32Array }
  | { kind: "num"; n: number; values: Float64Array; valid: Uint8Array | null }
  | { kind: "str"; n: number; values: (string | null)[] };

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

/** Reads a column chunk's pages lazily; `take(n)` returns the next n rows as one vector. */
export class ColumnCursor {
  private pos = 0;
  private dict: Vec | null = null;
  private piece: Piece | null = null;
  private used = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly spec: ColumnSpec,
    private readonly compressors: Compressors,
  ) {}

  private decompress(data: Uint8Array, size: number): Uint8Array {
    return decompressPage(data, size, this.spec.codec, this.compressors);
  }

  /** Decode the next data page (reading a dictionary page first if one comes). */
  private nextPiece(): Piece {
    const bytes = this.bytes;
    for (;;) {
      const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: this.pos };
      const header = parquetHeader(reader);
      const start = reader.offset;
      const size = header.compressed_page_size;
      this.pos = start + size;
      const raw = bytes.subarray(start, start + size);
      if (header.type === "DICTIONARY_PAGE") {
        const page = this.decompress(raw, header.uncompressed_page_size);
        const n = header.dictionary_page_header?.num_values ?? 0;
        const values =
          this.spec.element.type === "BYTE_ARRAY" ? decodeStrings(page, 0, n) : plainNumbers(page, 0, n, this.spec);
        this.dict =
          values instanceof Float64Array ? { kind: "num", n, values, valid: null } : { kind: "str", n, values };
        continue;
      }
      if (header.type === "DATA_PAGE") {
        const h = header.data_page_header;
        if (!h) throw new Error("parquet data page without header");
        const page = this.decompress(raw, header.uncompressed_page_size);
        const n = h.num_values;
        let offset = 0;
        let defs: Uint8Array | null = null;
        if (this.spec.maxDef > 0) {
          const len = new DataView(page.buffer, page.byteOffset, 4).getInt32(0, true);
          defs = new Uint8Array(n);
          decodeHybrid(page, 4, 1, n, defs);
          offset = 4 + len;
        }
        const present = defs ? countOnes(defs, n) : n;
        return spread(
          decodeValues(page, offset, page.length, present, h.encoding, this.spec),
          present === n ? null : defs,
          n,
        );
      }
      if (header.type === "DATA_PAGE_V2") {
        const h = header.data_page_header_v2;
        if (!h) throw new Error("parquet data page v2 without header");
        const n = h.num_rows;
        const levels = h.repetition_levels_byte_length + h.definition_levels_byte_length;
        let defs: Uint8Array | null = null;
        if (this.spec.maxDef > 0 && h.num_nulls > 0) {
          defs = new Uint8Array(n);
          decodeHybrid(raw, h.repetition_levels_byte_length, 1, n, defs);
        }
        const body = raw.subarray(levels);
        const values = h.is_compressed === false ? body : this.decompress(body, header.uncompressed_page_size - levels);
        return spread(decodeValues(values, 0, values.length, n - h.num_nulls, h.encoding, this.spec), defs, n);
      }
      // index pages and others carry no rows
    }
  }

  /** The next `n` rows. */
  take(n: number): Vec {
    const parts: Piece[] = [];
    let need = n;
    while (need > 0) {
      if (!this.piece || this.used >= this.piece.n) {
        this.piece = this.nextPiece();
        this.used = 0;
      }
      const p = this.piece;
      const k = Math.min(need, p.n - this.used);
      parts.push(this.used === 0 && k === p.n ? p : slicePiece(p, this.used, this.used + k));
      this.used += k;
      need -= k;
    }
    return assemble(parts, n, this.dict);
  }
}

function slicePiece(p: Piece, from: number, to: number): Piece {
  const n = to - from;
  if (p.kind === "codes") return { kind: "codes", n, codes: p.codes.subarray(from, to) };
  if (p.kind === "num")
    return { kind: "num", n, values: p.values.subarray(from, to), valid: p.valid ? p.valid.subarray(from, to) : null };
  return { kind: "str", n, values: p.values.slice(from, to) };
}

function pieceToVec(p: Piece, dict: Vec | null): Vec {
  if (p.kind === "codes") return { kind: "dict", n: p.n, dict: dict as Vec, codes: p.codes };
  return p.kind === "num"
    ? { kind: "num", n: p.n, values: p.values, valid: p.valid }
    : { kind: "str", n: p.n, values: p.values };
}

/** Join pieces into one vector: codes stay codes when every piece is dictionary-coded. */
function assemble(parts: Piece[], n: number, dict: Vec | null): Vec {
  if (parts.length === 1) return pieceToVec(parts[0] as Piece, dict);
  if (parts.every((p) => p.kind === "codes")) {
    const codes = new Int32Array(n);
    let o = 0;
    for (const p of parts) {
      codes.set((p as { codes: Int32Array }).codes, o);
      o += p.n;
    }
    return { kind: "dict", n, dict: dict as Vec, codes };
  }
  const numeric = parts.some((p) => p.kind === "num") || (dict?.kind === "num" && parts.every((p) => p.kind !== "str"));
  if (numeric) {
    const values = new Float64Array(n);
    let valid: Uint8Array | null = null;
    let o = 0;
    for (const p of parts) {
      const v = pieceToVec(p, dict);
      for (let i = 0; i < p.n; i++, o++) {
        const x = v.kind === "num" ? (v.valid && v.valid[i] === 0 ? null : v.values[i]) : dictValue(v, i);
        if (x === null || x === undefined) {
          valid ??= new Uint8Array(n).fill(1);
          valid[o] = 0;
        } else values[o] = x as number;
      }
    }
    return { kind: "num", n, values, valid };
  }
  const values: (string | null)[] = new Array(n);
  let o = 0;
  for (const p of parts) {
    const v = pieceToVec(p, dict);
    for (let i = 0; i < p.n; i++, o++)
      values[o] = v.kind === "str" ? (v.values[i] ?? null) : (dictValue(v, i) as string | null);
  }
  return { kind: "str", n, values };
}

function dictValue(v: Vec, i: number): unknown {
  if (v.kind !== "dict") return null;
  const c = v.codes[i] as number;
  if (c < 0) return null;
  const d = v.dict;
  return d.kind === "num" ? d.values[c] : d.kind === "str" ? d.values[c] : null;
}
