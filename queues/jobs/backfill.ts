// Backfill: the lake's events of [from, to) replayed into a live metric's windows, exactly once with
// respect to live ingestion.
//
// The boundary: live ingestion counts a consumer batch for every metric that exists when the batch
// has committed (publishPartials runs after the commit). So the backfill reads the lake as it was at
// the last snapshot made before the metric was created (`boundary`): every batch committed later was
// counted live, and none of them is read here. A batch that committed just before the metric was
// created but loaded the metrics just after was counted live too; its files are still bronze then,
// so their events are applied under the batch's own commit id, which the shard has already marked
// applied and refuses (for 6 h, APPLIED_TTL_MS). Everything else is applied under ids made of the
// metric, the range and the chunk's files, so a retried job is refused chunk by chunk; the route
// refuses a range that overlaps one already backfilled. Windows older than a shard keeps are skipped.
import { z } from "zod";
import type { JobRow } from "../../services/jobs/create-job";
import { r2AsyncBuffer } from "../../services/lake-objects/r2-buffer";
import { findMetric } from "../../services/live/metric-store";
import { listFiles, type ManifestFile, snapshotAsOf, snapshotsById } from "../../services/manifest/read";
import { windowStub } from "../../services/stubs/window-shard";
import { TarnError } from "../../shared/errors";
import type { QueuedEvent } from "../../shared/events/queue-message";
import { EVENT_LAYERS } from "../../shared/lake/partition";
import { computePartials } from "../../shared/live/partials";
import { readLakeRowGroups } from "../../shared/parquet/lake-file";

const BackfillParams = z.object({
  metric: z.string(),
  metric_id: z.string(),
  from: z.number().int(),
  to: z.number().int(),
});

/** Files read per apply call of this job's own chunks (bounds memory and the RPC message). */
const FILES_PER_CHUNK = 16;

export interface BackfillResult {
  metric: string;
  boundary_snapshot: number;
  metric_created_at: string;
  files_read: number;
  events_read: number;
  /** Events applied by this job (not already counted live). */
  events_applied: number;
  /** Events of commits live ingestion had already applied (refused by the shard). */
  events_already_live: number;
  /** Events × window sizes left out because the shard no longer keeps those windows. */
  window_events_too_late: number;
}

async function eventsOf(env: Pick<Env, "LAKE">, files: ManifestFile[], from: number, to: number) {
  const events: QueuedEvent[] = [];
  for (const f of files) {
    for await (const rows of readLakeRowGroups(r2AsyncBuffer(env.LAKE, f.key, f.bytes))) {
      for (const r of rows) if (r.ts >= from && r.ts < to) events.push(r);
    }
  }
  return events;
}

export async function runBackfill(env: Env, job: JobRow): Promise<BackfillResult> {
  const { metric: name, metric_id: metricId, from, to } = BackfillParams.parse(job.params);
  const found = await findMetric(env.DB, job.projectId, name);
  if (!found?.createdAt || found.metric.id !== metricId) {
    throw new TarnError("VALIDATION_ERROR", `metric "${name}" no longer exists`);
  }
  const { metric, createdAt } = found;
  const boundary = (await snapshotAsOf(env.DB, job.projectId, createdAt)) ?? 0;
  const result: BackfillResult = {
    metric: name,
    boundary_snapshot: boundary,
    metric_created_at: createdAt,
    files_read: 0,
    events_read: 0,
    events_applied: 0,
    events_already_live: 0,
    window_events_too_late: 0,
  };
  if (boundary === 0) return result;
  const files = await listFiles(env.DB, job.projectId, {
    snapshot: boundary,
    minTs: from,
    maxTs: to - 1,
    layers: EVENT_LAYERS,
  });
  if (files.some((f) => f.deletedAt !== null)) {
    throw new TarnError(
      "GONE",
      "the lake as it was when the metric was created is garbage-collected; backfill within GC_GRACE_HOURS of creating the metric",
    );
  }
  const added = await snapshotsById(
    env.DB,
    files.map((f) => f.addedSnapshot),
  );
  // Bronze files of an ingest commit go under that commit's id (what the live path applied, if it did).
  const groups = new Map<string, ManifestFile[]>();
  const own: ManifestFile[] = [];
  for (const f of files) {
    const s = added.get(f.addedSnapshot);
    if (f.layer === "bronze" && s?.kind === "append") groups.set(s.commitId, [...(groups.get(s.commitId) ?? []), f]);
    else own.push(f);
  }
  for (let i = 0; i < own.length; i += FILES_PER_CHUNK) {
    const chunk = own.slice(i, i + FILES_PER_CHUNK);
    groups.set(await chunkId(metric.id, from, to, chunk), chunk);
  }
  const stub = windowStub(env, job.projectId, metric.name);
  for (const [commitId, chunk] of [...groups].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const events = await eventsOf(env, chunk, from, to);
    result.files_read += chunk.length;
    result.events_read += events.length;
    if (events.length === 0) continue;
    const windows = computePartials(metric, events);
    const counted = windows.length > 0 ? countOf(windows) : 0;
    const applied = await stub.apply({ commitId, project: job.projectId, metric, windows });
    if (!applied.applied) result.events_already_live += counted;
    else {
      result.window_events_too_late += applied.tooLate;
      result.events_applied += counted;
    }
  }
  return result;
}

/** Events in the partials of one window size (every size holds each matching event once). */
function countOf(windows: ReturnType<typeof computePartials>): number {
  const size = windows[0]?.size;
  return windows
    .filter((w) => w.size === size)
    .reduce((n, w) => n + w.groups.reduce((m, g) => m + g.state.count, 0), 0);
}

/** A chunk's commit id: the same metric, range and files give the same id (at most 128 characters). */
async function chunkId(metricId: string, from: number, to: number, files: ManifestFile[]): Promise<string> {
  const text = `${metricId}|${from}|${to}|${files.map((f) => f.key).join("|")}`;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return `backfill:${[...digest].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}
