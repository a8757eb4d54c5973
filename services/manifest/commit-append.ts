// Exactly-once, step three: publish the batch's files in one atomic D1 batch, one snapshot per project.
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { ingestCommits, lakeFiles, snapshots } from "../../shared/db/lake";
import { FILE_COLUMNS } from "../../shared/lake/lake-row";
import type { WrittenFile } from "../../shared/lake/written-file";

/**
 * Inserts the commit marker, a snapshot per project and a manifest row per file, atomically.
 * The commit marker is what lets a later batch tell a dead claim from a committed one.
 */
export async function commitManifest(db: D1Database, commitId: string, files: WrittenFile[]): Promise<void> {
  const d = drizzle(db);
  const projects = [...new Set(files.map((f) => f.partition.project))];
  const events = files.reduce((n, f) => n + f.rows, 0);
  const statements = [
    d.insert(ingestCommits).values({ commitId, events }),
    ...projects.map((projectId) => {
      const mine = files.filter((f) => f.partition.project === projectId);
      return d.insert(snapshots).values({
        projectId,
        kind: "append",
        commitId,
        filesAdded: mine.length,
        rowsAdded: mine.reduce((n, f) => n + f.rows, 0),
      });
    }),
    ...files.map((f) =>
      d.insert(lakeFiles).values({
        key: f.key,
        projectId: f.partition.project,
        dataset: f.partition.dataset,
        layer: "bronze",
        dt: f.partition.dt,
        hr: f.partition.hr,
        rows: f.rows,
        bytes: f.bytes,
        minTs: f.minTs,
        maxTs: f.maxTs,
        columns: FILE_COLUMNS,
        addedSnapshot: sql`(SELECT id FROM snapshots WHERE commit_id = ${commitId} AND project_id = ${f.partition.project})`,
      }),
    ),
  ] as const;
  await d.batch(statements as unknown as Parameters<typeof d.batch>[0]);
}
