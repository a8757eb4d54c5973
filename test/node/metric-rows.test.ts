// A live metric's windows as tile rows: quantiles flattened, quiet windows shown as zero, live frames
// replacing their window's row.
import { describe, expect, it } from "vitest";
import { fillQuietWindows, metricMeta, metricRow, upsertWindowRow } from "../../shared/dashboards/metric-rows";

const at = (s: number) => new Date(Date.UTC(2026, 10, 30, 5, 0, s)).toISOString();

describe("metric rows", () => {
  it("flattens aggregate values, quantiles one column each", () => {
    const row = metricRow({
      window: { start: at(0) },
      data: { count: 3, values: { sum_amount: 12.5, latency: { p50: 10, p95: 40 } } },
    });
    expect(row).toEqual({ start: at(0), count: 3, sum_amount: 12.5, latency_p50: 10, latency_p95: 40 });
    expect(metricMeta([row]).map((m) => `${m.name}:${m.type}`)).toEqual([
      "start:TIMESTAMP",
      "count:BIGINT",
      "sum_amount:DOUBLE",
      "latency_p50:DOUBLE",
      "latency_p95:DOUBLE",
    ]);
  });

  it("fills the quiet windows between the first and the last with zero, keeping at most `keep`", () => {
    const rows = [
      { start: at(1), count: 5 },
      { start: at(4), count: 7 },
    ];
    expect(fillQuietWindows(rows, 1000, 10)).toEqual([
      { start: at(1), count: 5 },
      { start: at(2), count: 0 },
      { start: at(3), count: 0 },
      { start: at(4), count: 7 },
    ]);
    expect(fillQuietWindows(rows, 1000, 2).map((r) => r.start)).toEqual([at(3), at(4)]);
  });

  it("replaces a window's row with its newer revision and keeps the rows in time order", () => {
    let rows: Record<string, unknown>[] = [
      { start: at(1), count: 1 },
      { start: at(2), count: 2 },
    ];
    rows = upsertWindowRow(rows, { start: at(2), count: 9 }, 10);
    rows = upsertWindowRow(rows, { start: at(0), count: 4 }, 10);
    expect(rows).toEqual([
      { start: at(0), count: 4 },
      { start: at(1), count: 1 },
      { start: at(2), count: 9 },
    ]);
    expect(upsertWindowRow(rows, { start: at(3), count: 1 }, 2).map((r) => r.start)).toEqual([at(2), at(3)]);
  });
});
