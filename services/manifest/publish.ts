// Publishing a change of the lake: remove some files and add others as one snapshot, atomically.
import { inArray, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { lakeFiles, publishGuards, snapshots } from "../../shared/db/lake";
import { TarnError } from "../../shared/errors";

/** D1 binds at most 100 parameters per statement; stay well under. */
const IDS_PER_STATEMENT = 80;

export interface NewFile {
  key: string;
  dataset: string;
  layer: "bronze" | "silver" | "gold";
  dt: string;
  hr: number | null;
  rows: number;
  bytes: number;
  minTs: number;
  maxTs: number;
  columns: { name: string; type: string }[];
}

export interface Change {
  projectId: string;
  kind: "append" | "compact" | "retention" | "rollback" | "erase";
  commitId: string;
  /** Manifest row ids that leave the tables; each must still be current. */
  remove: number[];
  add: NewFile[];
}

const chunks = <T>(xs: T[], n: number): T[][] =>
  Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

/**
 * Applies the change in one D1 batch and returns the new snapshot id. If another writer
 * removed any of the same files first, the guard's CHECK fails and nothing changes.
 * A retried publish with the same commit id returns the snapshot of the first one.
 */
export async function publishChange(db: D1Database, change: Change): Promise<number> {
  const d = drizzle(db);
  const existing = await d
    .select({ id: snapshots.id })
    .from(snapshots)
    .where(sql`${snapshots.commitId} = ${change.commitId} AND ${snapshots.projectId} = ${change.projectId}`)
    .get();
  if (existing) return existing.id;

  const snapshotId = sql`(SELECT id FROM snapshots WHERE commit_id = ${change.commitId} AND project_id = ${change.projectId})`;
  const guards = chunks(change.remove, IDS_PER_STATEMENT).map((ids) =>
    d.insert(publishGuards).values({
      ok: sql`(SELECT count(*) FROM lake_files WHERE id IN (${sql.join(
        ids.map((id) => sql`${id}`),
        sql`, `,
      )}) AND removed_snapshot IS NULL) = ${ids.length}`,
    }),
  );
  const removals = chunks(change.remove, IDS_PER_STATEMENT).map((ids) =>
    d.update(lakeFiles).set({ removedSnapshot: snapshotId }).where(inArray(lakeFiles.id, ids)),
  );
  const additions = change.add.map((f) =>
    d.insert(lakeFiles).values({ projectId: change.projectId, ...f, addedSnapshot: snapshotId }),
  );
  const statements = [
    ...guards,
    d.insert(snapshots).values({
      projectId: change.projectId,
      kind: change.kind,
      commitId: change.commitId,
      filesAdded: change.add.length,
      filesRemoved: change.remove.length,
      rowsAdded: change.add.reduce((n, f) => n + f.rows, 0),
    }),
    ...removals,
    ...additions,
  ];
  try {
    await d.batch(statements as unknown as Parameters<typeof d.batch>[0]);
  } catch (err) {
    if (String(err).includes("publish_guards_ok")) {
      throw new TarnError("CONFLICT", "the files changed while this job ran; it will be retried on the new state");
    }
    throw err;
  }
  const row = await d
    .select({ id: snapshots.id })
    .from(snapshots)
    .where(sql`${snapshots.commitId} = ${change.commitId} AND ${snapshots.projectId} = ${change.projectId}`)
    .get();
  if (!row) throw new Error("published snapshot not found");
  return row.id;
}
