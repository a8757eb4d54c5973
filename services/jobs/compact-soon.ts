// Minor compaction: a project whose bronze files pile up (a backfill, a busy hour) gets a compaction
// job right after a landing instead of waiting for the hourly cron, so the file count stays small.
import { and, eq, gt, inArray, ne } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { readConfig } from "../../shared/config";
import { jobs } from "../../shared/db/jobs";
import { bronzeFileCounts } from "../manifest/read";
import { createJob } from "./create-job";

/** A queued or running compaction younger than this is trusted to be on it; an older one may be stuck. */
const PENDING_FOR_MS = 10 * 60_000;

/** Whether the project has a compaction queued or running that started recently (besides `except`). */
async function compactionPending(db: D1Database, projectId: string, now: number, except?: string): Promise<boolean> {
  const since = new Date(now - PENDING_FOR_MS).toISOString();
  const row = await drizzle(db)
    .select({ id: jobs.id })
    .from(jobs)
    .where(
      and(
        eq(jobs.projectId, projectId),
        eq(jobs.type, "compact"),
        inArray(jobs.status, ["queued", "running"]),
        gt(jobs.createdAt, since),
        except === undefined ? undefined : ne(jobs.id, except),
      ),
    )
    .limit(1)
    .get();
  return row !== undefined;
}

/** A project with this many times COMPACT_BRONZE_FILES bronze files in all (many event types, each with a few) is compacted too. */
const PROJECT_FACTOR = 4;

/**
 * For each project, queues one compaction when some dataset has at least COMPACT_BRONZE_FILES
 * current bronze files, or the project has PROJECT_FACTOR times that many in all (queries read
 * every event type's files), and none is already under way. A finishing compaction calls it too
 * (`exceptJob`: itself), so files that landed while it ran are taken on even when ingest has stopped.
 * Returns the projects it queued a job for.
 */
export async function compactSoon(
  env: Env,
  projectIds: string[],
  options: { now?: number; exceptJob?: string } = {},
): Promise<string[]> {
  const now = options.now ?? Date.now();
  const threshold = readConfig(env).compactBronzeFiles;
  const queued: string[] = [];
  for (const projectId of projectIds) {
    const counts = await bronzeFileCounts(env.DB, projectId);
    const total = [...counts.values()].reduce((a, n) => a + n, 0);
    if (total < threshold * PROJECT_FACTOR && ![...counts.values()].some((n) => n >= threshold)) continue;
    if (await compactionPending(env.DB, projectId, now, options.exceptJob)) continue;
    await createJob(env, projectId, "compact", {});
    queued.push(projectId);
  }
  return queued;
}
