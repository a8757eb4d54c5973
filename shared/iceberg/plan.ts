// Which files each Tarn snapshot of a dataset holds, as Iceberg manifest entries (ADDED, EXISTING, DELETED).
import type { ManifestFileEntry } from "./manifest";

/** One manifest row of a dataset (current or since removed). */
export interface HistoryFile {
  key: string;
  addedSnapshot: number;
  removedSnapshot: number | null;
  rows: number;
  bytes: number;
  minTs: number;
  maxTs: number;
}

/** Snapshot ids that changed the dataset (added or removed one of its files), ascending. */
export function touchingSnapshots(files: readonly HistoryFile[]): number[] {
  const ids = new Set<number>();
  for (const f of files) {
    ids.add(f.addedSnapshot);
    if (f.removedSnapshot !== null) ids.add(f.removedSnapshot);
  }
  return [...ids].sort((a, b) => a - b);
}

/**
 * The entries of snapshot `id`: files live in it (ADDED when `id` added them, else EXISTING) and
 * those `id` removed (DELETED). Sequence numbers are Tarn snapshot ids, which only grow.
 */
export function entriesAt(
  files: readonly HistoryFile[],
  id: number,
  path: (key: string) => string,
  tsFieldId: number,
): ManifestFileEntry[] {
  const out: ManifestFileEntry[] = [];
  for (const f of files) {
    const live = f.addedSnapshot <= id && (f.removedSnapshot === null || f.removedSnapshot > id);
    const removedHere = f.removedSnapshot === id;
    if (!live && !removedHere) continue;
    out.push({
      status: removedHere ? 2 : f.addedSnapshot === id ? 1 : 0,
      snapshotId: removedHere ? id : f.addedSnapshot,
      sequenceNumber: f.addedSnapshot,
      path: path(f.key),
      records: f.rows,
      bytes: f.bytes,
      tsFieldId,
      minTs: f.minTs,
      maxTs: f.maxTs,
    });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
