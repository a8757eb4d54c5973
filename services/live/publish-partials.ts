// The lake writer's live step: a batch's freshly committed events → partial windows → one RPC per
// window shard. Never throws: the lake batch has already committed and must not fail or retry for this.
import { inArray } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { liveMetrics } from "../../shared/db/live";
import type { QueuedEvent } from "../../shared/events/queue-message";
import { EVENTS_METRIC, type StoredMetric, StoredMetricSchema } from "../../shared/live/metric-def";
import { computePartials } from "../../shared/live/partials";
import { windowStub } from "../stubs/window-shard";

/** A live publish slower than this is abandoned so the batch's acks are not held up. */
const PUBLISH_BUDGET_MS = 10_000;

/** Every user-defined metric of the given projects, in one D1 query per 90 projects. */
export async function loadMetrics(db: D1Database, projects: string[]): Promise<Map<string, StoredMetric[]>> {
  const out = new Map<string, StoredMetric[]>();
  for (let i = 0; i < projects.length; i += 90) {
    const rows = await drizzle(db)
      .select()
      .from(liveMetrics)
      .where(inArray(liveMetrics.projectId, projects.slice(i, i + 90)))
      .all();
    for (const r of rows) {
      const def = StoredMetricSchema.safeParse({ ...r.definition, id: r.id, name: r.name });
      if (!def.success) continue;
      const list = out.get(r.projectId) ?? [];
      list.push(def.data);
      out.set(r.projectId, list);
    }
  }
  return out;
}

/** Sends each (project, metric) shard this batch's partials; a failed call is retried once (idempotent). */
export async function publishPartials(
  env: Env,
  commitId: string,
  byProject: Map<string, QueuedEvent[]>,
): Promise<void> {
  const work = async () => {
    const metrics = await loadMetrics(env.DB, [...byProject.keys()]);
    const calls: Promise<unknown>[] = [];
    for (const [project, events] of byProject) {
      for (const metric of [EVENTS_METRIC, ...(metrics.get(project) ?? [])]) {
        // Windows the shard no longer keeps are left out here: a backfill's old events would
        // otherwise cost partials, RPC bytes and shard work only to be dropped as too late.
        const windows = computePartials(metric, events, Date.now());
        if (windows.length === 0) continue;
        const call = () => windowStub(env, project, metric.name).apply({ commitId, project, metric, windows });
        calls.push(call().catch(() => call()));
      }
    }
    const failed = (await Promise.allSettled(calls)).filter((r) => r.status === "rejected");
    if (failed.length > 0) throw new Error(`${failed.length} shard call(s) failed: ${String(failed[0]?.reason)}`);
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      work(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("live publish exceeded its budget")), PUBLISH_BUDGET_MS);
      }),
    ]);
  } catch (err) {
    console.error(JSON.stringify({ level: "error", msg: "live publish failed", commit: commitId, error: String(err) }));
  } finally {
    clearTimeout(timer);
  }
}
