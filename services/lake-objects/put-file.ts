// Writing one lake file: encode rows as ZSTD Parquet (sorted by ts), put it to R2, and return what
// the manifest records of it. The lake writer and compaction both write through here.
import type { TypedColumn } from "../../shared/contracts/typed-columns";
import type { LakeRow } from "../../shared/lake/lake-row";
import { encodeLakeFile } from "../../shared/parquet/lake-file";

/** What a written object adds to the manifest, besides its place in the tables. */
export interface PutFile {
  key: string;
  rows: number;
  bytes: number;
  minTs: number;
  maxTs: number;
}

export async function putLakeFile(
  lake: R2Bucket,
  key: string,
  rows: readonly LakeRow[],
  typedColumns: readonly TypedColumn[] = [],
): Promise<PutFile> {
  const bytes = encodeLakeFile(rows, { typedColumns });
  await lake.put(key, bytes, { httpMetadata: { contentType: "application/vnd.apache.parquet" } });
  let minTs = Number.POSITIVE_INFINITY;
  let maxTs = Number.NEGATIVE_INFINITY;
  for (const r of rows) {
    if (r.ts < minTs) minTs = r.ts;
    if (r.ts > maxTs) maxTs = r.ts;
  }
  return { key, rows: rows.length, bytes: bytes.byteLength, minTs, maxTs };
}
