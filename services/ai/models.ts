// The model registry (D1) and the models themselves (JSON in R2, cached per isolate: a stored model never changes).
import { and, desc, eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { mlModels } from "../../shared/db/ai";
import { jobs } from "../../shared/db/jobs";
import { TarnError } from "../../shared/errors";
import { StoredModel } from "../../shared/ml/model";

export type ModelRow = typeof mlModels.$inferSelect;

const MAX_CACHED_MODELS = 32;
const cache = new Map<string, StoredModel>();

export function modelObjectKey(projectId: string, modelId: string): string {
  return `models/${projectId}/${modelId}.json`;
}

/** The next version number of (dataset, target, problem type) in the project. */
export async function nextModelVersion(
  db: D1Database,
  projectId: string,
  dataset: string,
  target: string,
  problemType: string,
): Promise<number> {
  const row = await drizzle(db)
    .select({ n: sql<number>`coalesce(max(${mlModels.version}), 0)` })
    .from(mlModels)
    .where(
      and(
        eq(mlModels.projectId, projectId),
        eq(mlModels.dataset, dataset),
        eq(mlModels.targetColumn, target),
        eq(mlModels.problemType, problemType as "regression"),
      ),
    )
    .get();
  return Number(row?.n ?? 0) + 1;
}

/** A model row with its job's status: a job that failed for good fails its model too. */
export async function modelRows(db: D1Database, projectId: string, id?: string) {
  const where = id ? and(eq(mlModels.projectId, projectId), eq(mlModels.id, id)) : eq(mlModels.projectId, projectId);
  return drizzle(db)
    .select({ model: mlModels, jobStatus: jobs.status, jobError: jobs.error })
    .from(mlModels)
    .leftJoin(jobs, eq(jobs.id, mlModels.jobId))
    .where(where)
    .orderBy(desc(mlModels.createdAt))
    .limit(500)
    .all();
}

/** The model as the API shows it. */
export function modelView(r: Awaited<ReturnType<typeof modelRows>>[number]) {
  const m = r.model;
  const failed = m.status === "failed" || (m.status === "training" && r.jobStatus === "failed");
  return {
    model_id: m.id,
    status: failed ? ("failed" as const) : m.status,
    version: m.version,
    dataset: m.dataset,
    target_column: m.targetColumn,
    problem_type: m.problemType,
    features: m.features,
    metrics: m.metrics ?? null,
    training_time_seconds: m.trainingTimeSeconds ?? null,
    rows_trained: m.rowsTrained ?? null,
    classes: m.classes ?? null,
    source_sql: m.sourceSql,
    snapshot: m.snapshot ?? null,
    job_id: m.jobId,
    error: m.error ?? (failed ? r.jobError : null) ?? null,
    created_at: m.createdAt,
  };
}

/** The stored model, ready to predict; NOT_FOUND when it does not exist or is not trained (yet). */
export async function loadModel(env: Pick<Env, "DB" | "LAKE">, projectId: string, id: string): Promise<StoredModel> {
  const cached = cache.get(`${projectId}/${id}`);
  if (cached) return cached;
  const row = await drizzle(env.DB)
    .select()
    .from(mlModels)
    .where(and(eq(mlModels.projectId, projectId), eq(mlModels.id, id)))
    .get();
  if (!row) throw new TarnError("NOT_FOUND", `no model ${id} in this project`);
  if (row.status !== "ready" || !row.objectKey) {
    throw new TarnError("CONFLICT", `model ${id} is ${row.status === "failed" ? "failed" : "still training"}`);
  }
  const object = await env.LAKE.get(row.objectKey);
  if (!object) throw new TarnError("UNAVAILABLE", `model ${id}'s file is missing; retrain it`, { retryAfter: 60 });
  const model = StoredModel.parse(await object.json());
  cache.set(`${projectId}/${id}`, model);
  if (cache.size > MAX_CACHED_MODELS) cache.delete(cache.keys().next().value as string);
  return model;
}
