// Per-isolate counters and histograms: the hot path only adds to maps; deltas are drained for the shards.
import { type CounterName, FAMILIES, type FamilyName, type HistogramName, SECONDS_BUCKETS } from "./families";

/** One histogram series: counts per bucket (not cumulative; the last is +Inf), sum and count. */
export interface HistogramState {
  buckets: number[];
  sum: number;
  count: number;
}

/**
 * What an isolate counted since its last flush, keyed by series (`seriesKey`). Plain JSON, so it
 * crosses the Durable Object RPC boundary as is.
 */
export interface MetricsDelta {
  counters: Record<string, number>;
  histograms: Record<string, HistogramState>;
}

const SEP = "\u0001";

/** A series' key: the family name, then its label values in the family's label order. */
export function seriesKey(family: FamilyName, labels: readonly string[]): string {
  return labels.length === 0 ? family : `${family}${SEP}${labels.join(SEP)}`;
}

/** The family and label values of a series key. */
export function parseSeriesKey(key: string): { family: FamilyName; values: string[] } {
  const [family, ...values] = key.split(SEP);
  return { family: family as FamilyName, values };
}

export function emptyHistogram(): HistogramState {
  return { buckets: new Array(SECONDS_BUCKETS.length + 1).fill(0), sum: 0, count: 0 };
}

/** Adds `from` into `into` (both deltas or totals; addition is all aggregation needs). */
export function mergeDelta(into: MetricsDelta, from: MetricsDelta): MetricsDelta {
  for (const [key, n] of Object.entries(from.counters)) into.counters[key] = (into.counters[key] ?? 0) + n;
  for (const [key, h] of Object.entries(from.histograms)) {
    const to = into.histograms[key] ?? emptyHistogram();
    into.histograms[key] = to;
    h.buckets.forEach((n, i) => {
      to.buckets[i] = (to.buckets[i] ?? 0) + n;
    });
    to.sum += h.sum;
    to.count += h.count;
  }
  return into;
}

export class MetricsRegistry {
  private counters = new Map<string, number>();
  private histograms = new Map<string, HistogramState>();
  private pendingSeries = 0;

  /** Adds `n` to a counter series. Label values must come from bounded sets (no ids, no user input). */
  inc(family: CounterName, labels: readonly string[] = [], n = 1): void {
    if (n === 0) return;
    const key = seriesKey(family, labels);
    const before = this.counters.get(key);
    if (before === undefined) this.pendingSeries++;
    this.counters.set(key, (before ?? 0) + n);
  }

  /** Records one observation, in seconds, into a histogram series. */
  observe(family: HistogramName, labels: readonly string[], seconds: number): void {
    const key = seriesKey(family, labels);
    let h = this.histograms.get(key);
    if (!h) {
      h = emptyHistogram();
      this.histograms.set(key, h);
      this.pendingSeries++;
    }
    let i = 0;
    while (i < SECONDS_BUCKETS.length && seconds > (SECONDS_BUCKETS[i] as number)) i++;
    h.buckets[i] = (h.buckets[i] ?? 0) + 1;
    h.sum += seconds;
    h.count++;
  }

  /** True when something was counted since the last drain. */
  get pending(): boolean {
    return this.pendingSeries > 0;
  }

  /** Everything counted since the last drain, and a fresh start. */
  drain(): MetricsDelta {
    const delta: MetricsDelta = {
      counters: Object.fromEntries(this.counters),
      histograms: Object.fromEntries(this.histograms),
    };
    this.counters = new Map();
    this.histograms = new Map();
    this.pendingSeries = 0;
    return delta;
  }
}

/** Label names of a family, for rendering. */
export function labelNames(family: FamilyName): readonly string[] {
  return FAMILIES[family].labels;
}
