// Compaction (bronze → silver): a day's small files of a dataset become few large, deduplicated,
// time-sorted files, published atomically as one snapshot; the old objects stay for time travel.
import { and, eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { r2AsyncBuffer } from "../../services/lake-objects/r2-buffer";
import { type NewFile, publishChange } from "../../services/manifest/publish";
import { listFiles, type ManifestFile } from "../../services/manifest/read";
import { lakeFiles } from "../../shared/db/lake";
import type { LakeRow } from "../../shared/lake/lake-row";
import { FILE_COLUMNS } from "../../shared/lake/lake-row";
import { lakeKey } from "../../shared/lake/partition";
import { encodeLakeFile, readLakeRowGroups } from "../../shared/parquet/lake-file";

/** Test seams for crash injection; production passes none. */
export interface CompactHooks {
  afterWrite?: () => void | Promise<void>;
}

export interface CompactResult {
  partitions: number;
  files_in: number;
  files_out: number;
  rows_in: number;
  rows_out: number;
  duplicates_removed: number;
  bytes_in: number;
  bytes_out: number;
}

/** Partitions (dataset, day) that have more than one current file, i.e. something to compact. */
export async function compactionCandidates(
  db: D1Database,
  projectId: string,
  only: { dataset?: string; day?: string },
) {
  return drizzle(db)
    .select({ dataset: lakeFiles.dataset, dt: lakeFiles.dt })
    .from(lakeFiles)
    .where(
      and(
        eq(lakeFiles.projectId, projectId),
        sql`${lakeFiles.removedSnapshot} IS NULL`,
        sql`${lakeFiles.layer} IN ('bronze', 'silver')`,
        only.dataset ? eq(lakeFiles.dataset, only.dataset) : undefined,
        only.day ? eq(lakeFiles.dt, only.day) : undefined,
      ),
    )
    .groupBy(lakeFiles.dataset, lakeFiles.dt)
    .having(sql`count(*) > 1`)
    .all();
}

/** Groups consecutive input files (by time) into outputs of about `targetRows` rows each. */
export function planOutputs(files: ManifestFile[], targetRows: number): ManifestFile[][] {
  const groups: ManifestFile[][] = [];
  let current: ManifestFile[] = [];
  let rows = 0;
  for (const f of files) {
    if (current.length > 0 && rows + f.rows > targetRows) {
      groups.push(current);
      current = [];
      rows = 0;
    }
    current.push(f);
    rows += f.rows;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/**
 * Compacts one partition. Memory is bounded by the output size (`targetRows`): each output is
 * read row group by row group, deduplicated by event_id, sorted by ts and encoded. Output keys
 * carry the job and attempt, so a retry never overwrites, and the commit id makes publishing
 * idempotent: a crash anywhere before the publish leaves the tables as they were.
 */
export async function compactPartition(
  env: Pick<Env, "DB" | "LAKE">,
  projectId: string,
  dataset: string,
  dt: string,
  job: { id: string; attempt: number; targetRows: number },
  hooks: CompactHooks = {},
): Promise<CompactResult | null> {
  const inputs = await listFiles(env.DB, projectId, { dataset, dt });
  const compactable = inputs.filter((f) => f.layer !== "gold");
  if (compactable.length < 2) return null;
  const seen = new Set<string>();
  const outputs: NewFile[] = [];
  let rowsIn = 0;
  let duplicates = 0;
  for (const [n, group] of planOutputs(compactable, job.targetRows).entries()) {
    const rows: LakeRow[] = [];
    for (const file of group) {
      for await (const chunk of readLakeRowGroups(r2AsyncBuffer(env.LAKE, file.key, file.bytes))) {
        rowsIn += chunk.length;
        for (const row of chunk) {
          if (seen.has(row.event_id)) duplicates++;
          else {
            seen.add(row.event_id);
            rows.push(row);
          }
        }
      }
    }
    if (rows.length === 0) continue;
    const bytes = encodeLakeFile(rows);
    const key = lakeKey({ project: projectId, dataset, dt, hr: null }, "silver", `${job.id}-${job.attempt}-${n}`);
    await env.LAKE.put(key, bytes, { httpMetadata: { contentType: "application/vnd.apache.parquet" } });
    let minTs = Number.POSITIVE_INFINITY;
    let maxTs = Number.NEGATIVE_INFINITY;
    for (const r of rows) {
      if (r.ts < minTs) minTs = r.ts;
      if (r.ts > maxTs) maxTs = r.ts;
    }
    outputs.push({
      key,
      dataset,
      layer: "silver",
      dt,
      hr: null,
      rows: rows.length,
      bytes: bytes.byteLength,
      minTs,
      maxTs,
      columns: FILE_COLUMNS,
    });
  }
  await hooks.afterWrite?.();
  await publishChange(env.DB, {
    projectId,
    kind: "compact",
    commitId: `compact:${job.id}:${dataset}:${dt}`,
    remove: compactable.map((f) => f.id),
    add: outputs,
  });
  return {
    partitions: 1,
    files_in: compactable.length,
    files_out: outputs.length,
    rows_in: rowsIn,
    rows_out: outputs.reduce((a, f) => a + f.rows, 0),
    duplicates_removed: duplicates,
    bytes_in: compactable.reduce((a, f) => a + f.bytes, 0),
    bytes_out: outputs.reduce((a, f) => a + f.bytes, 0),
  };
}
