// The view job: refreshes one view (POST /v1/views/{name}/refresh) or, from the cron, a project's due
// views in dependency order. A view whose run failed keeps its previous version; views that read it
// are skipped this time (they would only copy stale input), and an alert goes out when the failure is final.

import { z } from "zod";
import { createJob, type JobRow } from "../../services/jobs/create-job";
import { raiseViewAlert } from "../../services/views/alert";
import { type RefreshResult, refreshView, type ViewHooks } from "../../services/views/refresh";
import { listViews } from "../../services/views/store";
import { dependentsOf } from "../../shared/views/order";

const ViewJobParams = z.object({
  /** One view (manual refresh, or a follow-up step). */
  view: z.string().optional(),
  /** Several views, already in dependency order (the cron). */
  views: z.array(z.string()).optional(),
});

export interface ViewJobResult {
  refreshed: RefreshResult[];
  failed: { view: string; error: string }[];
  skipped: string[];
  continued_by?: string;
}

export async function runViewJob(
  env: Env,
  job: JobRow,
  attempt: number,
  final: boolean,
  hooks: ViewHooks = {},
): Promise<ViewJobResult> {
  const params = ViewJobParams.parse(job.params);
  const names = params.views ?? (params.view ? [params.view] : []);
  const out: ViewJobResult = { refreshed: [], failed: [], skipped: [] };
  const skip = new Set<string>();
  const all = (await listViews(env.DB, job.projectId)).map((v) => ({ name: v.name, dependsOn: v.dependsOn }));
  for (const [i, name] of names.entries()) {
    if (skip.has(name)) {
      out.skipped.push(name);
      continue;
    }
    try {
      const r = await refreshView(env, job.projectId, name, { id: job.id, attempt }, hooks);
      const { continue: more, ...result } = r;
      out.refreshed.push(result);
      if (more) {
        // The rest of this view's buckets, then the views after it, in a job of their own.
        const next = await createJob(env, job.projectId, "view", { views: names.slice(i).filter((n) => !skip.has(n)) });
        out.continued_by = next.id;
        return out;
      }
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      // One view asked for: the queue retries the job; the alert waits for the last attempt.
      if (names.length === 1) {
        if (final) await raiseViewAlert(env, job.projectId, name, error);
        throw err;
      }
      out.failed.push({ view: name, error });
      await raiseViewAlert(env, job.projectId, name, error);
      for (const d of dependentsOf(name, all)) skip.add(d);
    }
  }
  return out;
}
