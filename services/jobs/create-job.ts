// Creating a job: a row in D1 (its status and progress), then a message on the jobs queue.
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { type JobType, jobs } from "../../shared/db/jobs";
import { TarnError } from "../../shared/errors";
import { newId } from "../../shared/ids";
import type { JobMessage } from "../../shared/job-message";

export type JobRow = typeof jobs.$inferSelect;

/** `delaySeconds`: the job stays queued that long before it runs (the queue delivers it then). */
export async function createJob(
  env: Pick<Env, "DB" | "JOBS_QUEUE">,
  projectId: string,
  type: JobType,
  params: Record<string, unknown>,
  options: { delaySeconds?: number } = {},
): Promise<JobRow> {
  const id = newId("job");
  const d = drizzle(env.DB);
  const row = await d.insert(jobs).values({ id, type, projectId, params, status: "queued" }).returning().get();
  try {
    await env.JOBS_QUEUE.send({ job_id: id, project: projectId } satisfies JobMessage, {
      contentType: "json",
      ...(options.delaySeconds ? { delaySeconds: options.delaySeconds } : {}),
    });
  } catch (err) {
    await d
      .update(jobs)
      .set({ status: "failed", error: "the jobs queue refused the job" })
      .where(eq(jobs.id, id))
      .run();
    console.error(JSON.stringify({ level: "error", msg: "jobs queue refused", error: String(err) }));
    throw new TarnError("UNAVAILABLE", "the jobs queue refused the job; retry", { retryAfter: 5 });
  }
  return row;
}

/** The job as the API shows it. */
export function jobView(j: JobRow) {
  return {
    id: j.id,
    type: j.type,
    params: j.params,
    status: j.status,
    progress: j.progress,
    attempts: j.attempts,
    error: j.error,
    result: j.result ?? null,
    created_at: j.createdAt,
    started_at: j.startedAt,
    finished_at: j.finishedAt,
  };
}
