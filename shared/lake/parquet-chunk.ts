// One column chunk on its way into the file: page headers, ZSTD per page, sizes, offsets and the chunk's metadata.
import type { ColumnChunk, Encoding, OffsetIndex, SchemaElement } from "hyparquet";
import type { MinMaxType } from "hyparquet/src/types.js";
import type { ByteWriter } from "hyparquet-writer";
import { writePageHeader } from "hyparquet-writer/src/datapage.js";
import type { PageIndexes } from "hyparquet-writer/src/types.js";

type EncodingStats = NonNullable<NonNullable<ColumnChunk["meta_data"]>["encoding_stats"]>;

export type Compress = (bytes: Uint8Array) => Uint8Array;

/**
 * Appends the pages of one column chunk to the file writer and describes them the way
 * hyparquet-writer's `writeColumn` does: DATA_PAGE_V2 pages whose definition levels stay
 * uncompressed in front of the ZSTD-compressed values, an optional PLAIN dictionary page first,
 * `encoding_stats`, and an OffsetIndex when the chunk has more than one data page.
 * Page headers and the footer reuse hyparquet-writer's thrift code; the page bodies are Tarn's.
 */
export class ChunkWriter {
  private readonly start: number;
  private uncompressed = 0;
  private dictionaryOffset: bigint | undefined;
  private dataOffset: bigint | undefined;
  private readonly pages: OffsetIndex["page_locations"] = [];
  private firstRow = 0;

  constructor(
    private readonly file: ByteWriter,
    private readonly element: SchemaElement,
    private readonly compress: Compress,
  ) {
    this.start = file.offset;
  }

  /** PLAIN dictionary page of `count` values; must come before any data page. */
  dictionaryPage(values: Uint8Array, count: number): void {
    const compressed = this.compress(values);
    this.dictionaryOffset = BigInt(this.file.offset);
    const headerStart = this.file.offset;
    writePageHeader(this.file, {
      type: "DICTIONARY_PAGE",
      uncompressed_page_size: values.length,
      compressed_page_size: compressed.length,
      dictionary_page_header: { num_values: count, encoding: "PLAIN" },
    });
    this.uncompressed += this.file.offset - headerStart + values.length;
    this.file.appendBytes(compressed);
  }

  /**
   * One DATA_PAGE_V2 of `rows` rows (`nulls` of them null): `levels` are the RLE-encoded definition
   * levels (empty for a REQUIRED column), `values` the encoded non-null values, compressed here.
   */
  dataPage(rows: number, nulls: number, levels: Uint8Array, values: Uint8Array, encoding: Encoding): void {
    const compressed = this.compress(values);
    const pageStart = this.file.offset;
    this.dataOffset ??= BigInt(pageStart);
    writePageHeader(this.file, {
      type: "DATA_PAGE_V2",
      uncompressed_page_size: levels.length + values.length,
      compressed_page_size: levels.length + compressed.length,
      data_page_header_v2: {
        num_values: rows,
        num_nulls: nulls,
        num_rows: rows,
        encoding,
        definition_levels_byte_length: levels.length,
        repetition_levels_byte_length: 0,
        is_compressed: true,
      },
    });
    this.uncompressed += this.file.offset - pageStart + levels.length + values.length;
    this.file.appendBytes(levels);
    this.file.appendBytes(compressed);
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
