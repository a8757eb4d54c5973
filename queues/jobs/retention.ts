// Retention: expired partitions leave the tables through the manifest, the quarantine keeps only
// its own window, and objects removed (or never published) longer ago than the grace period are deleted.
import { and, eq, isNotNull } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { collectRemovedFiles, sweepOrphans } from "../../services/manifest/gc";
import { publish } from "../../services/manifest/publish";
import { listFiles } from "../../services/manifest/read";
import { datasetSettings } from "../../shared/db/jobs";

const DAY_MS = 86_400_000;

export interface RetentionSettings {
  /** Days a quarantined event is kept. */
  quarantineDays: number;
  /** Hours a replaced object stays readable for time travel before it is deleted. */
  gcGraceHours: number;
}

export interface RetentionResult {
  files_expired: number;
  rows_expired: number;
  quarantine_objects_deleted: number;
  objects_deleted: number;
  /** Lake objects never published (their writer died) and staged request bodies, past the grace period. */
  orphans_deleted: number;
  staged_deleted: number;
}

/** Removes from the tables every file whose newest event is older than its dataset's retention. */
async function expireFiles(db: D1Database, projectId: string, now: number, commitId: string) {
  const policies = await drizzle(db)
    .select()
    .from(datasetSettings)
    .where(and(eq(datasetSettings.projectId, projectId), isNotNull(datasetSettings.retentionDays)))
    .all();
  let files = 0;
  let rows = 0;
  for (const p of policies) {
    const cutoff = now - (p.retentionDays ?? 0) * DAY_MS;
    const expired = (await listFiles(db, projectId, { dataset: p.dataset })).filter((f) => f.maxTs < cutoff);
    if (expired.length === 0) continue;
    await publish(db, {
      projectId,
      kind: "retention",
      commitId: `${commitId}:${p.dataset}`,
      remove: expired.map((f) => f.id),
      add: [],
    });
    files += expired.length;
    rows += expired.reduce((n, f) => n + f.rows, 0);
  }
  return { files, rows };
}

/** Deletes quarantine objects from days before the window (keys start with the day). */
async function expireQuarantine(lake: R2Bucket, projectId: string, now: number, days: number): Promise<number> {
  const cutoffDay = new Date(now - days * DAY_MS).toISOString().slice(0, 10);
  const prefix = `quarantine/${projectId}/`;
  let deleted = 0;
  let cursor: string | undefined;
  do {
    const page = await lake.list({ prefix, cursor, limit: 1000 });
    const old = page.objects.map((o) => o.key).filter((k) => k.slice(prefix.length, prefix.length + 10) < cutoffDay);
    if (old.length > 0) await lake.delete(old);
    deleted += old.length;
    // Keys sort by day: once a page has a key inside the window, the rest are too.
    if (old.length < page.objects.length) break;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return deleted;
}

export async function runRetention(
  env: Pick<Env, "DB" | "LAKE">,
  projectId: string,
  jobId: string,
  settings: RetentionSettings,
  now = Date.now(),
): Promise<RetentionResult> {
  const expired = await expireFiles(env.DB, projectId, now, `retention:${jobId}`);
  const quarantine = await expireQuarantine(env.LAKE, projectId, now, settings.quarantineDays);
  const graceStart = new Date(now - settings.gcGraceHours * 3_600_000);
  const objects = await collectRemovedFiles(env, projectId, graceStart.toISOString());
  const sweep = await sweepOrphans(env, projectId, graceStart);
  return {
    files_expired: expired.files,
    rows_expired: expired.rows,
    quarantine_objects_deleted: quarantine,
    objects_deleted: objects,
    orphans_deleted: sweep.orphans,
    staged_deleted: sweep.staged,
  };
}
