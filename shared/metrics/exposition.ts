// Prometheus text exposition format 0.0.4: HELP and TYPE per family, cumulative histogram buckets.
import { FAMILIES, type FamilyName, SECONDS_BUCKETS } from "./families";
import { type MetricsDelta, parseSeriesKey } from "./registry";

/** The media type Prometheus expects for this format. */
export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const escapeHelp = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");

function formatValue(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Number.POSITIVE_INFINITY) return "+Inf";
  if (n === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(n);
}

function labelText(names: readonly string[], values: readonly string[], extra?: [string, string]): string {
  const pairs = names.map((name, i) => `${name}="${escapeLabel(values[i] ?? "")}"`);
  if (extra) pairs.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return pairs.length === 0 ? "" : `{${pairs.join(",")}}`;
}

/**
 * The exposition of counters and histograms summed across isolates (`totals`) and of gauges read
 * at scrape time (`gauges`, keyed like the registry's series). Every family gets its HELP and TYPE,
 * even with no series yet; series are sorted, so the text is stable between scrapes.
 */
export function renderExposition(totals: MetricsDelta, gauges: Record<string, number>): string {
  const byFamily = new Map<FamilyName, string[]>();
  const add = (key: string) => {
    const { family } = parseSeriesKey(key);
    if (!(family in FAMILIES)) return;
    const list = byFamily.get(family) ?? [];
    list.push(key);
    byFamily.set(family, list);
  };
  for (const key of Object.keys(totals.counters)) add(key);
  for (const key of Object.keys(totals.histograms)) add(key);
  for (const key of Object.keys(gauges)) add(key);

  const lines: string[] = [];
  for (const [name, family] of Object.entries(FAMILIES) as [FamilyName, (typeof FAMILIES)[FamilyName]][]) {
    lines.push(`# HELP ${name} ${escapeHelp(family.help)}`, `# TYPE ${name} ${family.type}`);
    for (const key of (byFamily.get(name) ?? []).sort()) {
      const { values } = parseSeriesKey(key);
      if (family.type === "histogram") {
        const h = totals.histograms[key];
        if (!h) continue;
        let cumulative = 0;
        SECONDS_BUCKETS.forEach((le, i) => {
          cumulative += h.buckets[i] ?? 0;
          lines.push(`${name}_bucket${labelText(family.labels, values, ["le", String(le)])} ${cumulative}`);
        });
        lines.push(`${name}_bucket${labelText(family.labels, values, ["le", "+Inf"])} ${h.count}`);
        lines.push(`${name}_sum${labelText(family.labels, values)} ${formatValue(h.sum)}`);
        lines.push(`${name}_count${labelText(family.labels, values)} ${h.count}`);
      } else {
        const value = family.type === "counter" ? totals.counters[key] : gauges[key];
        if (value === undefined) continue;
        lines.push(`${name}${labelText(family.labels, values)} ${formatValue(value)}`);
      }
    }
  }
  return `${lines.join("\n")}\n`;
}
