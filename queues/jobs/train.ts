// The training job: reads the model's rows through the query engine, trains, stores the model in R2
// and its metrics in the registry. Past 30 minutes from the request the job stops and fails.
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { modelObjectKey } from "../../services/ai/models";
import { coordinateQuery } from "../../services/query/coordinator";
import { mlModels } from "../../shared/db/ai";
import { TarnError } from "../../shared/errors";
import type { RawValue } from "../../shared/ml/encode";
import { TrainingError, trainModel } from "../../shared/ml/train";

/** API.md: "A training run past 30 minutes is stopped and failed." */
export const TRAINING_LIMIT_MS = 30 * 60_000;

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
  params: { model_id?: string },
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
      },
      { sql: model.sourceSql },
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
  let out: ReturnType<typeof trainModel>;
  try {
    out = trainModel({
      problem_type: model.problemType,
      features: model.features,
      rows: rows.map((r) => r.slice(0, n)),
      target: rows.map((r) => r[n] ?? null),
      regularization: p.regularization,
      seed: p.seed,
      shouldStop: () => Date.now() > deadline,
    });
  } catch (err) {
    if (err instanceof TrainingError) return fail(env.DB, model.id, err.message);
    throw err;
  }
  if (Date.now() > deadline) return fail(env.DB, model.id, "training ran past 30 minutes and was stopped");
  await progress(90);
  const key = modelObjectKey(projectId, model.id);
  await env.LAKE.put(key, JSON.stringify(out.model), { httpMetadata: { contentType: "application/json" } });
  const seconds = (Date.now() - started) / 1000;
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
