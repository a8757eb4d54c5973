// The cron's part for views: one job per project refreshing its due views in dependency order.

import { refreshOrder } from "../../shared/views/order";
import { createJob } from "../jobs/create-job";
import { dueViews, listViews } from "./store";

export async function planViewRefreshes(env: Pick<Env, "DB" | "JOBS_QUEUE">, now: Date): Promise<number> {
  const due = await dueViews(env.DB, now);
  const byProject = new Map<string, Set<string>>();
  for (const v of due) byProject.set(v.projectId, (byProject.get(v.projectId) ?? new Set()).add(v.name));
  let planned = 0;
  for (const [projectId, names] of byProject) {
    const all = await listViews(env.DB, projectId);
    const order = refreshOrder(all.map((v) => ({ name: v.name, dependsOn: v.dependsOn }))).filter((n) => names.has(n));
    await createJob(env, projectId, "view", { views: order });
    planned++;
  }
  return planned;
}
