// A view as the API shows it: its definition, the size and freshness of its current version, its runs.
import { listFiles, snapshotsById } from "../manifest/read";
import { listRuns, type ViewRow, type ViewRunRow } from "./store";

export function runOut(r: ViewRunRow) {
  return {
    id: r.id,
    status: r.status,
    mode: r.mode,
    job_id: r.jobId,
    input_snapshot: r.inputSnapshot,
    published_snapshot: r.publishedSnapshot,
    buckets: r.buckets,
    rows: r.rows,
    files: r.files,
    bytes: r.bytes,
    duration_ms: r.durationMs,
    error: r.error,
    started_at: r.startedAt,
    finished_at: r.finishedAt,
  };
}

export async function describeView(db: D1Database, view: ViewRow, runs = 1) {
  const [files, recent, freshAsOf] = await Promise.all([
    listFiles(db, view.projectId, { dataset: view.name, layer: "gold" }),
    listRuns(db, view.projectId, view.name, runs),
    view.builtSnapshot === null
      ? Promise.resolve(null)
      : snapshotsById(db, [view.builtSnapshot]).then((m) => m.get(view.builtSnapshot as number)?.createdAt ?? null),
  ]);
  return {
    name: view.name,
    sql: view.sql,
    version: view.version,
    refresh: view.refresh,
    mode: view.mode,
    time_column: view.timeColumn,
    depends_on: view.dependsOn,
    columns: view.columns,
    built_snapshot: view.builtSnapshot,
    fresh_as_of: freshAsOf,
    rows: files.reduce((n, f) => n + f.rows, 0),
    files: files.length,
    pending_buckets: view.pending?.buckets.length ?? 0,
    next_run_at: view.nextRunAt,
    last_run: recent[0] ? runOut(recent[0]) : null,
    created_at: view.createdAt,
    updated_at: view.updatedAt,
    runs: recent.map(runOut),
  };
}
