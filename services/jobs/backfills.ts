// Metric backfills are jobs: which ones already cover a range of a metric (a second would count twice).
import { and, eq, ne } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { jobs } from "../../shared/db/jobs";

/** Backfill jobs of a metric that did not fail and whose range meets [from, to): a second one would count twice. */
export async function overlappingBackfills(
  db: D1Database,
  projectId: string,
  metricId: string,
  from: number,
  to: number,
) {
  const rows = await drizzle(db)
    .select({ id: jobs.id, params: jobs.params, status: jobs.status })
    .from(jobs)
    .where(and(eq(jobs.projectId, projectId), eq(jobs.type, "backfill"), ne(jobs.status, "failed")))
    .all();
  return rows.filter((r) => {
    const p = r.params as { metric_id?: string; from?: number; to?: number };
    return p.metric_id === metricId && (p.from ?? 0) < to && (p.to ?? 0) > from;
  });
}
