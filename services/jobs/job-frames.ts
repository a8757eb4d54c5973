// Job progress on the live socket: every change of a job's row is pushed to the project's
// subscribers of `{"action": "subscribe", "stream": "jobs"}`.
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { jobs } from "../../shared/db/jobs";
import { hubStub } from "../stubs/live-hub";
import { jobView } from "./create-job";

/** Best effort: a hub that cannot be reached never fails the job (its row in D1 stays the truth). */
export async function publishJob(env: Env, jobId: string): Promise<void> {
  try {
    const row = await drizzle(env.DB).select().from(jobs).where(eq(jobs.id, jobId)).get();
    if (!row) return;
    const frame = { type: "job" as const, job: jobView(row), timestamp: new Date().toISOString() };
    await hubStub(env, row.projectId, 0).publish(row.projectId, [{ keys: ["jobs"], frame }]);
  } catch (err) {
    console.error(JSON.stringify({ level: "warn", msg: "job frame not published", job: jobId, error: String(err) }));
  }
}
