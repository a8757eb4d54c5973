// Reading the manifest: which files make up a project's tables now, or as of a snapshot.
import { and, asc, desc, eq, gt, gte, isNull, lte, or, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { lakeFiles, snapshots } from "../../shared/db/lake";

export type ManifestFile = typeof lakeFiles.$inferSelect;

export interface FileFilter {
  dataset?: string;
  /** Only files whose time range meets [minTs, maxTs]. */
  minTs?: number;
  maxTs?: number;
  layer?: "bronze" | "silver" | "gold";
  dt?: string;
  /** The lake as it was right after this snapshot; omitted means now. */
  snapshot?: number;
}

/** Rows of files that belong to the tables at `snapshot` (or now). */
export function liveAt(projectId: string, snapshot?: number): SQL {
  const base = eq(lakeFiles.projectId, projectId);
  if (snapshot === undefined) return and(base, isNull(lakeFiles.removedSnapshot)) as SQL;
  return and(
    base,
    lte(lakeFiles.addedSnapshot, snapshot),
    or(isNull(lakeFiles.removedSnapshot), gt(lakeFiles.removedSnapshot, snapshot)),
  ) as SQL;
}

export async function listFiles(db: D1Database, projectId: string, filter: FileFilter = {}): Promise<ManifestFile[]> {
  return drizzle(db)
    .select()
    .from(lakeFiles)
    .where(
      and(
        liveAt(projectId, filter.snapshot),
        filter.dataset !== undefined ? eq(lakeFiles.dataset, filter.dataset) : undefined,
        filter.layer !== undefined ? eq(lakeFiles.layer, filter.layer) : undefined,
        filter.dt !== undefined ? eq(lakeFiles.dt, filter.dt) : undefined,
        filter.minTs !== undefined ? gte(lakeFiles.maxTs, filter.minTs) : undefined,
        filter.maxTs !== undefined ? lte(lakeFiles.minTs, filter.maxTs) : undefined,
      ),
    )
    .orderBy(asc(lakeFiles.minTs), asc(lakeFiles.key))
    .all();
}

/** The project's newest snapshot id, or 0 before any data: a version for caches. */
export async function latestSnapshot(db: D1Database, projectId: string): Promise<number> {
  const row = await drizzle(db)
    .select({ id: snapshots.id })
    .from(snapshots)
    .where(eq(snapshots.projectId, projectId))
    .orderBy(desc(snapshots.id))
    .limit(1)
    .get();
  return row?.id ?? 0;
}

/** The last snapshot created at or before `time` (ISO-8601), or null if none was. */
export async function snapshotAsOf(db: D1Database, projectId: string, time: string): Promise<number | null> {
  const row = await drizzle(db)
    .select({ id: snapshots.id })
    .from(snapshots)
    .where(and(eq(snapshots.projectId, projectId), lte(snapshots.createdAt, time)))
    .orderBy(desc(snapshots.id))
    .limit(1)
    .get();
  return row?.id ?? null;
}

/** True when the snapshot exists and belongs to the project. */
export async function snapshotExists(db: D1Database, projectId: string, id: number): Promise<boolean> {
  const row = await drizzle(db)
    .select({ id: snapshots.id })
    .from(snapshots)
    .where(and(eq(snapshots.projectId, projectId), eq(snapshots.id, id)))
    .get();
  return row !== undefined;
}
