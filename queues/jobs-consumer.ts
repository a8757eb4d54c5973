// The jobs queue consumer: runs one job per message, recording status, progress and attempts in D1.
import { exports } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { compactSoon } from "../services/jobs/compact-soon";
import { createJob, type JobRow } from "../services/jobs/create-job";
import { publishJob } from "../services/jobs/job-frames";
import { compactionCandidates, lastAppendAt } from "../services/manifest/read";
import { runExpectations } from "../services/uploads/run-expectations";
import type { ViewHooks } from "../services/views/refresh";
import { readConfig, type TarnConfig } from "../shared/config";
import { jobs } from "../shared/db/jobs";
import { TarnError } from "../shared/errors";
import { type JobMessage, JobMessageSchema } from "../shared/job-message";
import { backoffSeconds } from "./events-consumer";
import { runBackfill } from "./jobs/backfill";
import { type CompactHooks, type CompactResult, compactPartition } from "./jobs/compact";
import { type EraseHooks, runErasure } from "./jobs/erase";
import { runImport } from "./jobs/import";
import { runProfiles } from "./jobs/profile";
import { runRetention } from "./jobs/retention";
import { runRollup } from "./jobs/rollup";
import { runSubjectExport } from "./jobs/subject-export";
import { runTrain } from "./jobs/train";
import { runUpload, type UploadHooks } from "./jobs/upload";
import { runViewJob } from "./jobs/view";

/** After this many attempts a job is marked failed (the queue then dead-letters its message). */
export const MAX_JOB_ATTEMPTS = 5;

export interface JobHooks {
  compact?: CompactHooks;
  erase?: EraseHooks;
  view?: ViewHooks;
  upload?: UploadHooks;
  /** The invocation's ctx.exports: training reads through the query engine, which may split its scan. */
  exports?: Cloudflare.Exports;
}

/** What a job that stops before its work is done returns: runJob queues its next invocation. */
const CONTINUE = "__continue";

type Progress = (percent: number) => Promise<void>;

/** Whether the project took in events within the last COMPACT_SETTLE_SECONDS. */
async function stillLanding(env: Env, job: JobRow, config: TarnConfig): Promise<boolean> {
  const last = await lastAppendAt(env.DB, job.projectId);
  return last !== null && Date.now() - Date.parse(last) < config.compactSettleSeconds * 1000;
}

/**
 * Compacts in two phases: bronze units first (a dataset's files of one arrival day → silver files by
 * event day), then event days whose small silver files can merge (including what phase one wrote).
 * The invocation reads at most `compactMaxFilesPerRun` files (each costs a few R2 subrequests, and
 * an invocation's subrequests are limited), then hands the rest to a new job. Every unit is
 * published on its own, so the follow-up simply finds fewer candidates.
 */
async function runCompact(env: Env, job: JobRow, attempt: number, progress: Progress, hooks: JobHooks) {
  const params = job.params as { dataset?: string; day?: string; minor?: boolean; settle?: boolean };
  const config = readConfig(env);
  const { compactTargetRows: targetRows, compactTargetBytes: targetBytes, compactMaxFilesPerRun } = config;
  // A settling job that finds events still arriving merges by tier too: the burst is not over, and
  // its end queues the next settling job.
  const tiered = params.minor === true || (params.settle === true && (await stillLanding(env, job, config)));
  const total: CompactResult = {
    partitions: 0,
    files_left: 0,
    files_in: 0,
    files_out: 0,
    rows_in: 0,
    rows_out: 0,
    duplicates_removed: 0,
    bytes_in: 0,
    bytes_out: 0,
  };
  const touched = new Set<string>();
  for (const [phase, layer] of (["bronze", "silver"] as const).entries()) {
    const all = await compactionCandidates(env.DB, job.projectId, params, {
      rows: targetRows / 2,
      bytes: targetBytes / 2,
    });
    const units = all.filter((u) => u.layer === layer);
    for (const [i, unit] of units.entries()) {
      const budget = compactMaxFilesPerRun - total.files_in;
      if (total.files_in > 0 && budget < 2) {
        const next = await createJob(env, job.projectId, "compact", params);
        return { ...total, partitions_left: all.length - i, continued_by: next.id };
      }
      const r = await compactPartition(
        env,
        job.projectId,
        unit,
        {
          id: job.id,
          attempt,
          targetRows,
          targetBytes,
          maxFiles: Math.max(2, budget),
          maxBytes: 4 * targetBytes,
          tiered,
        },
        hooks.compact,
      );
      if (r) for (const k of Object.keys(total) as (keyof CompactResult)[]) total[k] += r[k];
      if (r) touched.add(unit.dataset);
      if (r && r.files_left > 0) {
        // The unit had more files than this run may read: the follow-up starts where it stopped.
        const next = await createJob(env, job.projectId, "compact", params);
        return { ...total, partitions_left: all.length - i, continued_by: next.id };
      }
      await progress(Math.floor(50 * phase + ((i + 1) / units.length) * 50));
    }
  }
  // Expectations of the datasets this compaction rewrote are measured on their new files.
  for (const name of touched) await runExpectations(env, exports, job.projectId, name, "compaction");
  await progress(100);
  // Bronze that landed while this ran: the next compaction starts now, not at the next landing. After
  // a minor one, the settling compaction merges what its tiers left, once the burst is over.
  const next =
    total.files_in > 0 || tiered
      ? await compactSoon(env, [job.projectId], { exceptJob: job.id, settleTiers: tiered })
      : [];
  return { ...total, ...(next.length > 0 ? { followed_by_compaction: true } : {}) } as unknown as Record<
    string,
    unknown
  >;
}

async function execute(env: Env, job: JobRow, attempt: number, progress: Progress, hooks: JobHooks) {
  const config = readConfig(env);
  switch (job.type) {
    case "compact":
      return runCompact(env, job, attempt, progress, hooks);
    case "retention":
      return (await runRetention(env, job.projectId, job.id, {
        quarantineDays: config.quarantineRetentionDays,
        gcGraceHours: config.gcGraceHours,
      })) as unknown as Record<string, unknown>;
    case "rollup":
      return (await runRollup(env, job.projectId, progress)) as unknown as Record<string, unknown>;
    case "erase":
      return runErasure(env, job.projectId, job.params, { id: job.id, attempt }, hooks.erase);
    case "subject-export":
      return runSubjectExport(env, job.projectId, job.params);
    case "view":
      return (await runViewJob(env, job, attempt, attempt >= MAX_JOB_ATTEMPTS, hooks.view)) as unknown as Record<
        string,
        unknown
      >;
    case "backfill":
      return (await runBackfill(env, job)) as unknown as Record<string, unknown>;
    case "profile":
      return runProfiles(env, job, progress);
    case "upload": {
      const outcome = await runUpload(env, job, progress, hooks.upload);
      return outcome.continue ? { [CONTINUE]: outcome.progress } : outcome.result;
    }
    case "train":
      return runTrain(env, job.projectId, job.params as { model_id?: string }, hooks.exports, progress);
    case "import":
      return runImport(env, job, progress, hooks.upload);
  }
}

/** Runs one job; returns "done" (ack) or "retry". Idempotent: a finished job is not run again. */
export async function runJob(env: Env, jobId: string, hooks: JobHooks = {}): Promise<"done" | "retry"> {
  const d = drizzle(env.DB);
  const job = await d.select().from(jobs).where(eq(jobs.id, jobId)).get();
  if (!job || job.status === "succeeded" || job.status === "failed") return "done";
  const attempt = job.attempts + 1;
  await d
    .update(jobs)
    .set({ status: "running", attempts: attempt, startedAt: new Date().toISOString(), error: null })
    .where(eq(jobs.id, jobId))
    .run();
  await publishJob(env, jobId);
  const progress: Progress = (percent) =>
    d
      .update(jobs)
      .set({ progress: percent })
      .where(eq(jobs.id, jobId))
      .run()
      .then(() => publishJob(env, jobId));
  try {
    const result = await execute(env, job, attempt, progress, hooks);
    if (result && CONTINUE in result) {
      // Progress was made and checkpointed: the same job goes on in a fresh invocation (fresh CPU and
      // subrequest budgets), its attempts counted anew.
      await d
        .update(jobs)
        .set({ status: "queued", attempts: 0, progress: Number(result[CONTINUE]) })
        .where(eq(jobs.id, jobId))
        .run();
      await env.JOBS_QUEUE.send({ job_id: jobId, project: job.projectId } satisfies JobMessage, {
        contentType: "json",
      });
      await publishJob(env, jobId);
      return "done";
    }
    await d
      .update(jobs)
      .set({ status: "succeeded", progress: 100, result, finishedAt: new Date().toISOString() })
      .where(eq(jobs.id, jobId))
      .run();
    await publishJob(env, jobId);
    return "done";
  } catch (err) {
    const permanent = err instanceof TarnError && err.code === "VALIDATION_ERROR";
    const failed = permanent || attempt >= MAX_JOB_ATTEMPTS;
    await d
      .update(jobs)
      .set({
        status: failed ? "failed" : "queued",
        error: String(err instanceof Error ? err.message : err).slice(0, 1000),
        finishedAt: failed ? new Date().toISOString() : null,
      })
      .where(eq(jobs.id, jobId))
      .run();
    console.error(JSON.stringify({ level: "error", msg: "job failed", job: jobId, attempt, error: String(err) }));
    await publishJob(env, jobId);
    return failed ? "done" : "retry";
  }
}

export async function consumeJobs(batch: MessageBatch<unknown>, env: Env, hooks: JobHooks = {}): Promise<void> {
  for (const message of batch.messages) {
    const parsed = JobMessageSchema.safeParse(message.body);
    if (!parsed.success) {
      console.error(JSON.stringify({ level: "error", msg: "bad jobs message", id: message.id }));
      message.retry({ delaySeconds: backoffSeconds(message.attempts) });
      continue;
    }
    const outcome = await runJob(env, parsed.data.job_id, hooks);
    if (outcome === "done") message.ack();
    else message.retry({ delaySeconds: backoffSeconds(message.attempts) });
  }
}
