// Rollups (gold): hourly counts and HyperLogLog sketches per envelope dimensions at every level
// (grouping set), rebuilt for every hour whose rollup is missing or stale, each hour's levels
// published atomically in one D1 batch.

import { and, eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { r2AsyncBuffer } from "../../services/lake-objects/r2-buffer";
import { recordFinishedRun } from "../../services/lineage/record";
import { filesChangedSince, latestSnapshot, listFiles } from "../../services/manifest/read";
import { toBase64 } from "../../shared/base64";
import { rollupHours, rollups } from "../../shared/db/rollups";
import { EVENT_LAYERS } from "../../shared/lake/partition";
import { readLakeRowGroups } from "../../shared/parquet/lake-file";
import { createRollupBuilder } from "../../shared/rollup/build";
import { DAY_MS, LEVEL_NAMES, type RollupGroup } from "../../shared/rollup/dims";
import { hoursOf, validHours } from "../../shared/rollup/validity";

/** Hours rebuilt by one job at most; the next run carries on with the rest. */
export const MAX_HOURS_PER_JOB = 24 * 31;
/** Rows per multi-row insert: 11 bound values each, under D1's 100 parameters a statement. */
const ROWS_PER_INSERT = 9;

export interface RollupResult {
  snapshot: number;
  hours_built: number;
  hours_valid: number;
  hours_remaining: number;
  groups: number;
  /** Events rolled up (each counted once, though every level holds it). */
  events: number;
  files_read: number;
}

/** Events in an hour's groups: the sum over any one level (each level covers every row once). */
const eventsOf = (groups: RollupGroup[]) => groups.reduce((n, g) => (g.level === LEVEL_NAMES[0] ? n + g.count : n), 0);

/** Hours that need building at `snapshot`: data without a valid rollup, and stale rollups of emptied hours. */
async function hoursToBuild(db: D1Database, projectId: string, snapshot: number) {
  const d = drizzle(db);
  // Rollups count events: tables of their own (uploads, views) are not in them.
  const files = await listFiles(db, projectId, { snapshot, layers: EVENT_LAYERS });
  const withData = new Set(files.flatMap((f) => hoursOf(f)));
  const builtRows = await d
    .select({ hourMs: rollupHours.hourMs, builtSnapshot: rollupHours.builtSnapshot })
    .from(rollupHours)
    .where(eq(rollupHours.projectId, projectId))
    .all();
  const built = new Map(builtRows.map((r) => [r.hourMs, r.builtSnapshot]));
  const oldest = Math.min(...built.values());
  const changed = built.size ? await filesChangedSince(db, projectId, oldest) : [];
  const valid = validHours(built, changed);
  const todo = new Set([...withData, ...built.keys()].filter((h) => !valid.has(h)));
  return { files, todo: [...todo].sort((a, b) => a - b), valid: valid.size };
}

/** Replaces one hour's groups (every level) and records the snapshot they were built at, atomically. */
async function publishHour(db: D1Database, projectId: string, hourMs: number, snapshot: number, groups: RollupGroup[]) {
  const d = drizzle(db);
  const values = groups.map((g) => ({
    projectId,
    hourMs,
    level: g.level,
    eventType: g.dims.event_type as string,
    environment: g.dims.environment,
    source: g.dims.source,
    country: g.dims.country,
    region: g.dims.region,
    count: g.count,
    usersHll: toBase64(g.sketches.user_id),
    sessionsHll: toBase64(g.sketches.session_id),
  }));
  const inserts = Array.from({ length: Math.ceil(values.length / ROWS_PER_INSERT) }, (_, i) =>
    d.insert(rollups).values(values.slice(i * ROWS_PER_INSERT, (i + 1) * ROWS_PER_INSERT)),
  );
  const hour = { groups: groups.length, events: eventsOf(groups), builtSnapshot: snapshot };
  await d.batch([
    d.delete(rollups).where(and(eq(rollups.projectId, projectId), eq(rollups.hourMs, hourMs))),
    ...inserts,
    d
      .insert(rollupHours)
      .values({ projectId, hourMs, ...hour })
      .onConflictDoUpdate({
        target: [rollupHours.projectId, rollupHours.hourMs],
        set: { ...hour, builtAt: sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))` },
      }),
  ] as unknown as Parameters<typeof d.batch>[0]);
}

/**
 * Builds the missing or stale hours of a project from the lake as of its newest snapshot, a day
 * at a time (each file read once per day). Idempotent: a retry rebuilds the same hours the same way.
 */
export async function runRollup(
  env: Pick<Env, "DB" | "LAKE">,
  projectId: string,
  progress: (percent: number) => Promise<void> = async () => {},
): Promise<RollupResult> {
  const startedAt = new Date();
  const snapshot = await latestSnapshot(env.DB, projectId);
  const { files, todo, valid } = await hoursToBuild(env.DB, projectId, snapshot);
  const datasetsRead = new Set<string>();
  const hours = todo.slice(0, MAX_HOURS_PER_JOB);
  const result: RollupResult = {
    snapshot,
    hours_built: 0,
    hours_valid: valid,
    hours_remaining: todo.length - hours.length,
    groups: 0,
    events: 0,
    files_read: 0,
  };
  const days = new Map<number, number[]>();
  for (const h of hours) {
    const day = Math.floor(h / DAY_MS) * DAY_MS;
    days.set(day, [...(days.get(day) ?? []), h]);
  }
  for (const [day, dayHours] of days) {
    const wanted = new Set(dayHours);
    const builder = createRollupBuilder((h) => wanted.has(h));
    for (const f of files) {
      if (f.maxTs < day || f.minTs >= day + DAY_MS || !hoursOf(f).some((h) => wanted.has(h))) continue;
      result.files_read++;
      datasetsRead.add(f.dataset);
      for await (const rows of readLakeRowGroups(r2AsyncBuffer(env.LAKE, f.key, f.bytes))) builder.add(rows);
    }
    const built = builder.groups();
    for (const h of dayHours) {
      const groups = built.get(h) ?? [];
      await publishHour(env.DB, projectId, h, snapshot, groups);
      result.hours_built++;
      result.groups += groups.length;
      result.events += eventsOf(groups);
    }
    await progress(Math.floor((result.hours_built / hours.length) * 100));
  }
  if (result.hours_built > 0) {
    // Lineage of the gold layer: the datasets read → the hourly rollups (best effort: the rollups stand either way).
    await recordFinishedRun(
      env.DB,
      {
        projectId,
        runId: crypto.randomUUID(),
        job: "rollup",
        processing: "BATCH",
        inputs: [...datasetsRead].sort(),
        outputs: [{ name: "rollups", rows: result.groups }],
      },
      startedAt,
    ).catch((err) =>
      console.error(JSON.stringify({ level: "error", msg: "rollup lineage not recorded", error: String(err) })),
    );
  }
  return result;
}
