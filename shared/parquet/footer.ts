// A file's footer, both ways: page indexes, FileMetaData and the closing magic written after the row
// groups; footers read back (whole or by ranged reads) with statistics as plain numbers.
import type { AsyncBuffer, FileMetaData, RowGroup, SchemaElement } from "hyparquet";
import { parquetMetadata, parquetMetadataAsync } from "hyparquet";
import { type ByteWriter, type PageIndexes, writeIndexes, writeMetadata } from "./hyparquet-internals";

/** "PAR1", at both ends of a Parquet file. */
export const PARQUET_MAGIC = 0x31524150;

// Writing

/** What a footer says about the file. */
export interface Footer {
  /** Root element then one leaf per column. */
  schema: SchemaElement[];
  numRows: number;
  rowGroups: RowGroup[];
  /** Key-value metadata (e.g. the privacy layer's user id filter). */
  keyValues?: { key: string; value: string }[];
}

/**
 * Ends a file whose row groups are written: the column chunks' page indexes, then the footer
 * (FileMetaData, thrift-encoded, and its length), then the magic.
 */
export function writeFooter(file: ByteWriter, footer: Footer, indexes: PageIndexes[]): void {
  writeIndexes(file, indexes);
  const metadata = {
    version: 2,
    created_by: "tarn",
    schema: footer.schema,
    num_rows: BigInt(footer.numRows),
    row_groups: footer.rowGroups,
    ...(footer.keyValues?.length ? { key_value_metadata: footer.keyValues } : {}),
  } as FileMetaData; // metadata_length is computed by the writer, not serialised from here
  writeMetadata(file, metadata);
  file.appendUint32(PARQUET_MAGIC);
}

// Reading

/** Statistics as plain numbers: timestamps in epoch ms, dates in epoch ms. */
const PARSERS = {
  timestampFromMilliseconds: (v: bigint) => Number(v),
  timestampFromMicroseconds: (v: bigint) => Number(v) / 1000,
  timestampFromNanoseconds: (v: bigint) => Number(v) / 1e6,
  dateFromDays: (d: number) => d * 86_400_000,
};

/** The footer of a file held whole, statistics as plain numbers. */
export function parseFooter(whole: ArrayBuffer): FileMetaData {
  return parquetMetadata(whole, { parsers: PARSERS });
}

/** The footer of a file by ranged reads of its tail, statistics as plain numbers. */
export function readFooter(file: AsyncBuffer): Promise<FileMetaData> {
  return parquetMetadataAsync(file, { parsers: PARSERS });
}
