// MetricsShard: one shard of the counters and histograms summed across isolates. SQLite is the truth.
import { DurableObject } from "cloudflare:workers";
import { emptyHistogram, type HistogramState, type MetricsDelta } from "../../shared/metrics/registry";
import { migrateSchema } from "../sqlite-schema";
import { METRICS_SCHEMA } from "./schema";

/** An isolate silent this long is forgotten (its sequence numbers restart with a new isolate id anyway). */
const FORGET_ISOLATE_MS = 24 * 3600_000;

type SeriesRow = { key: string; value: number; buckets: string | null; sum: number; count: number };

/**
 * Isolates send numbered deltas; a delta is applied once per (isolate, seq), so a flush retried
 * after a lost answer is not counted twice. Totals only ever grow (counters and histograms).
 */
export class MetricsShard extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    migrateSchema(ctx.storage, METRICS_SCHEMA);
  }

  /** Adds an isolate's delta `seq`; false when that delta (or a later one) was applied already. */
  apply(isolate: string, seq: number, delta: MetricsDelta, now = Date.now()): boolean {
    return this.ctx.storage.transactionSync(() => {
      const last = this.sql.exec<{ seq: number }>("SELECT seq FROM applied WHERE isolate = ?", isolate).toArray()[0];
      if (last && last.seq >= seq) return false;
      for (const [key, n] of Object.entries(delta.counters)) {
        this.sql.exec(
          "INSERT INTO series (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = value + excluded.value",
          key,
          n,
        );
      }
      for (const [key, h] of Object.entries(delta.histograms)) {
        const row = this.sql.exec<SeriesRow>("SELECT * FROM series WHERE key = ?", key).toArray()[0];
        const merged = row?.buckets ? (JSON.parse(row.buckets) as number[]) : emptyHistogram().buckets;
        h.buckets.forEach((n, i) => {
          merged[i] = (merged[i] ?? 0) + n;
        });
        this.sql.exec(
          `INSERT INTO series (key, buckets, sum, count) VALUES (?, ?, ?, ?)
           ON CONFLICT (key) DO UPDATE SET buckets = excluded.buckets, sum = sum + excluded.sum, count = count + excluded.count`,
          key,
          JSON.stringify(merged),
          h.sum,
          h.count,
        );
      }
      this.sql.exec(
        "INSERT INTO applied (isolate, seq, at) VALUES (?, ?, ?) ON CONFLICT (isolate) DO UPDATE SET seq = excluded.seq, at = excluded.at",
        isolate,
        seq,
        now,
      );
      this.sql.exec("DELETE FROM applied WHERE at < ?", now - FORGET_ISOLATE_MS);
      return true;
    });
  }

  /** Every series this shard holds, as totals. */
  totals(): MetricsDelta {
    const out: MetricsDelta = { counters: {}, histograms: {} };
    for (const row of this.sql.exec<SeriesRow>("SELECT * FROM series")) {
      if (row.buckets === null) out.counters[row.key] = row.value;
      else {
        const h: HistogramState = { buckets: JSON.parse(row.buckets) as number[], sum: row.sum, count: row.count };
        out.histograms[row.key] = h;
      }
    }
    return out;
  }
}
