// A query catalog over Parquet files on local disk, pruning as the Worker's manifest does.
import { asyncBufferFromFile } from "hyparquet";
import type { FileRef, QueryCatalog } from "../shared/query";

/** Lists files by table, ts range and event type (like the D1 manifest), and opens them from disk. */
export function catalogOver(files: (FileRef & { path: string })[]): QueryCatalog {
  const byKey = new Map(files.map((f) => [f.key, f]));
  return {
    async listFiles(table, filter) {
      if (table !== "events" && !files.some((f) => f.dataset === table)) return null;
      return files.filter(
        (f) =>
          (table === "events" || f.dataset === table) &&
          (filter.minTs === undefined || f.maxTs >= filter.minTs) &&
          (filter.maxTs === undefined || f.minTs <= filter.maxTs) &&
          (filter.eventTypes === undefined || filter.eventTypes.includes(f.dataset)),
      );
    },
    async openFile(key) {
      const file = byKey.get(key);
      if (!file) throw new Error(`file ${key} was not listed`);
      return asyncBufferFromFile(file.path);
    },
  };
}
