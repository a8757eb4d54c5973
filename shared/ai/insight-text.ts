// The words of POST /v1/insights when no model writes them: explanations, recommendations, a summary.
import type { AnomalyFinding, TrendFinding } from "./insight-stats";

const fmt = (x: number) =>
  Math.abs(x) >= 100 ? Math.round(x).toLocaleString("en-US") : String(Number(x.toPrecision(4)));

export function anomalyText(a: AnomalyFinding): string {
  const side = a.value > a.expected_range[1] ? "above" : "below";
  return (
    `${a.column} was ${fmt(a.value)} at ${a.at}, ${side} the expected ${fmt(a.expected_range[0])}–${fmt(a.expected_range[1])} ` +
    `(robust z-score ${a.score.toFixed(1)}, ${a.severity} severity).`
  );
}

export function trendText(t: TrendFinding): string {
  const season = t.seasonal_lag ? ` It repeats every ${t.seasonal_lag} buckets (seasonal).` : "";
  if (t.direction === "flat")
    return `${t.metric} held steady (${t.change_percent.toFixed(1)}% over the period).${season}`;
  return `${t.metric} went ${t.direction} ${Math.abs(t.change_percent).toFixed(1)}% over the period (${fmt(t.slope_per_bucket)} per bucket).${season}`;
}

/** At least one concrete next step, from the strongest findings. */
export function recommendations(dataset: string, anomalies: AnomalyFinding[], trends: TrendFinding[]): string[] {
  const out: string[] = [];
  const worst = anomalies[0];
  if (worst) {
    out.push(
      `Investigate ${worst.column} around ${worst.at} in ${dataset}: it left its expected range ` +
        `(${fmt(worst.expected_range[0])}–${fmt(worst.expected_range[1])}); a live alert on it would catch the next one.`,
    );
  }
  const falling = trends.filter((t) => t.direction === "down").sort((a, b) => a.change_percent - b.change_percent)[0];
  if (falling)
    out.push(
      `Look into why ${falling.metric} fell ${Math.abs(falling.change_percent).toFixed(1)}%; compare sources and regions over the period.`,
    );
  const rising = trends.filter((t) => t.direction === "up").sort((a, b) => b.change_percent - a.change_percent)[0];
  if (rising)
    out.push(
      `${rising.metric} rose ${rising.change_percent.toFixed(1)}%: check capacity and whether the rise is wanted.`,
    );
  const seasonal = trends.find((t) => t.seasonal_lag);
  if (seasonal)
    out.push(
      `${seasonal.metric} follows a ${seasonal.seasonal_lag}-bucket cycle: compare like with like (same hour or weekday) before alerting.`,
    );
  if (out.length === 0) {
    out.push(
      `Nothing unusual in ${dataset} over the period; set a live alert on its event count so a change is seen as it happens.`,
    );
  }
  return out;
}

export function summaryText(dataset: string, anomalies: AnomalyFinding[], trends: TrendFinding[]): string {
  const moving = trends.filter((t) => t.direction !== "flat");
  const parts = [
    `${dataset}: ${anomalies.length} anomal${anomalies.length === 1 ? "y" : "ies"} found`,
    moving.length > 0
      ? `${moving.length} of ${trends.length} metrics moved (${moving
          .slice(0, 3)
          .map((t) => `${t.metric} ${t.direction} ${Math.abs(t.change_percent).toFixed(1)}%`)
          .join(", ")})`
      : `all ${trends.length} metrics held steady`,
  ];
  return `${parts.join("; ")}.`;
}
