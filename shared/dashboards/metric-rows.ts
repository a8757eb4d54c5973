// A live metric's windows as a tile's rows: `start`, `count` and one column per aggregate value, so a
// metric tile charts exactly like a SQL tile (and the web app applies live frames with the same function).
import type { WindowData } from "../live/render";

export interface MetricWindow {
  window: { start: string };
  data: WindowData;
}

/** `{start, count, sum_amount, latency_p95, …}` for one window; quantile objects become one column each. */
export function metricRow(w: MetricWindow): Record<string, unknown> {
  const row: Record<string, unknown> = { start: w.window.start, count: w.data.count };
  if ("values" in w.data) {
    for (const [name, value] of Object.entries(w.data.values)) {
      if (value !== null && typeof value === "object")
        for (const [q, v] of Object.entries(value)) row[`${name}_${q}`] = v;
      else row[name] = value;
    }
  }
  return row;
}

/** The tile's columns from its rows (start is a TIMESTAMP, the rest numbers). */
export function metricMeta(rows: Record<string, unknown>[]): { name: string; type: string }[] {
  const names = new Set<string>(["start", "count"]);
  for (const r of rows) for (const k of Object.keys(r)) names.add(k);
  return [...names].map((name) =>
    name === "start" ? { name, type: "TIMESTAMP" } : { name, type: name === "count" ? "BIGINT" : "DOUBLE" },
  );
}

/** Puts a window's row into `rows` (replacing the same start), keeps them ordered and at most `keep` long. */
export function upsertWindowRow(
  rows: Record<string, unknown>[],
  row: Record<string, unknown>,
  keep: number,
): Record<string, unknown>[] {
  const out = rows.filter((r) => r.start !== row.start);
  out.push(row);
  out.sort((a, b) => String(a.start).localeCompare(String(b.start)));
  return out.slice(Math.max(0, out.length - keep));
}

/**
 * Adds the windows that saw no event (a shard stores only windows with events) as `count: 0`, between
 * the first and the last row and at most `keep` in all, so a line of counts drops to zero instead of
 * drawing a straight line over the quiet seconds.
 */
export function fillQuietWindows(
  rows: Record<string, unknown>[],
  windowMs: number,
  keep: number,
): Record<string, unknown>[] {
  if (rows.length < 2 || !(windowMs > 0)) return rows;
  const byStart = new Map(rows.map((r) => [Date.parse(String(r.start)), r]));
  const last = Date.parse(String(rows[rows.length - 1]?.start));
  const first = Math.max(Date.parse(String(rows[0]?.start)), last - (keep - 1) * windowMs);
  if (!Number.isFinite(first) || !Number.isFinite(last)) return rows;
  const out: Record<string, unknown>[] = [];
  for (let t = first; t <= last; t += windowMs)
    out.push(byStart.get(t) ?? { start: new Date(t).toISOString(), count: 0 });
  return out;
}
