// Exactly-once, step two: one bronze Parquet file per project and dataset of the batch, in the
// partition of its arrival hour. Event times only decide pruning (each file's min/max ts in the
// manifest, its row groups' statistics): a backfill spanning days still lands as one file per
// dataset and batch, not one per event hour (compaction later sorts rows into event days).
import { type PutFile, putLakeFile } from "../services/lake-objects/put-file";
import { getOrInsert } from "../shared/collections";
import type { QueuedEvent } from "../shared/events/queue-message";
import { lakeKey, type Partition, partitionId, partitionOf } from "../shared/lake/partition";

/** A written bronze object and the partition it went to, for the batch's manifest append. */
export type WrittenFile = PutFile & { partition: Partition };

/** Groups events by dataset in the arrival partition; each group's rows are sorted by time by the encoder. */
export function groupByPartition(
  project: string,
  events: QueuedEvent[],
  arrivedAt: number,
): Map<string, { partition: Partition; rows: QueuedEvent[] }> {
  // Every event of the batch arrived together, so the dataset alone decides the partition: group by
  // event type first and build each partition once, not a date string and a key per event.
  const byType = new Map<string, QueuedEvent[]>();
  for (const e of events) getOrInsert(byType, e.event_type, () => []).push(e);
  const groups = new Map<string, { partition: Partition; rows: QueuedEvent[] }>();
  for (const [dataset, rows] of byType) {
    const partition = partitionOf(project, dataset, arrivedAt);
    groups.set(partitionId(partition), { partition, rows });
  }
  return groups;
}

/**
 * Encodes and puts each group's file. Keys carry the batch id, so a retried batch writes new
 * objects rather than overwriting; files not committed to the manifest are never read.
 */
export async function writeFiles(
  lake: R2Bucket,
  batch: string,
  project: string,
  events: QueuedEvent[],
  arrivedAt: number,
): Promise<WrittenFile[]> {
  const groups = [...groupByPartition(project, events, arrivedAt).values()];
  return Promise.all(
    groups.map(async ({ partition, rows }, i) => {
      const file = await putLakeFile(lake, lakeKey(partition, "bronze", `${batch}-${i}`), rows);
      return { ...file, partition };
    }),
  );
}
