// One column chunk, both ways: pages appended to the file with the chunk's metadata (sizes, offsets,
// statistics, page index), and a chunk's bytes read back page by page as the query engine's vectors.
import type { ColumnChunk, Compressors, Encoding, OffsetIndex, RowGroup, SchemaElement } from "hyparquet";
import type { Vec } from "../query/vector";
import type { Compress } from "./codecs";
import type { ByteWriter, MinMaxType, PageIndexes } from "./hyparquet-internals";
import { type ColumnSpec, type Piece, readPage, writeDataPageV2, writeDictionaryPage } from "./page";

type EncodingStats = NonNullable<NonNullable<ColumnChunk["meta_data"]>["encoding_stats"]>;

// Writing

/**
 * Appends the pages of one column chunk to the file writer and describes them the way
 * hyparquet-writer's `writeColumn` does: DATA_PAGE_V2 pages whose definition levels stay
 * uncompressed in front of the ZSTD-compressed values, an optional PLAIN dictionary page first,
 * `encoding_stats`, and an OffsetIndex when the chunk has more than one data page.
 * The footer reuses hyparquet-writer's thrift code; page headers and bodies are Tarn's.
 */
export class ChunkWriter {
  private readonly start: number;
  private uncompressed = 0;
  private dictionaryOffset: bigint | undefined;
  private dataOffset: bigint | undefined;
  private readonly pages: OffsetIndex["page_locations"] = [];
  private firstRow = 0;
  /** Compressed over raw size of the chunk's last data page's values, to size the next one's output. */
  private ratio: number | undefined;

  /** `ratios`, by column name, carries each column's last compression ratio to its next chunk. */
  constructor(
    private readonly file: ByteWriter,
    private readonly element: SchemaElement,
    private readonly compress: Compress,
    private readonly ratios?: Map<string, number>,
  ) {
    this.start = file.offset;
    this.ratio = ratios?.get(element.name);
  }

  /** PLAIN dictionary page of `count` values; must come before any data page. */
  dictionaryPage(values: Uint8Array, count: number): void {
    this.dictionaryOffset = BigInt(this.file.offset);
    this.uncompressed += writeDictionaryPage(this.file, values, count, this.compress);
  }

  /**
   * One DATA_PAGE_V2 of `rows` rows (`nulls` of them null): `levels` are the RLE-encoded definition
   * levels (empty for a REQUIRED column), `values` the encoded non-null values, compressed here.
   */
  dataPage(rows: number, nulls: number, levels: Uint8Array, values: Uint8Array, encoding: Encoding): void {
    const pageStart = this.file.offset;
    this.dataOffset ??= BigInt(pageStart);
    // Pages of one chunk compress alike: expect the last ratio, with an eighth to spare.
    const expected = this.ratio === undefined ? undefined : values.length * this.ratio * 1.125 + 64;
    this.uncompressed += writeDataPageV2(this.file, { rows, nulls, levels, values, encoding }, this.compress, expected);
    if (values.length > 0) this.ratio = (this.file.offset - pageStart - levels.length) / values.length;
    this.pages.push({
      offset: BigInt(pageStart),
      compressed_page_size: this.file.offset - pageStart,
      first_row_index: BigInt(this.firstRow),
    });
    this.firstRow += rows;
  }

  /** The chunk's metadata and page index, once every page is written. */
  finish(
    encoding: Encoding,
    nullCount: number,
    min: MinMaxType | undefined,
    max: MinMaxType | undefined,
  ): { chunk: ColumnChunk; indexes: PageIndexes } {
    if (this.ratio !== undefined) this.ratios?.set(this.element.name, this.ratio);
    const dictionary = this.dictionaryOffset !== undefined;
    const encodings: Encoding[] = dictionary ? ["PLAIN", encoding] : [encoding];
    const encodingStats: EncodingStats = [];
    if (dictionary) encodingStats.push({ page_type: "DICTIONARY_PAGE", encoding: "PLAIN", count: 1 });
    encodingStats.push({ page_type: "DATA_PAGE_V2", encoding, count: this.pages.length });
    const chunk: ColumnChunk = {
      file_offset: BigInt(this.start),
      meta_data: {
        type: this.element.type ?? "BYTE_ARRAY",
        encodings,
        path_in_schema: [this.element.name],
        codec: "ZSTD",
        num_values: BigInt(this.firstRow),
        total_compressed_size: BigInt(this.file.offset - this.start),
        total_uncompressed_size: BigInt(this.uncompressed),
        data_page_offset: this.dataOffset ?? BigInt(this.file.offset),
        dictionary_page_offset: this.dictionaryOffset,
        statistics: { min_value: min, max_value: max, null_count: BigInt(nullCount) },
        encoding_stats: encodingStats,
      },
    };
    const offsetIndex = this.pages.length > 1 ? { page_locations: this.pages } : undefined;
    return { chunk, indexes: { chunk, offsetIndex } };
  }
}

// Reading

/** Where a row group's column chunk `index` lies in the file: [start, end), dictionary page included. */
export function chunkRange(group: RowGroup, index: number): [number, number] {
  const meta = group.columns[index]?.meta_data;
  if (!meta) throw new Error("parquet column chunk without metadata");
  const data = Number(meta.data_page_offset);
  const dict = meta.dictionary_page_offset === undefined ? 0 : Number(meta.dictionary_page_offset);
  const start = dict > 0 && dict < data ? dict : data;
  return [start, start + Number(meta.total_compressed_size)];
}

/**
 * Reads a column chunk's pages lazily; `take(n)` returns the next n rows as one vector. Dictionary
 * codes stay codes, INT64 becomes doubles.
 */
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

  /** Decode the next data page (reading a dictionary page first if one comes). */
  private nextPiece(): Piece {
    for (;;) {
      const page = readPage(this.bytes, this.pos, this.spec, this.compressors);
      this.pos = page.next;
      if (page.dictionary) this.dict = page.dictionary;
      else if (page.rows) return page.rows;
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
