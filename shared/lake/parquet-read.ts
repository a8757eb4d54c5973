// Reads lake files back into LakeRows (compaction, tests): values normalized to the row contract.
import { type AsyncBuffer, parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import type { LakeRow } from "./lake-row";
import { LAKE_COLUMNS } from "./lake-row";
import { lakeCompressors } from "./parquet-codecs";

function toMillis(v: unknown): number {
  if (v instanceof Date) return v.getTime();
  if (typeof v === "bigint") return Number(v);
  return Number(v);
}

function toText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return typeof v === "string" ? v : JSON.stringify(v);
}

const decoder = new TextDecoder();

/** Keep JSON columns as their exact text and timestamps as epoch milliseconds. */
export const lakeParsers = {
  jsonFromBytes: (bytes: Uint8Array) => decoder.decode(bytes),
  timestampFromMilliseconds: (millis: bigint) => Number(millis),
};

/** One decoded row as a LakeRow (values normalized whatever parsers produced them). */
export function toLakeRow(raw: Record<string, unknown>): LakeRow {
  const row = {} as Record<string, unknown>;
  for (const { name, type } of LAKE_COLUMNS) {
    row[name] = type === "TIMESTAMP" ? toMillis(raw[name]) : toText(raw[name]);
  }
  return row as unknown as LakeRow;
}

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
