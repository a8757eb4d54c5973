// Computing a view: its SELECT over the lake at a pinned snapshot (for an incremental step, only the
// input files that meet the step's time buckets), and the result written as gold files, one per
// bucket day of the time column (or one file for a view without one).

import { lakeKey } from "../../shared/lake/partition";
import { type QueryCatalog, type QueryStatistics, runQuery } from "../../shared/query";
import { storedType } from "../../shared/views/analyze";
import { BUCKET_MS, bucketDay, bucketOf, fileMeetsBuckets, timeValue } from "../../shared/views/buckets";
import { encodeResultFile } from "../../shared/views/result-parquet";
import type { NewFile } from "../manifest/publish";
import { queryPrivacy } from "../privacy/masking";
import { projectCatalog } from "../query/catalog";
import { tableColumnsOf } from "../query/coordinator";
import type { ViewRow } from "./store";

/** A view's result may hold this many rows (a step's, for incremental views). */
export const VIEW_MAX_ROWS = 1_000_000;
/** A refresh query's time limit: jobs have minutes of CPU, not a request's seconds. */
const VIEW_TIMEOUT_MS = 240_000;

export interface ViewResult {
  meta: { name: string; type: string }[];
  rows: unknown[][];
  statistics: QueryStatistics;
}

/**
 * The catalog restricted to event files meeting `buckets`. Tables of their own (other views, uploads)
 * are read whole: their files' time range is their own time column's, or none.
 */
function bucketCatalog(inner: QueryCatalog, buckets: readonly number[]): QueryCatalog {
  return {
    async listFiles(table, filter) {
      const files = await inner.listFiles(table, filter);
      return files === null ? null : files.filter((f) => f.own || fileMeetsBuckets(f, buckets));
    },
    openFile: (key) => inner.openFile(key),
  };
}

/**
 * Runs the view's SELECT on the lake as of `snapshot`. With `buckets`, only the rows whose time column
 * falls in one of them are kept: they are exactly the rows of those buckets, since every input file
 * meeting a bucket was read (the incremental contract: a row's bucket depends only on inputs of it).
 */
export async function computeView(
  env: Pick<Env, "DB" | "LAKE" | "MASTER_KEY">,
  view: ViewRow,
  snapshot: number,
  step: { buckets: readonly number[] } | null,
): Promise<ViewResult> {
  // A view is read by analysts: it is built from values as they see them (masked, never decrypted),
  // so no sensitive value reaches the gold layer in clear.
  const { guard } = await queryPrivacy(env, view.projectId, false);
  const base = projectCatalog(env, view.projectId, snapshot, guard);
  const catalog = step ? bucketCatalog(base, step.buckets) : base;
  const result = await runQuery(view.sql, catalog, {
    tableColumns: await tableColumnsOf(env.DB, view.projectId, snapshot),
    maxResultRows: VIEW_MAX_ROWS,
    timeoutMs: VIEW_TIMEOUT_MS,
  });
  if (!step || !view.timeColumn) return result;
  const at = result.meta.findIndex((m) => m.name === view.timeColumn);
  const wanted = new Set(step.buckets);
  const rows = result.rows.filter((r) => {
    const t = timeValue(r[at]);
    return t !== null && wanted.has(bucketOf(t));
  });
  return { ...result, rows };
}

/** Rows split by the bucket day of the time column; a view without one is one part. */
export function partsOf(view: ViewRow, result: ViewResult, today: number): Map<number, unknown[][]> {
  const parts = new Map<number, unknown[][]>();
  const at = view.timeColumn ? result.meta.findIndex((m) => m.name === view.timeColumn) : -1;
  for (const row of result.rows) {
    const t = at >= 0 ? timeValue(row[at]) : null;
    if (at >= 0 && t === null) {
      throw new RangeError(`time_column "${view.timeColumn}" is NULL in a row; filter such rows out in the SELECT`);
    }
    const bucket = t === null ? bucketOf(today) : bucketOf(t);
    const part = parts.get(bucket);
    if (part) part.push(row);
    else parts.set(bucket, [row]);
  }
  return parts;
}

/**
 * Writes each part as one ZSTD Parquet object under the view's gold prefix and returns the manifest
 * rows. Keys are named by the run, so a retried step overwrites its own objects.
 */
export async function writeParts(
  lake: R2Bucket,
  view: ViewRow,
  result: ViewResult,
  parts: Map<number, unknown[][]>,
  runId: string,
): Promise<NewFile[]> {
  const columns = result.meta.map((m) => ({ name: m.name, type: storedType(m.type) }));
  const at = view.timeColumn ? result.meta.findIndex((m) => m.name === view.timeColumn) : -1;
  const out: NewFile[] = [];
  for (const [bucket, rows] of [...parts].sort((a, b) => a[0] - b[0])) {
    const dt = bucketDay(bucket);
    const key = lakeKey({ project: view.projectId, dataset: view.name, dt, hr: null }, "gold", runId);
    const bytes = encodeResultFile(result.meta, rows);
    await lake.put(key, bytes, { httpMetadata: { contentType: "application/vnd.apache.parquet" } });
    let minTs = bucket;
    let maxTs = bucket + BUCKET_MS - 1;
    if (at >= 0) {
      minTs = Number.POSITIVE_INFINITY;
      maxTs = Number.NEGATIVE_INFINITY;
      for (const r of rows) {
        const t = timeValue(r[at]) as number;
        if (t < minTs) minTs = t;
        if (t > maxTs) maxTs = t;
      }
    }
    out.push({
      key,
      dataset: view.name,
      layer: "gold",
      dt,
      hr: null,
      rows: rows.length,
      bytes: bytes.byteLength,
      minTs,
      maxTs,
      columns,
    });
  }
  return out;
}
