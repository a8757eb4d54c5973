// The planner's adapter: answers /v1/query from gold rollups when they give exactly the raw answer.
import { and, eq, gte, inArray, isNull, lt, or, type SQL, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { lakeFiles } from "../../shared/db/lake";
import { rollupHours, rollups } from "../../shared/db/rollups";
import { answerFromRollups, type StoredGroup } from "../../shared/rollup/answer";
import { hourOf } from "../../shared/rollup/dims";
import { matchRollupQuery } from "../../shared/rollup/match";
import { hoursOf, validHours } from "../../shared/rollup/validity";

export interface RollupAnswer {
  meta: { name: string; type: string }[];
  rows: unknown[][];
  /** Rollup rows aggregated. */
  groupsRead: number;
}

/**
 * The query's answer from rollups, or null when it must run over the raw files: the query is not
 * of the eligible shape, or some hour in its range that has data lacks a valid rollup. Reads the
 * manifest and the rollups of the plan's level (the smallest that keeps the query's dimensions) in one D1 batch, so a rollup job publishing meanwhile is seen whole or not at all.
 */
export async function answerFromGold(db: D1Database, projectId: string, text: string): Promise<RollupAnswer | null> {
  const plan = matchRollupQuery(text);
  if (!plan) return null;
  const d = drizzle(db);
  const types = plan.eventTypes && plan.eventTypes.size <= 50 ? [...plan.eventTypes] : null;
  if (plan.eventTypes?.size === 0) return null;
  const fileRange: (SQL | undefined)[] = [
    plan.fromMs !== null ? gte(lakeFiles.maxTs, plan.fromMs) : undefined,
    plan.toMs !== null ? lt(lakeFiles.minTs, plan.toMs) : undefined,
    types ? inArray(lakeFiles.dataset, types) : undefined,
  ];
  const hourRange = (col: typeof rollups.hourMs | typeof rollupHours.hourMs): (SQL | undefined)[] => [
    plan.fromMs !== null ? gte(col, plan.fromMs) : undefined,
    plan.toMs !== null ? lt(col, plan.toMs) : undefined,
  ];
  const oldest = sql`(SELECT coalesce(min(built_snapshot), 0) FROM rollup_hours WHERE project_id = ${projectId})`;
  const [files, hours, groups, table] = await d.batch([
    d
      .select({
        dataset: lakeFiles.dataset,
        minTs: lakeFiles.minTs,
        maxTs: lakeFiles.maxTs,
        addedSnapshot: lakeFiles.addedSnapshot,
        removedSnapshot: lakeFiles.removedSnapshot,
      })
      .from(lakeFiles)
      .where(
        and(
          eq(lakeFiles.projectId, projectId),
          or(isNull(lakeFiles.removedSnapshot), sql`${lakeFiles.removedSnapshot} > ${oldest}`),
          ...fileRange,
        ),
      ),
    d
      .select({ hourMs: rollupHours.hourMs, builtSnapshot: rollupHours.builtSnapshot })
      .from(rollupHours)
      .where(and(eq(rollupHours.projectId, projectId), ...hourRange(rollupHours.hourMs))),
    d
      .select()
      .from(rollups)
      .where(
        and(
          eq(rollups.projectId, projectId),
          eq(rollups.level, plan.level),
          ...hourRange(rollups.hourMs),
          types ? inArray(rollups.eventType, types) : undefined,
        ),
      ),
    d
      .select({ n: sql<number>`count(*)` })
      .from(lakeFiles)
      .where(
        and(
          eq(lakeFiles.projectId, projectId),
          isNull(lakeFiles.removedSnapshot),
          plan.table === "events" ? undefined : eq(lakeFiles.dataset, plan.table),
        ),
      ),
  ]);
  // A table without files is the engine's to report (unknown table), not an empty answer.
  if (plan.table !== "events" && (table[0]?.n ?? 0) === 0) return null;
  const relevant = files.filter((f) => !plan.eventTypes || plan.eventTypes.has(f.dataset));
  const valid = validHours(new Map(hours.map((h) => [h.hourMs, h.builtSnapshot])), relevant);
  const from = plan.fromMs === null ? null : hourOf(plan.fromMs);
  for (const f of relevant) {
    if (f.removedSnapshot !== null) continue;
    if (hoursOf(f, from, plan.toMs).some((h) => !valid.has(h))) return null;
  }
  const stored: StoredGroup[] = [];
  for (const g of groups) {
    if (!valid.has(g.hourMs)) continue;
    stored.push({
      hourMs: g.hourMs,
      level: g.level,
      dims: {
        event_type: g.eventType,
        environment: g.environment,
        source: g.source,
        country: g.country,
        region: g.region,
      },
      count: g.count,
      sketches: { user_id: g.usersHll, session_id: g.sessionsHll },
    });
  }
  return { ...answerFromRollups(plan, stored), groupsRead: stored.length };
}
