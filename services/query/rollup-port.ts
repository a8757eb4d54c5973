// The coordinator's rollup port over D1: answers a matched query from gold rollups when they give
// exactly the raw answer, reading the manifest's coverage and the rollups in one consistent batch.
import { and, eq, gte, inArray, lt, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { rollupHours, rollups } from "../../shared/db/rollups";
import { answerFromRollups, type StoredGroup } from "../../shared/rollup/answer";
import { hourOf } from "../../shared/rollup/dims";
import type { RollupPlan } from "../../shared/rollup/match";
import type { RollupAnswer, RollupPort } from "../../shared/rollup/port";
import { hoursOf, validHours } from "../../shared/rollup/validity";
import { coverageStatements } from "../manifest/read";

/**
 * The plan's answer from rollups, or null when it must run over the raw files: some hour in its
 * range that has data lacks a valid rollup. Reads the manifest and the rollups of the plan's level
 * in one D1 batch, so a rollup job publishing meanwhile is seen whole or not at all.
 */
async function answerFromGold(db: D1Database, projectId: string, plan: RollupPlan): Promise<RollupAnswer | null> {
  const d = drizzle(db);
  const types = plan.eventTypes && plan.eventTypes.size <= 50 ? [...plan.eventTypes] : null;
  if (plan.eventTypes?.size === 0) return null;
  const hourRange = (col: typeof rollups.hourMs | typeof rollupHours.hourMs) => [
    plan.fromMs !== null ? gte(col, plan.fromMs) : undefined,
    plan.toMs !== null ? lt(col, plan.toMs) : undefined,
  ];
  const oldest = sql`(SELECT coalesce(min(built_snapshot), 0) FROM rollup_hours WHERE project_id = ${projectId})`;
  // A project without any rollup yet is answered by the scan: its files (every file removed since
  // snapshot 0, as there are no rollups) are then not worth listing.
  const anyRollup = sql`EXISTS (SELECT 1 FROM rollup_hours WHERE project_id = ${projectId})`;
  const [filesStatement, tableStatement] = coverageStatements(
    d,
    projectId,
    { fromMs: plan.fromMs, toMs: plan.toMs, datasets: types, table: plan.table },
    oldest,
    anyRollup,
  );
  const [files, hours, groups, table, rolledUp] = await d.batch([
    filesStatement,
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
    tableStatement,
    d.select({ any: sql<number>`1` }).from(rollupHours).where(eq(rollupHours.projectId, projectId)).limit(1),
  ]);
  if (rolledUp.length === 0) return null;
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

/** The rollup port of one project (gold exists only for the current lake). */
export function projectRollups(db: D1Database, projectId: string): RollupPort {
  return { answer: (plan) => answerFromGold(db, projectId, plan) };
}
