// Retention: expired partitions leave the tables through the manifest, the quarantine keeps only
// its own window, and objects removed (or never published) longer ago than the grace period are deleted.
import { and, eq, isNotNull } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { forgetQuarantineBefore } from "../../services/ingest/quarantine";
import { r2AsyncBuffer } from "../../services/lake-objects/r2-buffer";
import { collectRemovedFiles, sweepOrphans } from "../../services/manifest/gc";
import { publish } from "../../services/manifest/publish";
import { listFiles } from "../../services/manifest/read";
import { unionTypedColumns } from "../../shared/contracts/typed-columns";
import { datasetSettings } from "../../shared/db/jobs";
import type { LakeRow } from "../../shared/lake/lake-row";
import { readLakeRowGroups } from "../../shared/parquet/lake-file";
import { writeSilver } from "./compact";

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

/**
 * Removes every expired event from the tables: a file whose newest event is older than its dataset's
 * retention leaves whole; a file holding both (bronze lands by arrival, so a backfill mixes ages) is
 * rewritten with its unexpired rows as silver files. One snapshot per dataset.
 */
async function expireFiles(env: Pick<Env, "DB" | "LAKE">, projectId: string, now: number, commitId: string) {
  const policies = await drizzle(env.DB)
    .select()
    .from(datasetSettings)
    .where(and(eq(datasetSettings.projectId, projectId), isNotNull(datasetSettings.retentionDays)))
    .all();
  let files = 0;
  let rows = 0;
  for (const p of policies) {
    const cutoff = now - (p.retentionDays ?? 0) * DAY_MS;
    const current = await listFiles(env.DB, projectId, { dataset: p.dataset });
    const expired = current.filter((f) => f.maxTs < cutoff);
    const straddling = current.filter((f) => f.minTs < cutoff && f.maxTs >= cutoff);
    if (expired.length === 0 && straddling.length === 0) continue;
    const kept: LakeRow[] = [];
    for (const file of straddling) {
      for await (const chunk of readLakeRowGroups(r2AsyncBuffer(env.LAKE, file.key, file.bytes))) {
        for (const row of chunk) if (row.ts >= cutoff) kept.push(row);
      }
    }
    const commit = `${commitId}:${p.dataset}`;
    const add =
      kept.length > 0
        ? await writeSilver(
            env.LAKE,
            projectId,
            p.dataset,
            kept,
            commit.replaceAll(":", "-"),
            unionTypedColumns(straddling.map((f) => f.columns)),
          )
        : [];
    await publish(env.DB, {
      projectId,
      kind: "retention",
      commitId: commit,
      remove: [...expired, ...straddling].map((f) => f.id),
      add,
    });
    files += expired.length;
    rows += expired.reduce((n, f) => n + f.rows, 0) + straddling.reduce((n, f) => n + f.rows, 0) - kept.length;
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
  const expired = await expireFiles(env, projectId, now, `retention:${jobId}`);
  const quarantine = await expireQuarantine(env.LAKE, projectId, now, settings.quarantineDays);
  // The replay index goes with the objects (same day boundary).
  const cutoffDay = new Date(now - settings.quarantineDays * DAY_MS).toISOString().slice(0, 10);
  await forgetQuarantineBefore(env.DB, projectId, `${cutoffDay}T00:00:00.000Z`);
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
