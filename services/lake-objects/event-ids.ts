// The event ids held by lake files, read column-only from R2.
import { parquetReadObjects } from "hyparquet";
import { lakeCompressors } from "../../shared/parquet/codecs";
import { r2AsyncBuffer } from "./r2-buffer";

/** Every `event_id` in the given objects (key and byte size from the manifest). */
export async function readEventIds(lake: R2Bucket, files: { key: string; bytes: number }[]): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const f of files) {
    const rows = await parquetReadObjects({
      file: r2AsyncBuffer(lake, f.key, f.bytes),
      columns: ["event_id"],
      compressors: lakeCompressors,
    });
    for (const r of rows as { event_id: string }[]) ids.add(r.event_id);
  }
  return ids;
}
