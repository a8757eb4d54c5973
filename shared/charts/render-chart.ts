// The one chart renderer: a tile's spec and rows → an SVG string, with no DOM. The web app puts the
// string in the page and the export rasterises the same string, so what is exported is what was seen.
import { extent, max, min } from "d3-array";
import { type ScaleBand, type ScaleLinear, type ScaleTime, scaleBand, scaleLinear, scaleUtc } from "d3-scale";
import { arc, area, line, pie } from "d3-shape";
import type { ChartConfig, ChartType } from "../dashboards/spec";
import { type ColumnKind, cellText, columnKind, escapeXml, formatNumber, toNumber, toTime } from "./format";
import { type ChartTheme, LIGHT } from "./theme";

export interface ChartSpec {
  chart_type: ChartType;
  title?: string;
  config?: ChartConfig;
}

export interface ChartData {
  meta: { name: string; type: string }[];
  data: Record<string, unknown>[];
}

export interface RenderOptions {
  width: number;
  height: number;
  theme?: ChartTheme;
  fontFamily?: string;
}

const FONT = "Liberation Sans, Arial, Helvetica, sans-serif";
const FONT_SIZE = 11;
const CHAR_WIDTH = 6.2;
const MAX_TABLE_COLUMNS = 8;

interface Series {
  name: string;
  points: { x: unknown; y: number | null }[];
}

interface Frame {
  width: number;
  height: number;
  theme: ChartTheme;
  font: string;
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));

function svgOpen(f: Frame, label: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" ` +
    `role="img" aria-label="${escapeXml(label)}" font-family="${escapeXml(f.font)}" font-size="${FONT_SIZE}">` +
    `<title>${escapeXml(label)}</title><rect width="${f.width}" height="${f.height}" fill="${f.theme.background}"/>`
  );
}

function text(
  x: number,
  y: number,
  content: string,
  fill: string,
  attrs: { anchor?: "start" | "middle" | "end"; size?: number; weight?: string } = {},
): string {
  return (
    `<text x="${fmt(x)}" y="${fmt(y)}" fill="${fill}"` +
    (attrs.anchor && attrs.anchor !== "start" ? ` text-anchor="${attrs.anchor}"` : "") +
    (attrs.size ? ` font-size="${attrs.size}"` : "") +
    (attrs.weight ? ` font-weight="${attrs.weight}"` : "") +
    `>${escapeXml(content)}</text>`
  );
}

function emptyState(f: Frame, label: string, message: string): string {
  return `${svgOpen(f, label)}${text(f.width / 2, f.height / 2, message, f.theme.muted, { anchor: "middle", size: 13 })}</svg>`;
}

function truncate(s: string, maxChars: number): string {
  return s.length <= maxChars ? s : `${s.slice(0, Math.max(1, maxChars - 1))}…`;
}

/** The x column, the y columns and the series column the config names (or sensible defaults). */
function columns(spec: ChartSpec, data: ChartData) {
  const names = data.meta.length > 0 ? data.meta.map((m) => m.name) : Object.keys(data.data[0] ?? {});
  const typeOf = new Map(data.meta.map((m) => [m.name, m.type]));
  const kind = (name: string): ColumnKind =>
    columnKind(
      typeOf.get(name),
      data.data.map((r) => r[name]),
    );
  const config = spec.config ?? {};
  const x = config.x ?? names[0] ?? "";
  const series = config.series;
  const ys = config.y
    ? Array.isArray(config.y)
      ? config.y
      : [config.y]
    : names.filter((n) => n !== x && n !== series && kind(n) === "number").slice(0, series ? 1 : 4);
  return { names, x, ys, series, xKind: kind(x) };
}

function seriesOf(data: ChartData, x: string, ys: string[], seriesColumn: string | undefined): Series[] {
  if (seriesColumn && ys[0] !== undefined) {
    const y = ys[0];
    const groups = new Map<string, Series>();
    for (const row of data.data) {
      const name = cellText(row[seriesColumn]);
      let s = groups.get(name);
      if (!s) {
        s = { name, points: [] };
        groups.set(name, s);
      }
      s.points.push({ x: row[x], y: toNumber(row[y]) });
    }
    return [...groups.values()];
  }
  return ys.map((y) => ({ name: y, points: data.data.map((row) => ({ x: row[x], y: toNumber(row[y]) })) }));
}

function legend(f: Frame, series: Series[], right: number, top: number): string {
  if (series.length < 2) return "";
  let out = "";
  let cx = right;
  for (let i = series.length - 1; i >= 0; i--) {
    const label = truncate(series[i]?.name ?? "", 18);
    const w = label.length * CHAR_WIDTH + 18;
    cx -= w;
    const color = f.theme.series[i % f.theme.series.length];
    out += `<rect x="${fmt(cx)}" y="${fmt(top - 8)}" width="10" height="10" rx="2" fill="${color}"/>`;
    out += text(cx + 14, top + 1, label, f.theme.text);
  }
  return out;
}

type XScale = ScaleTime<number, number> | ScaleLinear<number, number> | ScaleBand<string>;

function xPosition(scale: XScale, kind: ColumnKind, value: unknown): number | null {
  if (kind === "time") {
    const t = toTime(value);
    return t === null ? null : (scale as ScaleTime<number, number>)(new Date(t));
  }
  if (kind === "number") {
    const n = toNumber(value);
    return n === null ? null : (scale as ScaleLinear<number, number>)(n);
  }
  const band = scale as ScaleBand<string>;
  const p = band(cellText(value));
  return p === undefined ? null : p + band.bandwidth() / 2;
}

/** Line, area, scatter and bar charts: axes, grid, series and legend. */
function cartesian(spec: ChartSpec, data: ChartData, f: Frame, label: string): string {
  const { x, ys, series: seriesColumn, xKind } = columns(spec, data);
  if (ys.length === 0) return emptyState(f, label, "No numeric column to chart");
  const series = seriesOf(data, x, ys, seriesColumn);
  const values = series.flatMap((s) => s.points.map((p) => p.y)).filter((v): v is number => v !== null);
  if (values.length === 0) return emptyState(f, label, "No data");

  const type = spec.chart_type;
  const bars = type === "bar";
  // Bars and areas start at zero; lines and points fit their values.
  let [lo, hi] = [min(values) ?? 0, max(values) ?? 0];
  if (bars || type === "area") [lo, hi] = [Math.min(0, lo), Math.max(0, hi)];
  if (lo === hi) [lo, hi] = lo === 0 ? [0, 1] : [Math.min(0, lo), Math.max(0, hi)];
  const yScale = scaleLinear().domain([lo, hi]).nice(5);
  const yTicks = yScale.ticks(5);
  const tickLabels = yTicks.map(formatNumber);

  const legendRow = series.length > 1 ? 18 : 0;
  const left = Math.ceil(Math.max(...tickLabels.map((t) => t.length)) * CHAR_WIDTH) + 12;
  const margin = { top: 10 + legendRow, right: 14, bottom: 26, left };
  const innerW = Math.max(10, f.width - margin.left - margin.right);
  const innerH = Math.max(10, f.height - margin.top - margin.bottom);
  yScale.range([margin.top + innerH, margin.top]);

  // Categories for bars (always) and for a non-numeric, non-time x.
  const xKindUsed: ColumnKind = bars ? "category" : xKind;
  let xScale: XScale;
  let xTicks: { pos: number; label: string }[] = [];
  if (xKindUsed === "time") {
    const times = data.data.map((r) => toTime(r[x])).filter((t): t is number => t !== null);
    const [t0, t1] = extent(times) as [number, number];
    const s = scaleUtc()
      .domain([new Date(t0), new Date(t1 === t0 ? t0 + 1000 : t1)])
      .range([margin.left, margin.left + innerW]);
    // No more ticks than points: seven one-second windows get whole seconds, not half seconds.
    const count = Math.max(2, Math.min(Math.floor(innerW / 80), new Set(times).size));
    const tickFormat = s.tickFormat(count);
    xTicks = s.ticks(count).map((d) => ({ pos: s(d), label: tickFormat(d) }));
    xScale = s;
  } else if (xKindUsed === "number") {
    const xs = data.data.map((r) => toNumber(r[x])).filter((n): n is number => n !== null);
    const [a, b] = extent(xs) as [number, number];
    const s = scaleLinear()
      .domain(a === b ? [a - 1, b + 1] : [a, b])
      .nice()
      .range([margin.left, margin.left + innerW]);
    xTicks = s.ticks(Math.max(2, Math.floor(innerW / 70))).map((n) => ({ pos: s(n), label: formatNumber(n) }));
    xScale = s;
  } else {
    const labels = [...new Set(data.data.map((r) => cellText(r[x])))];
    const s = scaleBand<string>()
      .domain(labels)
      .range([margin.left, margin.left + innerW])
      .paddingInner(bars ? 0.2 : 0)
      .paddingOuter(bars ? 0.1 : 0.5);
    const every = Math.max(1, Math.ceil((labels.length * 60) / innerW));
    const maxChars = Math.max(3, Math.floor((s.bandwidth() * every) / CHAR_WIDTH));
    xTicks = labels
      .filter((_, i) => i % every === 0)
      .map((l) => ({ pos: (s(l) ?? 0) + s.bandwidth() / 2, label: truncate(l, maxChars) }));
    xScale = s;
  }

  let out = svgOpen(f, label);
  // Grid and y axis.
  for (const [i, t] of yTicks.entries()) {
    const y = yScale(t);
    out += `<line x1="${margin.left}" x2="${fmt(margin.left + innerW)}" y1="${fmt(y)}" y2="${fmt(y)}" stroke="${f.theme.grid}" stroke-width="1"/>`;
    out += text(margin.left - 6, y + 4, tickLabels[i] ?? "", f.theme.muted, { anchor: "end" });
  }
  // x axis.
  const baseY = margin.top + innerH;
  out += `<line x1="${margin.left}" x2="${fmt(margin.left + innerW)}" y1="${fmt(baseY)}" y2="${fmt(baseY)}" stroke="${f.theme.muted}" stroke-width="1"/>`;
  out += '<g class="x-axis">';
  for (const t of xTicks) out += text(t.pos, baseY + 16, t.label, f.theme.muted, { anchor: "middle" });
  out += "</g>";

  const color = (i: number) => f.theme.series[i % f.theme.series.length] ?? "#0969da";
  if (bars) {
    const band = xScale as ScaleBand<string>;
    const inner = scaleBand<number>()
      .domain(series.map((_, i) => i))
      .range([0, band.bandwidth()])
      .padding(0.05);
    const zero = yScale(0);
    for (const [i, s] of series.entries()) {
      out += `<g class="series" fill="${color(i)}">`;
      for (const p of s.points) {
        if (p.y === null) continue;
        const x0 = (band(cellText(p.x)) ?? 0) + (inner(i) ?? 0);
        const y = yScale(p.y);
        const h = Math.abs(zero - y);
        out += `<rect x="${fmt(x0)}" y="${fmt(Math.min(y, zero))}" width="${fmt(Math.max(1, inner.bandwidth()))}" height="${fmt(Math.max(h, p.y === 0 ? 0 : 1))}"><title>${escapeXml(`${s.name} ${cellText(p.x)}: ${cellText(p.y)}`)}</title></rect>`;
      }
      out += "</g>";
    }
  } else {
    for (const [i, s] of series.entries()) {
      const pts = s.points
        .map((p) => ({ x: xPosition(xScale, xKindUsed, p.x), y: p.y === null ? null : yScale(p.y) }))
        .filter((p) => p.x !== null)
        .sort((a, b) => (a.x as number) - (b.x as number)) as { x: number; y: number | null }[];
      if (type === "scatter") {
        out += `<g class="series" fill="${color(i)}">`;
        for (const p of pts) if (p.y !== null) out += `<circle cx="${fmt(p.x)}" cy="${fmt(p.y)}" r="3.5"/>`;
        out += "</g>";
        continue;
      }
      // NULLs break the line rather than drop to zero.
      const defined = (p: { y: number | null }) => p.y !== null;
      if (type === "area") {
        const a = area<{ x: number; y: number | null }>()
          .defined(defined)
          .x((p) => p.x)
          .y0(yScale(Math.max(lo, Math.min(0, hi))))
          .y1((p) => p.y as number)(pts);
        if (a) out += `<path class="area" d="${a}" fill="${color(i)}" fill-opacity="0.25"/>`;
      }
      const l = line<{ x: number; y: number | null }>()
        .defined(defined)
        .x((p) => p.x)
        .y((p) => p.y as number)(pts);
      if (l)
        out += `<path class="series" d="${l}" fill="none" stroke="${color(i)}" stroke-width="2" stroke-linejoin="round"/>`;
      // A lone point (or one between NULLs) has no segment: mark it.
      for (const [j, p] of pts.entries())
        if (p.y !== null && !(pts[j - 1]?.y != null) && !(pts[j + 1]?.y != null))
          out += `<circle cx="${fmt(p.x)}" cy="${fmt(p.y)}" r="3" fill="${color(i)}"/>`;
    }
  }
  out += legend(f, series, f.width - margin.right, 14);
  return `${out}</svg>`;
}

function pieChart(spec: ChartSpec, data: ChartData, f: Frame, label: string): string {
  const { x, ys } = columns(spec, data);
  const y = ys[0];
  if (y === undefined) return emptyState(f, label, "No numeric column to chart");
  const slices = data.data
    .map((r) => ({ name: cellText(r[x]), value: toNumber(r[y]) }))
    .filter((s): s is { name: string; value: number } => s.value !== null && s.value > 0);
  if (slices.length === 0) return emptyState(f, label, "No data");
  const legendW = Math.min(180, f.width * 0.4);
  const radius = Math.max(10, Math.min(f.width - legendW - 20, f.height - 20) / 2);
  const cx = 10 + radius;
  const cy = f.height / 2;
  const arcs = pie<{ name: string; value: number }>()
    .value((s) => s.value)
    .sort(null)(slices);
  const path = arc<(typeof arcs)[number]>()
    .innerRadius(radius * 0.5)
    .outerRadius(radius);
  const total = slices.reduce((a, s) => a + s.value, 0);
  let out = svgOpen(f, label);
  out += `<g transform="translate(${fmt(cx)},${fmt(cy)})">`;
  for (const [i, a] of arcs.entries())
    out += `<path d="${path(a)}" fill="${f.theme.series[i % f.theme.series.length]}" stroke="${f.theme.background}" stroke-width="1"><title>${escapeXml(`${a.data.name}: ${cellText(a.data.value)}`)}</title></path>`;
  out += "</g>";
  const lx = cx + radius + 16;
  const rows = Math.max(1, Math.floor((f.height - 10) / 16));
  for (const [i, s] of slices.slice(0, rows).entries()) {
    const ly = 16 + i * 16 + Math.max(0, (f.height - 16 * Math.min(rows, slices.length)) / 2 - 8);
    out += `<rect x="${fmt(lx)}" y="${fmt(ly - 9)}" width="10" height="10" rx="2" fill="${f.theme.series[i % f.theme.series.length]}"/>`;
    const pct = `${((s.value / total) * 100).toFixed(s.value / total < 0.1 ? 1 : 0)}%`;
    out += text(lx + 14, ly, `${truncate(s.name, Math.floor((f.width - lx - 50) / CHAR_WIDTH))} ${pct}`, f.theme.text);
  }
  return `${out}</svg>`;
}

function numberTile(spec: ChartSpec, data: ChartData, f: Frame, label: string): string {
  const { ys, names } = columns(spec, data);
  const y = ys[0] ?? names[0];
  const last = data.data[data.data.length - 1];
  if (y === undefined || last === undefined) return emptyState(f, label, "No data");
  const raw = last[y];
  const n = toNumber(raw);
  const shown = n === null ? cellText(raw) : Math.abs(n) >= 1e6 ? formatNumber(n) : cellText(n);
  const size = Math.max(14, Math.min(f.height * 0.45, (f.width * 0.9) / Math.max(1, shown.length * 0.6)));
  let out = svgOpen(f, label);
  out += text(f.width / 2, f.height / 2 + size * 0.35, shown, f.theme.text, {
    anchor: "middle",
    size: Math.round(size),
    weight: "bold",
  });
  out += text(f.width / 2, Math.min(f.height - 6, f.height / 2 + size * 0.35 + 18), y, f.theme.muted, {
    anchor: "middle",
  });
  return `${out}</svg>`;
}

function tableChart(data: ChartData, f: Frame, label: string): string {
  const names = (data.meta.length > 0 ? data.meta.map((m) => m.name) : Object.keys(data.data[0] ?? {})).slice(
    0,
    MAX_TABLE_COLUMNS,
  );
  if (names.length === 0 || data.data.length === 0) return emptyState(f, label, "No rows");
  const rowH = 18;
  const colW = (f.width - 8) / names.length;
  const maxChars = Math.max(3, Math.floor((colW - 8) / CHAR_WIDTH));
  const rows = Math.max(0, Math.floor((f.height - rowH - 6) / rowH));
  let out = svgOpen(f, label);
  for (const [i, n] of names.entries())
    out += text(4 + i * colW + 4, 14, truncate(n, maxChars), f.theme.text, { weight: "bold" });
  out += `<line x1="4" x2="${fmt(f.width - 4)}" y1="${rowH + 1}" y2="${rowH + 1}" stroke="${f.theme.muted}"/>`;
  for (const [r, row] of data.data.slice(0, rows).entries()) {
    const y = rowH * (r + 2) - 4;
    for (const [i, n] of names.entries())
      out += text(4 + i * colW + 4, y, truncate(cellText(row[n]), maxChars), f.theme.text);
  }
  if (data.data.length > rows && rows > 0)
    out += text(f.width - 6, f.height - 4, `${rows} of ${data.data.length} rows`, f.theme.muted, {
      anchor: "end",
      size: 10,
    });
  return `${out}</svg>`;
}

/** The tile's chart as a standalone SVG document string. */
export function renderChart(spec: ChartSpec, data: ChartData, options: RenderOptions): string {
  const f: Frame = {
    width: Math.max(40, Math.round(options.width)),
    height: Math.max(30, Math.round(options.height)),
    theme: options.theme ?? LIGHT,
    font: options.fontFamily ?? FONT,
  };
  const label = `${spec.title ? `${spec.title}: ` : ""}${spec.chart_type} chart of ${data.data.length} rows`;
  switch (spec.chart_type) {
    case "pie":
      return pieChart(spec, data, f, label);
    case "number":
      return numberTile(spec, data, f, label);
    case "table":
      return tableChart(data, f, label);
    default:
      if (data.data.length === 0) return emptyState(f, label, "No data");
      return cartesian(spec, data, f, label);
  }
}
