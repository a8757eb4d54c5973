// Rolling a dataset back: the files it had at a snapshot become its files again, as a new snapshot.
import { TarnError } from "../../shared/errors";
import { publishChange } from "./publish";
import { listFiles, snapshotExists } from "./read";

export async function rollbackDataset(
  db: D1Database,
  projectId: string,
  dataset: string,
  snapshot: number,
): Promise<{ snapshot: number; files: number }> {
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
      "CONFLICT",
      `snapshot ${snapshot} can no longer be restored: ${gone.length} of its files were garbage-collected`,
    );
  }
  const keysThen = new Set(then.map((f) => f.key));
  const keysNow = new Set(now.map((f) => f.key));
  const remove = now.filter((f) => !keysThen.has(f.key)).map((f) => f.id);
  const add = then
    .filter((f) => !keysNow.has(f.key))
    .map((f) => ({
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
    }));
  const id = await publishChange(db, { projectId, kind: "rollback", commitId: crypto.randomUUID(), remove, add });
  return { snapshot: id, files: then.length };
}
