import { putLakeFile } from "../../services/lake-objects/put-file";
import { r2AsyncBuffer } from "../../services/lake-objects/r2-buffer";
import { type NewFile, publish } from "../../services/manifest/publish";
import { listFiles, type ManifestFile } from "../../services/manifest/read";
import { manifestColumns, type TypedColumn, unionTypedColumns } from "../../shared/contracts/typed-columns";
import { tierToMerge } from "../../shared/lake/compaction-tiers";
import type { LakeRow } from "../../shared/lake/lake-row";
import { FILE_COLUMNS } from "../../shared/lake/lake-row";
import { afterLanding, BACKGROUND_MAX_WAIT_MS } from "../../shared/lake/landing-first";
import { lakeKey } from "../../shared/lake/partition";
import { readLakeRowGroups } from "../../shared/parquet/lake-file";

/** Test seams for crash injection; production passes none. */
export interface CompactHooks {
  afterWrite?: () => void | Promise<void>;
}

export interface CompactResult {
  partitions: number;
  /** Files of the unit left for a later run (it had more than the run's budget). */
  files_left: number;
  files_in: number;
  files_out: number;
  rows_in: number;
  rows_out: number;
  duplicates_removed: number;
  bytes_in: number;
  bytes_out: number;
}

/**
 * Groups consecutive input files (by time) into outputs of at most `targetRows` rows and
 * `targetBytes` stored bytes each (an input larger than either is an output of its own).
 */
export function planOutputs(files: ManifestFile[], targetRows: number, targetBytes: number): ManifestFile[][] {
  const groups: ManifestFile[][] = [];
  let current: ManifestFile[] = [];
  let rows = 0;
  let bytes = 0;
  for (const f of files) {
    if (current.length > 0 && (rows + f.rows > targetRows || bytes + f.bytes > targetBytes)) {
      groups.push(current);
      current = [];
      rows = 0;
      bytes = 0;
    }
    current.push(f);
    rows += f.rows;
    bytes += f.bytes;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** What one compaction step rewrites: a dataset's bronze files of one arrival day, or one event day's small silver files. */
export interface CompactUnit {
  dataset: string;
  layer: "bronze" | "silver";
  dt: string;
}

/** Splits rows (sorted or not) by the UTC day of their event time. */
function byEventDay(rows: LakeRow[]): Map<string, LakeRow[]> {
  const days = new Map<string, LakeRow[]>();
  for (const r of rows) {
    const dt = new Date(r.ts).toISOString().slice(0, 10);
    const list = days.get(dt);
    if (list) list.push(r);
    else days.set(dt, [r]);
  }
  return days;
}

/**
 * Writes rows as silver files, one per event day (`lake/{project}/silver/{dataset}/dt=…/{name}.parquet`),
 * each sorted by ts; returns them for the manifest. Compaction and retention rewrites use it.
 */
export async function writeSilver(
  lake: R2Bucket,
  projectId: string,
  dataset: string,
  rows: LakeRow[],
  name: string,
  typed: readonly TypedColumn[] = [],
): Promise<NewFile[]> {
  const outputs: NewFile[] = [];
  const columns = [...FILE_COLUMNS, ...manifestColumns(typed)];
  for (const [day, dayRows] of byEventDay(rows)) {
    const key = lakeKey({ project: projectId, dataset, dt: day, hr: null }, "silver", name);
    // Typed columns are derived again from each row's payload, at the widest type the inputs had.
    const file = await putLakeFile(lake, key, dayRows, typed);
    outputs.push({ ...file, dataset, layer: "silver", dt: day, hr: null, columns });
  }
  return outputs;
}

/** The silver files under half of both targets; of those, one tier in a minor (`tiered`) compaction. */
function smallSilver(files: ManifestFile[], job: { targetRows: number; targetBytes: number; tiered?: boolean }) {
  const small = files.filter((f) => f.rows < job.targetRows / 2 && f.bytes < job.targetBytes / 2);
  return job.tiered ? tierToMerge(small) : small;
}

/**
 * Compacts one unit into silver files by event day. Memory is bounded by the output size
 * (`targetRows`, `targetBytes`) and the run's input (`maxBytes`): each group of inputs is read row group by row group, deduplicated by event_id,
 * split by event day, sorted by ts and encoded. Output keys carry the job and attempt, so a retry
 * never overwrites, and the commit id makes publishing idempotent: a crash anywhere before the
 * publish leaves the tables as they were. Silver files of at least half a target are left as
 * they are (rewriting them would only cost), so an event day's silver settles into few large files;
 * a minor compaction (`tiered`) merges only a tier of the small ones (compaction-tiers.ts).
 */
export async function compactPartition(
  env: Pick<Env, "DB" | "LAKE">,
  projectId: string,
  unit: CompactUnit,
  job: {
    id: string;
    attempt: number;
    targetRows: number;
    targetBytes: number;
    maxFiles?: number;
    maxBytes?: number;
    /** A minor compaction (during a burst) merges small silver files by tier, not all of them. */
    tiered?: boolean;
  },
  hooks: CompactHooks = {},
): Promise<CompactResult | null> {
  const { dataset, layer, dt } = unit;
  const inputs = await listFiles(env.DB, projectId, { dataset, dt, layer });
  const candidates = layer === "bronze" ? inputs : smallSilver(inputs, job);
  if (candidates.length < 2) return null;
  // Oldest arrivals first (ids grow with publishing), as many as the run may read: files and bytes
  // (the ids the run has seen stay in memory until it ends).
  const compactable: ManifestFile[] = [];
  let budget = job.maxBytes ?? Number.POSITIVE_INFINITY;
  for (const f of [...candidates].sort((a, b) => a.id - b.id)) {
    if (compactable.length >= (job.maxFiles ?? Number.POSITIVE_INFINITY)) break;
    if (compactable.length >= 2 && f.bytes > budget) break;
    compactable.push(f);
    budget -= f.bytes;
  }
  compactable.sort((a, b) => a.minTs - b.minTs || (a.key < b.key ? -1 : 1));
  const seen = new Set<string>();
  const outputs: NewFile[] = [];
  let rowsIn = 0;
  let duplicates = 0;
  for (const [n, group] of planOutputs(compactable, job.targetRows, job.targetBytes).entries()) {
    const rows: LakeRow[] = [];
    for (const file of group) {
      // Each input's decoding and each output's encoding holds the thread: landing goes first.
      await afterLanding(BACKGROUND_MAX_WAIT_MS);
      try {
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
      } catch (err) {
        // Name the input: the job's error (GET /v1/jobs/{id}) then says which file would not read.
        throw new Error(`reading ${file.key} (${file.rows} rows, ${file.bytes} bytes): ${String(err)}`, { cause: err });
      }
    }
    const name = `${job.id}-${job.attempt}-${layer[0]}${dt.replaceAll("-", "")}-${n}`;
    // Unique per unit too: one job may write the same event day from a bronze and a silver unit.
    const typed = unionTypedColumns(group.map((f) => f.columns));
    await afterLanding(BACKGROUND_MAX_WAIT_MS);
    outputs.push(...(await writeSilver(env.LAKE, projectId, dataset, rows, name, typed)));
  }
  await hooks.afterWrite?.();
  await publish(env.DB, {
    projectId,
    kind: "compact",
    commitId: `compact:${job.id}:${dataset}:${layer}:${dt}`,
    remove: compactable.map((f) => f.id),
    add: outputs,
  });
  return {
    partitions: 1,
    files_left: candidates.length - compactable.length,
    files_in: compactable.length,
    files_out: outputs.length,
    rows_in: rowsIn,
    rows_out: outputs.reduce((a, f) => a + f.rows, 0),
    duplicates_removed: duplicates,
    bytes_in: compactable.reduce((a, f) => a + f.bytes, 0),
    bytes_out: outputs.reduce((a, f) => a + f.bytes, 0),
  };
}
