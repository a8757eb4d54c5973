// A Parquet object written to the lake but not yet in the manifest: what a writer hands to publish.
import type { Partition } from "./partition";

export interface WrittenFile {
  key: string;
  partition: Partition;
  rows: number;
  bytes: number;
  minTs: number;
  maxTs: number;
}
