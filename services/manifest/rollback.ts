// Rolling a dataset back: the files it had at a snapshot become its files again, as a new snapshot.
import { TarnError } from "../../shared/errors";
import { type NewFile, publish } from "./publish";
import { listFiles, type ManifestFile, snapshotExists } from "./read";

export interface Rollback {
  snapshot: number;
  /** Files the dataset has again (those it had at the snapshot). */
  files: number;
  /** Files that left the tables, and those that came back: whose events left, and whose stayed. */
  removed: ManifestFile[];
  restored: ManifestFile[];
}

const asNewFile = (f: ManifestFile): NewFile => ({
  key: f.key,
  dataset: f.dataset,
  layer: f.layer,
  dt: f.dt,
  hr: f.hr,
  rows: f.rows,
  bytes: f.bytes,
  minTs: f.minTs,
  maxTs: f.maxTs,
  columns: f.columns,
});

export async function rollbackDataset(
  db: D1Database,
  projectId: string,
  dataset: string,
  snapshot: number,
): Promise<Rollback> {
  if (!(await snapshotExists(db, projectId, snapshot))) {
    throw new TarnError("NOT_FOUND", `no snapshot ${snapshot} in this project`);
  }
  const [then, now] = await Promise.all([
    listFiles(db, projectId, { dataset, snapshot }),
    listFiles(db, projectId, { dataset }),
  ]);
  const gone = then.filter((f) => f.deletedAt !== null);
  if (gone.length > 0) {
    throw new TarnError(
      "GONE",
      `snapshot ${snapshot} can no longer be restored: ${gone.length} of its files were garbage-collected`,
      { details: { snapshot } },
    );
  }
  const keysThen = new Set(then.map((f) => f.key));
  const keysNow = new Set(now.map((f) => f.key));
  const removed = now.filter((f) => !keysThen.has(f.key));
  const restored = then.filter((f) => !keysNow.has(f.key));
  const id = await publish(db, {
    projectId,
    kind: "rollback",
    commitId: crypto.randomUUID(),
    remove: removed.map((f) => f.id),
    add: restored.map(asNewFile),
  });
  return { snapshot: id, files: then.length, removed, restored };
}
