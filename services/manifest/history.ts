// A dataset's manifest history for its Iceberg table: the heads of all datasets, and the files since a snapshot.
import { and, eq, gt, inArray, isNull, or, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { lakeFiles, snapshots } from "../../shared/db/lake";
import type { HistoryFile } from "../../shared/iceberg/plan";
import { EVENT_LAYERS } from "../../shared/lake/partition";

/**
 * Per dataset of the project changed after snapshot `since`, the newest snapshot that added or
 * removed one of its files. Both halves use an index (added: `lake_files_added`; removed:
 * `lake_files_current`), so after the first call an isolate reads only what is new.
 */
export async function datasetHeads(
  db: D1Database,
  projectId: string,
  since = 0,
): Promise<{ dataset: string; head: number }[]> {
  const d = drizzle(db);
  // Iceberg mirrors the event datasets; tables of their own (uploads, views, audit) are not in it yet.
  const eventLayers = inArray(lakeFiles.layer, [...EVENT_LAYERS]);
  const [added, removed] = await d.batch([
    d
      .select({ dataset: lakeFiles.dataset, head: sql<number>`max(${lakeFiles.addedSnapshot})` })
      .from(lakeFiles)
      .where(and(eq(lakeFiles.projectId, projectId), eventLayers, gt(lakeFiles.addedSnapshot, since)))
      .groupBy(lakeFiles.dataset),
    d
      .select({ dataset: lakeFiles.dataset, head: sql<number>`max(${lakeFiles.removedSnapshot})` })
      .from(lakeFiles)
      .where(and(eq(lakeFiles.projectId, projectId), eventLayers, gt(lakeFiles.removedSnapshot, since)))
      .groupBy(lakeFiles.dataset),
  ]);
  const heads = new Map<string, number>();
  for (const r of [...added, ...removed]) heads.set(r.dataset, Math.max(heads.get(r.dataset) ?? 0, Number(r.head)));
  return [...heads].map(([dataset, head]) => ({ dataset, head }));
}

export interface DatasetHistory {
  files: (HistoryFile & { columns: { name: string; type: string }[] })[];
  /** Kind and time of each snapshot the files mention. */
  snapshots: Map<number, { kind: string; createdAt: number }>;
}

/** The dataset's files that were live at some snapshot after `since` (current ones and those removed after it). */
export async function datasetHistory(
  db: D1Database,
  projectId: string,
  dataset: string,
  since: number,
): Promise<DatasetHistory> {
  const d = drizzle(db);
  const files = await d
    .select()
    .from(lakeFiles)
    .where(
      and(
        eq(lakeFiles.projectId, projectId),
        eq(lakeFiles.dataset, dataset),
        or(isNull(lakeFiles.removedSnapshot), gt(lakeFiles.removedSnapshot, since)),
      ),
    );
  const ids = new Set<number>();
  for (const f of files) {
    if (f.addedSnapshot !== null) ids.add(f.addedSnapshot);
    if (f.removedSnapshot !== null) ids.add(f.removedSnapshot);
  }
  const snaps = new Map<number, { kind: string; createdAt: number }>();
  const list = [...ids];
  for (let i = 0; i < list.length; i += 80) {
    const chunk = list.slice(i, i + 80);
    const rows = await d
      .select({ id: snapshots.id, kind: snapshots.kind, createdAt: snapshots.createdAt })
      .from(snapshots)
      .where(
        and(
          eq(snapshots.projectId, projectId),
          sql`${snapshots.id} IN (${sql.join(
            chunk.map((x) => sql`${x}`),
            sql`, `,
          )})`,
        ),
      );
    for (const r of rows) snaps.set(r.id, { kind: r.kind, createdAt: Date.parse(r.createdAt) });
  }
  return {
    files: files.map((f) => ({
      key: f.key,
      addedSnapshot: f.addedSnapshot as number,
      removedSnapshot: f.removedSnapshot,
      rows: f.rows,
      bytes: f.bytes,
      minTs: f.minTs,
      maxTs: f.maxTs,
      columns: f.columns,
    })),
    snapshots: snaps,
  };
}
