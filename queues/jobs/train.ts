// The training job: reads the model's rows through the query engine, trains, stores the model in R2
// and its metrics in the registry. Training runs in slices of TRAIN_SLICE_MS: a slice that runs out
// saves its checkpoint in R2 and hands on to a follow-up job, which reads the same rows (the snapshot
// is pinned) and goes on from there. Past 30 minutes from the request the job stops and fails.
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { modelObjectKey } from "../../services/ai/models";
import { createJob } from "../../services/jobs/create-job";
import { coordinateQuery } from "../../services/query/coordinator";
import { mlModels } from "../../shared/db/ai";
import { TarnError } from "../../shared/errors";
import type { RawValue } from "../../shared/ml/encode";
import type { FitCheckpoint } from "../../shared/ml/logistic";
import { TrainingError, trainModel } from "../../shared/ml/train";
import type { ProjectPrincipal } from "../../shared/principal";

/** API.md: "A training run past 30 minutes is stopped and failed." */
export const TRAINING_LIMIT_MS = 30 * 60_000;
/** Default training time per job invocation before it checkpoints (queue consumers get minutes of CPU at most). */
const DEFAULT_SLICE_MS = 20_000;

const checkpointKey = (projectId: string, modelId: string) => `models/${projectId}/${modelId}.checkpoint.json`;

function cell(v: unknown): RawValue {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return Number(v);
  if (v instanceof Date) return v.getTime();
  if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") return v;
  return JSON.stringify(v);
}

async function fail(db: D1Database, modelId: string, reason: string): Promise<never> {
  await drizzle(db)
    .update(mlModels)
    .set({ status: "failed", error: reason.slice(0, 1000), finishedAt: new Date().toISOString() })
    .where(eq(mlModels.id, modelId))
    .run();
  // VALIDATION_ERROR: the job runner fails the job at once instead of retrying it.
  throw new TarnError("VALIDATION_ERROR", reason);
}

export async function runTrain(
  env: Env,
  projectId: string,
  params: { model_id?: string; checkpoint?: boolean },
  exports: Cloudflare.Exports | undefined,
  progress: (percent: number) => Promise<void>,
): Promise<Record<string, unknown>> {
  const db = drizzle(env.DB);
  const model = await db
    .select()
    .from(mlModels)
    .where(eq(mlModels.id, String(params.model_id)))
    .get();
  if (!model || model.projectId !== projectId) throw new TarnError("VALIDATION_ERROR", "the model of this job is gone");
  if (model.status !== "training") return { model_id: model.id, status: model.status };
  const deadline =
    Date.parse(`${model.createdAt.replace(" ", "T")}${model.createdAt.endsWith("Z") ? "" : "Z"}`) + TRAINING_LIMIT_MS;
  if (Date.now() > deadline) return fail(env.DB, model.id, "training ran past 30 minutes and was stopped");

  const started = Date.now();
  let answer: Awaited<ReturnType<typeof coordinateQuery>>;
  try {
    answer = await coordinateQuery(
      {
        env,
        exports: exports ?? ({} as Cloudflare.Exports),
        waitUntil: (work) => void work.catch(() => {}),
        projectId,
        // As the principal who asked for the model: a model never learns from rows its owner cannot read.
        principal: (model.params as { principal?: ProjectPrincipal }).principal ?? "system",
      },
      // A follow-up slice reads exactly the rows the first one did.
      model.snapshot === null ? { sql: model.sourceSql } : { sql: model.sourceSql, snapshot: model.snapshot },
    );
  } catch (err) {
    // Bad SQL or a query too large cannot get better by retrying.
    if (err instanceof TarnError && err.status < 500)
      return fail(env.DB, model.id, `reading the rows failed: ${err.message}`);
    throw err;
  }
  await progress(30);
  // Rows in a fixed order, so the seeded split is the same however the files were read.
  const rows = answer.rows
    .map((r) => r.map(cell))
    .sort((a, b) => {
      const x = JSON.stringify(a);
      const y = JSON.stringify(b);
      return x < y ? -1 : x > y ? 1 : 0;
    });
  const n = model.features.length;
  const p = model.params as { regularization?: number; seed?: number };
  if (model.snapshot === null) {
    await db.update(mlModels).set({ snapshot: answer.statistics.snapshot }).where(eq(mlModels.id, model.id)).run();
  }
  const saved = params.checkpoint
    ? ((await (await env.LAKE.get(checkpointKey(projectId, model.id)))?.json()) as
        | (FitCheckpoint & { seconds: number })
        | undefined)
    : undefined;
  const resume = saved ? { weights: saved.weights, step: saved.step, iteration: saved.iteration } : undefined;
  const sliceEnds = Date.now() + (Number((env as { TRAIN_SLICE_MS?: string }).TRAIN_SLICE_MS) || DEFAULT_SLICE_MS);
  let out: ReturnType<typeof trainModel>;
  try {
    out = trainModel({
      problem_type: model.problemType,
      features: model.features,
      rows: rows.map((r) => r.slice(0, n)),
      target: rows.map((r) => r[n] ?? null),
      regularization: p.regularization,
      seed: p.seed,
      shouldStop: () => Date.now() > Math.min(deadline, sliceEnds),
      resume,
    });
  } catch (err) {
    if (err instanceof TrainingError) return fail(env.DB, model.id, err.message);
    throw err;
  }
  if (Date.now() > deadline) return fail(env.DB, model.id, "training ran past 30 minutes and was stopped");
  if ("paused" in out) {
    const seconds = (saved?.seconds ?? 0) + (Date.now() - started) / 1000;
    await env.LAKE.put(checkpointKey(projectId, model.id), JSON.stringify({ ...out.checkpoint, seconds }));
    const next = await createJob(env, projectId, "train", { model_id: model.id, checkpoint: true });
    await db.update(mlModels).set({ jobId: next.id }).where(eq(mlModels.id, model.id)).run();
    return { model_id: model.id, iterations: out.checkpoint.iteration, continued_by: next.id };
  }
  await progress(90);
  const key = modelObjectKey(projectId, model.id);
  await env.LAKE.put(key, JSON.stringify(out.model), { httpMetadata: { contentType: "application/json" } });
  if (params.checkpoint) await env.LAKE.delete(checkpointKey(projectId, model.id));
  // Training time over every slice (reading the rows included), not the time spent queued between them.
  const seconds = (saved?.seconds ?? 0) + (Date.now() - started) / 1000;
  await db
    .update(mlModels)
    .set({
      status: "ready",
      metrics: out.metrics,
      classes: out.classes,
      rowsTrained: out.rows_trained,
      trainingTimeSeconds: seconds,
      objectKey: key,
      snapshot: answer.statistics.snapshot,
      finishedAt: new Date().toISOString(),
    })
    .where(eq(mlModels.id, model.id))
    .run();
  return {
    model_id: model.id,
    metrics: out.metrics,
    rows_trained: out.rows_trained,
    rows_tested: out.rows_tested,
    training_time_seconds: seconds,
  };
}
