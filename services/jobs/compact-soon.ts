// Minor compaction: a project whose bronze files pile up (a backfill, a busy hour) gets a compaction
// job right after a landing instead of waiting for the hourly cron, so the file count stays small.
import { and, eq, gt, inArray, ne, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { readConfig } from "../../shared/config";
import { jobs } from "../../shared/db/jobs";
import { bronzeFileCounts } from "../manifest/read";
import { createJob } from "./create-job";

/** A queued or running compaction younger than this is trusted to be on it; an older one may be stuck. */
const PENDING_FOR_MS = 10 * 60_000;

/**
 * Whether the project has a compaction queued or running that started recently (besides `except`).
 * `evenSettling`: also one that waits to settle (queued with a delay); without it those do not count,
 * so a pile-up is compacted at once even while a settling job waits.
 */
async function compactionPending(
  db: D1Database,
  projectId: string,
  now: number,
  options: { except?: string; evenSettling: boolean },
): Promise<boolean> {
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
        options.except === undefined ? undefined : ne(jobs.id, options.except),
        options.evenSettling
          ? undefined
          : sql`NOT (${jobs.status} = 'queued' AND coalesce(json_extract(${jobs.params}, '$.settle'), 0) = 1)`,
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
 *
 * Below those thresholds, a project with bronze files to merge gets a compaction that waits
 * COMPACT_SETTLE_SECONDS (`params.settle`), when no compaction of the project is queued or running:
 * the tail of a burst (a backfill's last minute) is merged then, not at the next hourly run, so a
 * user's queries over it read few files soon after it ends. The job queued for a pile-up is minor
 * (`params.minor`: small silver files merge by tier, compaction-tiers.ts); when one ends
 * (`settleTiers`), the settling job is queued even without bronze left, to merge the tiers whole.
 * Returns the projects it queued a job for now (not those left to settle).
 */
export async function compactSoon(
  env: Env,
  projectIds: string[],
  options: { now?: number; exceptJob?: string; settleTiers?: boolean } = {},
): Promise<string[]> {
  const now = options.now ?? Date.now();
  const { compactBronzeFiles: threshold, compactSettleSeconds } = readConfig(env);
  const queued: string[] = [];
  for (const projectId of projectIds) {
    const counts = await bronzeFileCounts(env.DB, projectId);
    const total = [...counts.values()].reduce((a, n) => a + n, 0);
    if (total >= threshold * PROJECT_FACTOR || [...counts.values()].some((n) => n >= threshold)) {
      if (await compactionPending(env.DB, projectId, now, { except: options.exceptJob, evenSettling: false })) continue;
      await createJob(env, projectId, "compact", { minor: true });
      queued.push(projectId);
    } else if (compactSettleSeconds > 0 && (counts.size > 0 || options.settleTiers)) {
      if (await compactionPending(env.DB, projectId, now, { except: options.exceptJob, evenSettling: true })) continue;
      await createJob(env, projectId, "compact", { settle: true }, { delaySeconds: compactSettleSeconds });
    }
  }
  return queued;
}
