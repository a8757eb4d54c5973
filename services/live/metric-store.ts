// Reading live metric definitions from D1 (the built-in `events` stream is not stored).
import { and, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { liveMetrics } from "../../shared/db/live";
import { EVENTS_METRIC, type StoredMetric, StoredMetricSchema } from "../../shared/live/metric-def";

type MetricRow = typeof liveMetrics.$inferSelect;

/** The project's metric `name` (or the built-in `events`), or null. */
export async function findMetric(
  db: D1Database,
  projectId: string,
  name: string,
  row?: MetricRow,
): Promise<{ metric: StoredMetric; createdAt: string | null } | null> {
  if (name === EVENTS_METRIC.name) return { metric: EVENTS_METRIC, createdAt: null };
  const r =
    row ??
    (await drizzle(db)
      .select()
      .from(liveMetrics)
      .where(and(eq(liveMetrics.projectId, projectId), eq(liveMetrics.name, name)))
      .get());
  if (!r) return null;
  const parsed = StoredMetricSchema.safeParse({ ...r.definition, id: r.id, name: r.name });
  return parsed.success ? { metric: parsed.data, createdAt: r.createdAt } : null;
}

/** A metric as the API shows it. */
export function metricOut(m: StoredMetric, createdAt: string | null) {
  return { ...m, builtin: m.id === EVENTS_METRIC.id, created_at: createdAt };
}
