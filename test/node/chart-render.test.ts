// The shared chart renderer: spec + rows → SVG, with no DOM. Checks what a reader of the chart sees:
// axes and their labels, scales, empty and one-point data, NULL gaps, huge values, UTC dates over a DST change.
import { describe, expect, it } from "vitest";
import { dashboardSvg } from "../../shared/charts/dashboard-svg";
import { formatNumber } from "../../shared/charts/format";
import { renderChart } from "../../shared/charts/render-chart";
import { DARK } from "../../shared/charts/theme";
import type { Visualization } from "../../shared/dashboards/spec";

const SIZE = { width: 400, height: 200 };
const texts = (svg: string) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
const attr = (svg: string, tag: string, name: string) =>
  [...svg.matchAll(new RegExp(`<${tag}[^>]*\\s${name}="([^"]*)"`, "g"))].map((m) => m[1] ?? "");
const pathPoints = (d: string) => (d.match(/[ML]/g) ?? []).length;

const series = {
  meta: [
    { name: "day", type: "VARCHAR" },
    { name: "n", type: "BIGINT" },
  ],
  data: [
    { day: "mon", n: 10 },
    { day: "tue", n: 40 },
    { day: "wed", n: 25 },
  ],
};

describe("renderChart", () => {
  it("draws a well-formed, labelled SVG with a y axis from the data's range and one bar per row", () => {
    const svg = renderChart({ chart_type: "bar", title: "Orders <daily>" }, series, SIZE);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.endsWith("</svg>")).toBe(true);
    expect(svg).toContain('aria-label="Orders &#60;daily&#62;: bar chart of 3 rows"');
    const labels = texts(svg);
    // y ticks start at 0 for bars and reach the maximum, x labels are the categories in order.
    expect(labels).toContain("0");
    expect(labels).toContain("40");
    expect(labels.filter((t) => ["mon", "tue", "wed"].includes(t ?? ""))).toEqual(["mon", "tue", "wed"]);
    const heights = attr(svg.slice(svg.indexOf('class="series"')), "rect", "height").map(Number);
    expect(heights).toHaveLength(3);
    // Heights are proportional to the values (tue is 4× mon).
    expect((heights[1] ?? 0) / (heights[0] ?? 1)).toBeCloseTo(4, 1);
  });

  it("says so when there is no data, for every chart type", () => {
    for (const chart_type of ["line", "bar", "area", "scatter", "pie", "number"] as const) {
      const svg = renderChart({ chart_type }, { meta: series.meta, data: [] }, SIZE);
      expect(texts(svg).join(" "), chart_type).toMatch(/No data/);
    }
    expect(texts(renderChart({ chart_type: "table" }, { meta: series.meta, data: [] }, SIZE))).toContain("No rows");
  });

  it("marks a single point (a line of one point has no segment)", () => {
    const svg = renderChart({ chart_type: "line" }, { meta: series.meta, data: [{ day: "mon", n: 7 }] }, SIZE);
    expect(svg).toMatch(/<circle /);
    expect(texts(svg)).toContain("mon");
  });

  it("breaks the line at NULLs instead of drawing them as zero", () => {
    const data = {
      meta: [
        { name: "x", type: "INTEGER" },
        { name: "y", type: "DOUBLE" },
      ],
      data: [
        { x: 1, y: 5 },
        { x: 2, y: 6 },
        { x: 3, y: null },
        { x: 4, y: 8 },
        { x: 5, y: 9 },
      ],
    };
    const svg = renderChart({ chart_type: "line" }, data, SIZE);
    const d = attr(svg, "path", "d")[0] ?? "";
    // Two segments: two moves, four points in all; the NULL is not a point.
    expect((d.match(/M/g) ?? []).length).toBe(2);
    expect(pathPoints(d)).toBe(4);
    // The y axis fits the values (5..9), not zero.
    expect(texts(svg)).not.toContain("0");
  });

  it("shortens huge values on the axis and in number tiles, and keeps them in order", () => {
    const huge = {
      meta: [
        { name: "k", type: "VARCHAR" },
        { name: "v", type: "HUGEINT" },
      ],
      data: [
        { k: "a", v: 3e12 },
        { k: "b", v: "12000000000000000000000" },
      ],
    };
    const svg = renderChart({ chart_type: "bar" }, huge, SIZE);
    const labels = texts(svg);
    expect(labels.some((t) => /e\+22|e\+21/.test(t ?? ""))).toBe(true);
    expect(labels.every((t) => (t ?? "").length <= 12)).toBe(true);
    expect(formatNumber(1_234_567)).toBe("1.23M");
    expect(formatNumber(-2500)).toBe("-2.5k");
    expect(formatNumber(0.000012)).toBe("1.2e-5");
    const number = renderChart({ chart_type: "number" }, { meta: huge.meta, data: [huge.data[0] ?? {}] }, SIZE);
    expect(texts(number)).toContain("3T");
  });

  it("places times in UTC, so a DST change neither repeats nor skips an hour", () => {
    // Europe's 2026 change is 29 March 01:00 UTC; hourly points across it stay evenly spaced.
    const hours = Array.from({ length: 6 }, (_, i) => ({
      ts: new Date(Date.UTC(2026, 2, 28, 22 + i)).toISOString(),
      n: i + 1,
    }));
    const svg = renderChart(
      { chart_type: "scatter" },
      {
        meta: [
          { name: "ts", type: "TIMESTAMP" },
          { name: "n", type: "BIGINT" },
        ],
        data: hours,
      },
      SIZE,
    );
    const xs = attr(svg, "circle", "cx").map(Number);
    expect(xs).toHaveLength(6);
    const gaps = xs.slice(1).map((x, i) => x - (xs[i] ?? 0));
    for (const g of gaps) expect(g).toBeCloseTo(gaps[0] ?? 0, 1);
    // Tick labels are UTC hours, including midnight (shown as the date).
    const ticks = texts(svg.slice(svg.indexOf('class="x-axis"')));
    expect(ticks).toContain("Mar 29");
    expect(ticks.some((t) => /^(0[1-3]|1[0-2]) AM$|^0[1-3]:00$/.test(t ?? ""))).toBe(true);
  });

  it("draws one series per value of the series column, with a legend", () => {
    const data = {
      meta: [
        { name: "day", type: "VARCHAR" },
        { name: "kind", type: "VARCHAR" },
        { name: "n", type: "BIGINT" },
      ],
      data: [
        { day: "mon", kind: "web", n: 1 },
        { day: "mon", kind: "app", n: 2 },
        { day: "tue", kind: "web", n: 3 },
        { day: "tue", kind: "app", n: 4 },
      ],
    };
    const svg = renderChart({ chart_type: "line", config: { x: "day", y: "n", series: "kind" } }, data, SIZE);
    expect(attr(svg, "path", "class").filter((c) => c === "series")).toHaveLength(2);
    expect(texts(svg)).toEqual(expect.arrayContaining(["web", "app"]));
  });

  it("draws pies with shares, tables with their cells, and follows the dark theme", () => {
    const pie = renderChart({ chart_type: "pie" }, series, { ...SIZE, theme: DARK });
    expect(attr(pie, "path", "d")).toHaveLength(3);
    expect(texts(pie)).toContain("tue 53%");
    expect(pie).toContain(`fill="${DARK.background}"`);
    const table = renderChart({ chart_type: "table" }, series, SIZE);
    expect(texts(table)).toEqual(expect.arrayContaining(["day", "n", "mon", "40"]));
  });

  it("composes a dashboard page with every tile at its grid position", () => {
    const viz: Visualization[] = [
      { id: "a", title: "A", chart_type: "bar", query: "q", config: {}, position: { x: 0, y: 0, w: 6, h: 3 } },
      { id: "b", title: "B", chart_type: "number", query: "q", config: {}, position: { x: 6, y: 0, w: 6, h: 3 } },
      { id: "c", title: "C", chart_type: "line", query: "q", config: {}, position: { x: 0, y: 3, w: 12, h: 2 } },
    ];
    const page = dashboardSvg(
      "Ops",
      viz,
      [
        { id: "a", ...series, error: null },
        { id: "b", ...series, error: null },
        { id: "c", meta: [], data: [], error: { code: "INVALID_SQL", message: "no column nope" } },
      ],
      { width: 1200, generatedAt: new Date("2026-11-30T05:00:00Z") },
    );
    expect(page.width).toBe(1200);
    expect(page.height).toBeGreaterThan(5 * 70);
    expect(texts(page.svg)).toEqual(expect.arrayContaining(["Ops", "A", "B", "C", "INVALID_SQL: no column nope"]));
    expect((page.svg.match(/<svg /g) ?? []).length).toBe(3);
  });
});
