// A lake file, both ways: LakeRows encoded as one ZSTD Parquet file sorted by event time (Tarn's own
// column-chunk encoders), and a file read back row group by row group as LakeRows.

import type { AsyncBuffer, ColumnChunk, RowGroup, SchemaElement } from "hyparquet";
import { parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import type { TypedColumn } from "../contracts/typed-columns";
import { LAKE_COLUMNS, type LakeRow } from "../lake/lake-row";
import { USER_BLOOM_KEY, userBloom } from "../privacy/user-bloom";
import { lakeCompressors, lakePageCompress } from "./codecs";
import {
  type ColumnContext,
  columnContext,
  distinctValues,
  type EncodedChunk,
  releaseContext,
  writeDictionaryColumn,
  writePlainColumn,
  writeTimestampColumn,
} from "./columns";
import { PARQUET_MAGIC, writeFooter } from "./footer";
import type { PageIndexes } from "./hyparquet-internals";
import { gatherColumns, groupColumns, sortOrderByTs, toLakeRow } from "./rows";
import { type LakeColumnKind, lakeSchema } from "./schema";
import { borrowFileWriter, returnBuffer, takeFileBytes } from "./scratch";
import { gatherTyped, parsePayloads, typedElement, writeTypedColumn } from "./typed-columns";

// Writing

export interface EncodeLakeFileOptions {
  /** Rows per row group (default 131,072, near DuckDB's 122,880). */
  rowGroupSize?: number;
  /** Payload properties the event type's contract declares, written as typed columns after LAKE_COLUMNS. */
  typedColumns?: readonly TypedColumn[];
}

const DEFAULT_ROW_GROUP_SIZE = 131_072;

function writeColumn(
  ctx: ColumnContext,
  element: SchemaElement,
  kind: LakeColumnKind,
  values: Float64Array | (string | null)[],
  n: number,
): EncodedChunk {
  if (kind === "timestamp") return writeTimestampColumn(ctx, element, values as Float64Array, n);
  if (kind === "dictionary") return writeDictionaryColumn(ctx, element, values as (string | null)[], n);
  return writePlainColumn(ctx, element, values as (string | null)[], n);
}

/**
 * Encode rows as a Parquet file: columns in LAKE_COLUMNS order, rows sorted by `ts` (stable),
 * DATA_PAGE_V2 pages compressed with ZSTD, statistics (min, max, null count) on every column chunk,
 * an OffsetIndex for chunks of several pages. The caller's array is not modified.
 * Throws a RangeError when a `ts` or `received_at` is not an integer number of milliseconds.
 *
 * @example
 * const bytes = encodeLakeFile(rows);
 * await bucket.put(key, bytes);
 */
export function encodeLakeFile(rows: readonly LakeRow[], options: EncodeLakeFileOptions = {}): Uint8Array {
  const { rowGroupSize = DEFAULT_ROW_GROUP_SIZE, typedColumns = [] } = options;
  if (!Number.isSafeInteger(rowGroupSize) || rowGroupSize < 1) {
    throw new RangeError(`rowGroupSize must be a positive integer, got ${rowGroupSize}`);
  }
  const schema = lakeSchema();
  const typedElements = typedColumns.map(typedElement);
  if (typedElements.length > 0) {
    schema.elements = [
      { ...(schema.elements[0] as SchemaElement), num_children: LAKE_COLUMNS.length + typedElements.length },
      ...schema.elements.slice(1),
      ...typedElements,
    ];
  }
  const leaves = schema.elements.slice(1);
  // About 48 bytes per event land in the file, and a footer of a few KB; start a little above so the
  // writer rarely regrows, without the 64 KB minimum that used to dwarf landing's small files.
  const file = borrowFileWriter(8192 + rows.length * 56);
  file.appendUint32(PARQUET_MAGIC);
  const groupRows = Math.min(rowGroupSize, rows.length);
  const ctx = columnContext(file, lakePageCompress, groupRows);
  const columns = groupColumns(groupRows);
  const rowGroups: RowGroup[] = [];
  const indexes: PageIndexes[] = [];
  const order = sortOrderByTs(rows);
  for (let from = 0; from < rows.length; from += rowGroupSize) {
    const to = Math.min(rows.length, from + rowGroupSize);
    const groupStart = file.offset;
    gatherColumns(rows, order, from, to, columns);
    ctx.group = rowGroups.length;
    const chunks: ColumnChunk[] = [];
    let uncompressed = 0n;
    LAKE_COLUMNS.forEach(({ name }, i) => {
      const encoded = writeColumn(
        ctx,
        leaves[i] as SchemaElement,
        schema.kinds[i] as LakeColumnKind,
        columns[name],
        to - from,
      );
      chunks.push(encoded.chunk);
      indexes.push(encoded.indexes);
      uncompressed += encoded.chunk.meta_data?.total_uncompressed_size ?? 0n;
    });
    if (typedColumns.length > 0) {
      const payloads = parsePayloads(rows, order, from, to);
      typedColumns.forEach((column, k) => {
        const encoded = writeTypedColumn(
          ctx,
          typedElements[k] as SchemaElement,
          gatherTyped(payloads, column),
          to - from,
        );
        chunks.push(encoded.chunk);
        indexes.push(encoded.indexes);
        uncompressed += encoded.chunk.meta_data?.total_uncompressed_size ?? 0n;
      });
    }
    rowGroups.push({
      columns: chunks,
      total_byte_size: uncompressed,
      num_rows: BigInt(to - from),
      total_compressed_size: BigInt(file.offset - groupStart),
    });
  }
  // Erasure and export find a subject's files by their footers (shared/privacy/user-bloom.ts). The
  // user_id dictionary already holds the file's distinct ids: the filter is built from those rather
  // than from a million-entry copy of the column.
  const bloom = userBloom(distinctValues(ctx, "user_id") ?? rows.map((r) => r.user_id));
  const keyValues = bloom ? [{ key: USER_BLOOM_KEY, value: bloom }] : [];
  releaseContext(ctx);
  writeFooter(file, { schema: schema.elements, numRows: rows.length, rowGroups, keyValues }, indexes);
  returnBuffer(order.buffer);
  return takeFileBytes(file);
}

// Reading

/**
 * Yields a file's rows one row group at a time, so a reader holds one row group in memory.
 * @example for await (const rows of readLakeRowGroups(file)) merge(rows)
 */
export async function* readLakeRowGroups(file: AsyncBuffer): AsyncGenerator<LakeRow[]> {
  const metadata = await parquetMetadataAsync(file);
  let start = 0;
  for (const group of metadata.row_groups) {
    const end = start + Number(group.num_rows);
    const raw = await parquetReadObjects({
      file,
      metadata,
      rowStart: start,
      rowEnd: end,
      compressors: lakeCompressors,
    });
    yield (raw as Record<string, unknown>[]).map(toLakeRow);
    start = end;
  }
}
