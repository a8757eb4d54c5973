// Gauges read at scrape time: lake files and bytes by layer, jobs by type and status, queue backlog.
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { jobs } from "../../shared/db/jobs";
import type { MetricsDelta } from "../../shared/metrics/registry";
import { seriesKey } from "../../shared/metrics/registry";
import { lakeStats } from "../manifest/stats";

/** The events queue's name as the metrics label it (wrangler.toml). */
export const EVENTS_QUEUE_LABEL = "tarn-events";

/**
 * Gauges keyed like registry series, plus `tarn_events_landed_total` (a counter kept by the
 * manifest) added into `totals`. Backlog is messages sent minus first deliveries, both counted.
 */
export async function readGauges(db: D1Database, totals: MetricsDelta): Promise<Record<string, number>> {
  const [lake, jobCounts] = await Promise.all([
    lakeStats(db),
    drizzle(db)
      .select({ type: jobs.type, status: jobs.status, n: sql<number>`count(*)` })
      .from(jobs)
      .groupBy(jobs.type, jobs.status),
  ]);
  const gauges: Record<string, number> = {};
  for (const layer of ["bronze", "silver", "gold"]) {
    const row = lake.layers.find((l) => l.layer === layer);
    gauges[seriesKey("tarn_lake_files", [layer])] = row?.files ?? 0;
    gauges[seriesKey("tarn_lake_bytes", [layer])] = row?.bytes ?? 0;
  }
  for (const j of jobCounts) gauges[seriesKey("tarn_jobs", [j.type, j.status])] = Number(j.n);
  const sent = totals.counters[seriesKey("tarn_queue_messages_sent_total", [EVENTS_QUEUE_LABEL])] ?? 0;
  const delivered = totals.counters[seriesKey("tarn_queue_messages_delivered_total", [EVENTS_QUEUE_LABEL])] ?? 0;
  gauges[seriesKey("tarn_queue_backlog_messages", [EVENTS_QUEUE_LABEL])] = Math.max(0, sent - delivered);
  totals.counters[seriesKey("tarn_events_landed_total", [])] = lake.landedRows;
  const opened = totals.counters[seriesKey("tarn_live_sockets_opened_total", [])] ?? 0;
  const closed = totals.counters[seriesKey("tarn_live_sockets_closed_total", [])] ?? 0;
  gauges[seriesKey("tarn_live_sockets", [])] = Math.max(0, opened - closed);
  return gauges;
}
