// The statistics behind POST /v1/insights: robust z-scores, least-squares trends, lag autocorrelation.
// Pure numbers in, findings out; the words come later (a model, or the templates in insight-text.ts).

/** A metric over time buckets, oldest first. */
export interface Series {
  metric: string;
  /** Bucket starts (ISO) and their values; a bucket without data is absent, not zero, unless a count. */
  points: { at: string; value: number }[];
}

export interface AnomalyFinding {
  column: string;
  value: number;
  expected_range: [number, number];
  severity: "low" | "medium" | "high";
  at: string;
  /** The robust z-score (or the plain z-score when the spread of the middle is zero). */
  score: number;
}

export interface TrendFinding {
  metric: string;
  direction: "up" | "down" | "flat";
  change_percent: number;
  slope_per_bucket: number;
  period: string;
  /** Autocorrelation at the seasonal lag (24 hours or 7 days) when strong, else null. */
  seasonal_lag: number | null;
}

/** |z| past this is an anomaly (Iglewicz and Hoaglin's 3.5 for the modified z-score). */
export const ANOMALY_Z = 3.5;
/** A trend changing its fitted value by less than this percent is flat. */
export const FLAT_PERCENT = 5;

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function meanStd(values: number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, values.length - 1);
  return { mean, std: Math.sqrt(variance) };
}

export function severityOf(score: number): "low" | "medium" | "high" {
  const z = Math.abs(score);
  return z >= 8 ? "high" : z >= 5 ? "medium" : "low";
}

/**
 * Robust centre and spread: median and MAD scaled to σ (÷0.6745). When more than half the values
 * are equal (MAD 0), the mean and standard deviation of the rest stand in, so one spike in a flat
 * series is still found. Null when the series has no spread at all.
 */
export function robustScale(values: number[]): { centre: number; scale: number } | null {
  const m = median(values);
  const mad = median(values.map((v) => Math.abs(v - m)));
  if (mad > 0) return { centre: m, scale: mad / 0.6745 };
  const { std } = meanStd(values);
  return std > 0 ? { centre: m, scale: std } : null;
}

/** Points of a series whose robust z-score passes ANOMALY_Z, strongest first. Needs 8 points at least. */
export function seriesAnomalies(series: Series): AnomalyFinding[] {
  if (series.points.length < 8) return [];
  const scale = robustScale(series.points.map((p) => p.value));
  if (!scale) return [];
  const half = ANOMALY_Z * scale.scale;
  return series.points
    .map((p) => ({ p, score: (p.value - scale.centre) / scale.scale }))
    .filter(({ score }) => Math.abs(score) > ANOMALY_Z)
    .sort((a, b) => Math.abs(b.score) - Math.abs(a.score))
    .map(({ p, score }) => ({
      column: series.metric,
      value: p.value,
      expected_range: [round(scale.centre - half), round(scale.centre + half)] as [number, number],
      severity: severityOf(score),
      at: p.at,
      score: round(score),
    }));
}

/** Least-squares slope and intercept of values over their index. */
export function linearFit(values: number[]): { slope: number; intercept: number } {
  const n = values.length;
  const mx = (n - 1) / 2;
  const my = values.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  values.forEach((y, x) => {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  });
  const slope = sxx > 0 ? sxy / sxx : 0;
  return { slope, intercept: my - slope * mx };
}

/** Pearson autocorrelation at `lag`, or null when there are too few points (two full periods). */
export function autocorrelation(values: number[], lag: number): number | null {
  if (values.length < 2 * lag + 2) return null;
  const { mean } = meanStd(values);
  let num = 0;
  let den = 0;
  values.forEach((v, i) => {
    den += (v - mean) ** 2;
    if (i >= lag) num += (v - mean) * ((values[i - lag] as number) - mean);
  });
  return den > 0 ? num / den : null;
}

/**
 * The trend of a series: the fitted line's change from the first bucket to the last, in percent of
 * the first fitted value (of the mean when that is near zero). Needs 3 points.
 */
export function seriesTrend(series: Series, bucket: "hour" | "day"): TrendFinding | null {
  const values = series.points.map((p) => p.value);
  if (values.length < 3) return null;
  const { slope, intercept } = linearFit(values);
  const first = intercept;
  const last = intercept + slope * (values.length - 1);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const base = Math.abs(first) > Math.abs(mean) * 0.05 ? Math.abs(first) : Math.abs(mean);
  const change = base > 0 ? ((last - first) / base) * 100 : 0;
  const lag = bucket === "hour" ? 24 : 7;
  const ac = autocorrelation(values, lag);
  return {
    metric: series.metric,
    direction: Math.abs(change) < FLAT_PERCENT ? "flat" : change > 0 ? "up" : "down",
    change_percent: round(change),
    slope_per_bucket: round(slope),
    period: `${series.points[0]?.at} … ${series.points.at(-1)?.at} (${values.length} ${bucket}s)`,
    seasonal_lag: ac !== null && ac > 0.5 ? lag : null,
  };
}

/** Pearson correlation of two equally long value lists, or null. */
export function pearson(a: number[], b: number[]): number | null {
  if (a.length !== b.length || a.length < 3) return null;
  const ma = meanStd(a);
  const mb = meanStd(b);
  if (ma.std === 0 || mb.std === 0) return null;
  let s = 0;
  a.forEach((x, i) => {
    s += (x - ma.mean) * ((b[i] as number) - mb.mean);
  });
  return s / ((a.length - 1) * ma.std * mb.std);
}

export function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
