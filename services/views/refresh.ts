// One refresh of a view, as the jobs queue runs it: pin the input snapshot, work out what to
// recompute (everything, or the time buckets whose input files changed since the last build), write
// gold files and publish them through the manifest in one atomic change per step. A large build goes
// in steps across invocations (the remaining buckets are kept on the view); a failure before a
// publish leaves the previous version as it was.

import { TarnError } from "../../shared/errors";
import { EVENT_LAYERS } from "../../shared/lake/partition";
import { bucketDay, bucketOf, changedBuckets } from "../../shared/views/buckets";
import { nextRunAt } from "../../shared/views/definition";
import { readsFile } from "../../shared/views/reads";
import { recordFailedRun, recordFinishedRun } from "../lineage/record";
import { publish } from "../manifest/publish";
import { filesChangedSince, latestSnapshot, listFiles, type ManifestFile } from "../manifest/read";
import { computeView, partsOf, writeParts } from "./materialize";
import { finishRun, getView, listViews, startRun, updateView, type ViewRow } from "./store";

/** Time buckets (days) one step recomputes, and steps one invocation runs before handing on. */
export const BUCKETS_PER_STEP = 31;
export const STEPS_PER_INVOCATION = 4;

export interface ViewHooks {
  /** Called after a step wrote its files and before it publishes them (tests crash here). */
  beforePublish?: (step: number) => Promise<void> | void;
  /** Smaller steps than the defaults (tests of resumable builds). */
  bucketsPerStep?: number;
  stepsPerInvocation?: number;
}

export interface RefreshResult {
  view: string;
  run_id: string;
  mode: "replace" | "incremental";
  input_snapshot: number;
  published_snapshot: number | null;
  /** Buckets recomputed (incremental); null for a whole rebuild. */
  buckets: number | null;
  buckets_remaining: number;
  rows: number;
  files: number;
  bytes: number;
  duration_ms: number;
}

/** Files whose time range is event time: event files, and files of views bucketed by a time column. */
async function bucketedFiles(db: D1Database, projectId: string) {
  const timed = new Set((await listViews(db, projectId)).filter((v) => v.timeColumn).map((v) => v.name));
  return (f: ManifestFile) => EVENT_LAYERS.includes(f.layer) || (f.layer === "gold" && timed.has(f.dataset));
}

/**
 * The buckets an incremental build must recompute at `snapshot`: those whose input files changed
 * since the last build (every bucket with input, and every bucket the view has, for a first build).
 * A changed table of its own without event time (an upload, a view without a time column: a
 * dimension any bucket may join) changes every bucket.
 */
async function bucketsToBuild(db: D1Database, view: ViewRow, snapshot: number): Promise<number[]> {
  const bucketed = await bucketedFiles(db, view.projectId);
  const all = async () => {
    const current = await listFiles(db, view.projectId, { snapshot });
    return changedBuckets(current.filter((f) => (readsFile(view, f) && bucketed(f)) || f.dataset === view.name));
  };
  if (view.builtSnapshot === null || view.builtVersion !== view.version) return all();
  const changed = (await filesChangedSince(db, view.projectId, view.builtSnapshot)).filter((f) => readsFile(view, f));
  if (changed.some((f) => !bucketed(f))) return all();
  return changedBuckets(changed);
}

/** One publish: the view's files of `days` (all of them when null) leave, `add` joins. */
async function publishStep(
  env: Pick<Env, "DB">,
  view: ViewRow,
  commitId: string,
  days: Set<string> | null,
  add: Awaited<ReturnType<typeof writeParts>>,
): Promise<number> {
  // A view deleted or redefined while this ran must not get the old definition's files back.
  const now = await getView(env.DB, view.projectId, view.name);
  if (!now || now.version !== view.version) {
    throw new TarnError("VALIDATION_ERROR", `view "${view.name}" was deleted or redefined during the refresh`);
  }
  const mine = await listFiles(env.DB, view.projectId, { dataset: view.name, layer: "gold" });
  const remove = mine.filter((f) => days === null || days.has(f.dt)).map((f) => f.id);
  if (remove.length === 0 && add.length === 0) return 0;
  return publish(env.DB, { kind: "view", projectId: view.projectId, commitId, remove, add });
}

/**
 * Refreshes the view once (up to STEPS_PER_INVOCATION steps). Returns `continue: true` when buckets
 * remain, for the caller to queue a follow-up. Throws when the run failed (after recording it).
 */
export async function refreshView(
  env: Pick<Env, "DB" | "LAKE" | "MASTER_KEY">,
  projectId: string,
  name: string,
  job: { id: string; attempt: number },
  hooks: ViewHooks = {},
): Promise<RefreshResult & { continue: boolean }> {
  const started = new Date();
  const view = await getView(env.DB, projectId, name);
  if (!view) throw new TarnError("VALIDATION_ERROR", `view "${name}" no longer exists`);
  const snapshot = view.pending?.snapshot ?? (await latestSnapshot(env.DB, projectId));
  // One job may refresh several views (the cron): the run is the job, the attempt and the view.
  const runId = `${job.id}-${job.attempt}-${name}`;
  const result: RefreshResult = {
    view: name,
    run_id: runId,
    mode: view.mode,
    input_snapshot: snapshot,
    published_snapshot: null,
    buckets: null,
    buckets_remaining: 0,
    rows: 0,
    files: 0,
    bytes: 0,
    duration_ms: 0,
  };
  await startRun(env.DB, { id: runId, projectId, view: name, jobId: job.id, mode: view.mode, inputSnapshot: snapshot });
  try {
    let remaining: number[] = [];
    if (view.mode === "replace") {
      const computed = await computeView(env, view, snapshot, null);
      const parts = partsOf(view, computed, started.getTime());
      // An empty result is still a table (with its columns): one file of no rows.
      if (parts.size === 0) parts.set(bucketOf(started.getTime()), []);
      const files = await writeParts(env.LAKE, view, computed, parts, runId);
      await hooks.beforePublish?.(0);
      result.published_snapshot = await publishStep(env, view, `view:${runId}`, null, files);
      tally(result, files);
    } else {
      remaining = view.pending?.buckets ?? (await bucketsToBuild(env.DB, view, snapshot));
      result.buckets = 0;
      const { bucketsPerStep = BUCKETS_PER_STEP, stepsPerInvocation = STEPS_PER_INVOCATION } = hooks;
      for (let step = 0; step < stepsPerInvocation && remaining.length > 0; step++) {
        const buckets = remaining.slice(0, bucketsPerStep);
        const computed = await computeView(env, view, snapshot, { buckets });
        const files = await writeParts(
          env.LAKE,
          view,
          computed,
          partsOf(view, computed, started.getTime()),
          `${runId}-${step}`,
        );
        await hooks.beforePublish?.(step);
        const days = new Set(buckets.map(bucketDay));
        const published = await publishStep(env, view, `view:${runId}:${step}`, days, files);
        if (published > 0) result.published_snapshot = published;
        tally(result, files);
        result.buckets += buckets.length;
        remaining = remaining.slice(buckets.length);
        // Progress survives a crash: the next invocation resumes with what is left at the same snapshot.
        await updateView(env.DB, projectId, name, {
          pending: remaining.length > 0 ? { snapshot, buckets: remaining, runId } : null,
        });
      }
    }
    result.buckets_remaining = remaining.length;
    result.duration_ms = Date.now() - started.getTime();
    const done = remaining.length === 0;
    if (done) {
      await updateView(env.DB, projectId, name, {
        builtSnapshot: snapshot,
        builtVersion: view.version,
        pending: null,
        nextRunAt: nextRunAt(view.refresh, new Date()),
      });
    }
    await finishRun(env.DB, runId, {
      status: "succeeded",
      publishedSnapshot: result.published_snapshot,
      buckets: result.buckets,
      rows: result.rows,
      files: result.files,
      bytes: result.bytes,
      durationMs: result.duration_ms,
    });
    await recordFinishedRun(env.DB, lineageRun(view, result), started).catch((err) =>
      console.error(JSON.stringify({ level: "error", msg: "view lineage not recorded", error: String(err) })),
    );
    return { ...result, continue: !done };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await finishRun(env.DB, runId, {
      status: "failed",
      error: message.slice(0, 1000),
      durationMs: Date.now() - started.getTime(),
    });
    await recordFailedRun(env.DB, lineageRun(view, result), started).catch(() => undefined);
    throw err;
  }
}

function tally(result: RefreshResult, files: { rows: number; bytes: number }[]) {
  for (const f of files) {
    result.rows += f.rows;
    result.bytes += f.bytes;
    result.files += 1;
  }
}

/** The run as OpenLineage tells it: the tables the SELECT reads → the view. */
function lineageRun(view: ViewRow, result: RefreshResult) {
  return {
    projectId: view.projectId,
    runId: crypto.randomUUID(),
    job: `view.${view.name}`,
    processing: "BATCH" as const,
    inputs: [...view.dependsOn],
    outputs: [{ name: view.name, rows: result.rows, files: result.files, bytes: result.bytes }],
  };
}
