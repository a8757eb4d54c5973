// What the engine needs from its host: the files of a table (pruned by the manifest) and their bytes.
import type { AsyncBuffer, FileMetaData } from "hyparquet";
import type { Vec } from "./vector";

/** A lake file as the manifest knows it. `minTs`/`maxTs` bound its `ts` values (epoch ms, inclusive). */
export interface FileRef {
  key: string;
  dataset: string;
  rows: number;
  minTs: number;
  maxTs: number;
  /** The object's size when the host knows it (hosts may need it to open the file; the engine ignores it). */
  bytes?: number;
  /**
   * A file of a table of its own (an upload, a view): its columns are not the lake's, so `minTs`,
   * `maxTs` and `dataset` say nothing about a `ts` or `event_type` column it may have.
   */
  own?: true;
}

/** What WHERE told the planner, for the manifest to prune with (every field optional). */
export interface FileFilter {
  /** Only rows with ts ≥ minTs can match (epoch ms). */
  minTs?: number;
  /** Only rows with ts ≤ maxTs can match (epoch ms). */
  maxTs?: number;
  /** Only these event types (datasets) can match. */
  eventTypes?: string[];
}

export interface QueryCatalog {
  /**
   * Files of a table: "events" (every event type) or one event type (a dataset name). Return null
   * for an unknown table. The filter may be used to prune; the engine prunes again either way.
   */
  listFiles(table: string, filter: FileFilter): Promise<FileRef[] | null>;
  /** A hyparquet AsyncBuffer over the file (ranged reads). */
  openFile(key: string): Promise<AsyncBuffer>;
  /** Rewrites values as they leave the files (privacy masks, decryption); absent: values as stored. */
  guard?: ValueGuard;
}

/**
 * Values the query must see rewritten, per dataset and column: the scan rewrites them before any
 * filter, join, group or output sees them (so a predicate on a masked column compares masked
 * values), and never prunes by a guarded column's statistics (which describe the clear values).
 */
export interface ValueGuard {
  guards(dataset: string, column: string): boolean;
  rewrite(dataset: string, column: string, values: Vec): Promise<Vec>;
}

/** Parsed Parquet footers by file key (lake files never change under a key). A Map works. */
export interface FooterCache {
  get(key: string): FileMetaData | undefined;
  set(key: string, metadata: FileMetaData): unknown;
}

/** Counters of one query's reading; see index.ts for how the adapter reports them. */
export interface ScanStatistics {
  rows_read: number;
  bytes_read: number;
  files_read: number;
  files_pruned: number;
  row_groups_read: number;
  row_groups_pruned: number;
  /** Sub-invocations the scan was split over (0: read in this invocation). */
  splits: number;
}

export function emptyStatistics(): ScanStatistics {
  return {
    rows_read: 0,
    bytes_read: 0,
    files_read: 0,
    files_pruned: 0,
    row_groups_read: 0,
    row_groups_pruned: 0,
    splits: 0,
  };
}
