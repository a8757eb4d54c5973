// The profile job: one dataset on demand (POST /v1/datasets/{name}/profile), or nightly every event
// dataset of the project (uploads are profiled by their conversion).
import { datasetSummaries, ownTables } from "../../services/manifest/read";
import { profileDataset } from "../../services/uploads/profile-dataset";

export async function runProfiles(
  env: Env,
  job: { projectId: string; params: Record<string, unknown> },
  progress: (percent: number) => Promise<void>,
): Promise<Record<string, unknown>> {
  const only = typeof job.params.dataset === "string" ? job.params.dataset : null;
  let names: string[];
  if (only) names = [only];
  else {
    const own = await ownTables(env.DB, job.projectId);
    names = (await datasetSummaries(env.DB, job.projectId)).map((d) => d.name).filter((n) => !own.has(n));
  }
  const scores: Record<string, number> = {};
  for (const [i, name] of names.entries()) {
    scores[name] = (await profileDataset(env, job.projectId, name)).quality_score;
    await progress(Math.floor(((i + 1) / names.length) * 100));
  }
  return { profiled: names.length, quality_scores: scores };
}
