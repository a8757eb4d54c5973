// Expectations of a dataset: stored per dataset, measured with the query engine, each run kept as
// history; a run with failures fires the project's alert webhooks with `"type": "quality"`.
import { and, desc, eq, isNotNull } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { datasetExpectations, expectationRuns } from "../../shared/db/datasets";
import { liveAlertEvents, liveAlerts } from "../../shared/db/live";
import { newId } from "../../shared/ids";
import type { WebhookMessage } from "../../shared/live/live-rpc";
import {
  type Expectation,
  type ExpectationResult,
  ExpectationSchema,
  expectationScore,
  expectationSql,
  verdict,
} from "../../shared/uploads/expectations";
import { lastLanded, latestSnapshot } from "../manifest/read";
import { coordinateQuery } from "../query/coordinator";

/** The metric name quality events carry in the alert history (their deliveries use the alert path). */
export const QUALITY_METRIC_PREFIX = "quality:";

export async function getExpectations(db: D1Database, projectId: string, dataset: string): Promise<Expectation[]> {
  const row = await drizzle(db)
    .select({ expectations: datasetExpectations.expectations })
    .from(datasetExpectations)
    .where(and(eq(datasetExpectations.projectId, projectId), eq(datasetExpectations.dataset, dataset)))
    .get();
  return (row?.expectations ?? []).map((e) => ExpectationSchema.parse(e));
}

export async function putExpectations(db: D1Database, projectId: string, dataset: string, list: Expectation[]) {
  await drizzle(db)
    .insert(datasetExpectations)
    .values({ projectId, dataset, expectations: list })
    .onConflictDoUpdate({
      target: [datasetExpectations.projectId, datasetExpectations.dataset],
      set: { expectations: list, updatedAt: new Date().toISOString() },
    })
    .run();
}

export interface ExpectationRun {
  id: string;
  dataset: string;
  snapshot: number;
  trigger: string;
  score: number | null;
  passed: boolean;
  results: ExpectationResult[];
  created_at: string;
}

/** Measures every expectation of the dataset now; null when it has none. */
export async function runExpectations(
  env: Env,
  exports: Cloudflare.Exports,
  projectId: string,
  dataset: string,
  trigger: "upload" | "compaction" | "manual",
): Promise<ExpectationRun | null> {
  const list = await getExpectations(env.DB, projectId, dataset);
  if (list.length === 0) return null;
  // Expectations are set by admins and measure the whole dataset: they run as Tarn itself, past row policies.
  const ctx = {
    env,
    exports,
    projectId,
    principal: "system" as const,
    waitUntil: (p: Promise<unknown>) => void p.catch(() => undefined),
  };
  const landed = list.some((e) => e.type === "fresh_within") ? await lastLanded(env.DB, projectId) : null;
  const results: ExpectationResult[] = [];
  for (const e of list) {
    const text = expectationSql(e, dataset);
    try {
      const row = text === null ? null : ((await coordinateQuery(ctx, { sql: text })).rows[0] ?? null);
      const at = landed?.get(dataset);
      const age = at ? (Date.now() - Date.parse(at)) / 1000 : null;
      results.push(verdict(e, row, age));
    } catch (err) {
      results.push({
        id: e.id,
        type: e.type,
        column: e.column ?? null,
        severity: e.severity,
        passed: false,
        observed: null,
        failing_rows: null,
        error: String(err instanceof Error ? err.message : err).slice(0, 500),
      });
    }
  }
  const run: ExpectationRun = {
    id: newId("qrun"),
    dataset,
    snapshot: await latestSnapshot(env.DB, projectId),
    trigger,
    score: expectationScore(results),
    passed: results.every((r) => r.passed),
    results,
    created_at: new Date().toISOString(),
  };
  await drizzle(env.DB)
    .insert(expectationRuns)
    .values({
      id: run.id,
      projectId,
      dataset,
      snapshot: run.snapshot,
      trigger,
      score: run.score ?? 1,
      results,
      createdAt: run.created_at,
    })
    .run();
  if (!run.passed) await fireQualityWebhooks(env, projectId, run);
  return run;
}

/**
 * One alert event per alert rule of the project that has a webhook, delivered by the webhooks queue
 * like any alert (signed, retried, dead-lettered), with the failed expectations as its reason.
 */
async function fireQualityWebhooks(env: Env, projectId: string, run: ExpectationRun): Promise<void> {
  const d = drizzle(env.DB);
  const hooks = await d
    .select({ id: liveAlerts.id })
    .from(liveAlerts)
    .where(and(eq(liveAlerts.projectId, projectId), isNotNull(liveAlerts.webhookUrl)))
    .all();
  const failed = run.results.filter((r) => !r.passed);
  const reason = JSON.stringify({ run_id: run.id, dataset: run.dataset, score: run.score, failed });
  for (const hook of hooks) {
    const id = newId("qev");
    await d
      .insert(liveAlertEvents)
      .values({
        id,
        projectId,
        alertId: hook.id,
        metric: `${QUALITY_METRIC_PREFIX}${run.dataset}`,
        status: "firing",
        windowSize: "quality",
        windowStart: Date.parse(run.created_at),
        value: run.score,
        reason,
        delivery: "pending",
      })
      .onConflictDoNothing()
      .run();
    await env.WEBHOOKS_QUEUE.send({ v: 1, event_id: id, project: projectId } satisfies WebhookMessage);
  }
}

/** The latest runs of the dataset's expectations, newest first. */
export async function expectationHistory(db: D1Database, projectId: string, dataset: string, limit = 20) {
  const rows = await drizzle(db)
    .select()
    .from(expectationRuns)
    .where(and(eq(expectationRuns.projectId, projectId), eq(expectationRuns.dataset, dataset)))
    .orderBy(desc(expectationRuns.createdAt))
    .limit(limit)
    .all();
  return rows.map((r) => ({
    id: r.id,
    snapshot: r.snapshot,
    trigger: r.trigger,
    score: r.score,
    passed: (r.results as ExpectationResult[]).every((x) => x.passed),
    results: r.results as ExpectationResult[],
    created_at: r.createdAt,
  }));
}
