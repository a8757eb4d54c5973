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
 * The Iceberg snapshots a sync writes for the Tarn snapshots after `since` up to `head`: consecutive
 * appends collapse into one (its id the last Tarn snapshot it covers); a snapshot that removes files
 * (compaction, retention, rollback, erasure) stays its own. Streaming writers commit to Iceberg every
 * so often rather than per micro-batch for the same reasons: each snapshot costs a manifest, a list and
 * a metadata entry, and the kept history then spans more time. `max` bounds a catch-up; when older
 * snapshots are left out, `full` says the first one written must list every live file.
 */
export function icebergSnapshotIds(
  files: readonly HistoryFile[],
  since: number,
  head: number,
  max: number,
): { ids: number[]; full: boolean } {
  const removing = new Set<number>();
  for (const f of files) if (f.removedSnapshot !== null) removing.add(f.removedSnapshot);
  const ids: number[] = [];
  for (const id of touchingSnapshots(files)) {
    if (id <= since || id > head) continue;
    const last = ids.length - 1;
    if (last >= 0 && !removing.has(id) && !removing.has(ids[last] as number)) ids[last] = id;
    else ids.push(id);
  }
  return { ids: ids.slice(-max), full: ids.length > max };
}

/**
 * The entries of Iceberg snapshot `id`: files live in it (ADDED when added after `parent`, the
 * snapshot before it, else EXISTING) and those `id` removed (DELETED). `cover` maps the Tarn snapshot
 * that added a file to the Iceberg snapshot holding it (appends collapse, see icebergSnapshotIds);
 * sequence numbers are those snapshot ids, which only grow.
 */
export function entriesAt(
  files: readonly HistoryFile[],
  id: number,
  path: (key: string) => string,
  tsFieldId: number,
  parent = id - 1,
  cover: (tarnSnapshot: number) => number = (t) => t,
): ManifestFileEntry[] {
  const out: ManifestFileEntry[] = [];
  for (const f of files) {
    const live = f.addedSnapshot <= id && (f.removedSnapshot === null || f.removedSnapshot > id);
    const removedHere = f.removedSnapshot === id;
    if (!live && !removedHere) continue;
    const added = f.addedSnapshot > parent ? id : cover(f.addedSnapshot);
    out.push({
      status: removedHere ? 2 : added === id ? 1 : 0,
      snapshotId: removedHere ? id : added,
      sequenceNumber: added,
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
