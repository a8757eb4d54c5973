// A whole dashboard as one SVG page (what PNG and PDF exports rasterise): its name, then every tile
// at its grid position, each drawn by the same renderChart as the web app.
import { GRID_COLUMNS } from "../dashboards/chart-types";
import type { TileData, Visualization } from "../dashboards/spec";
import { escapeXml } from "./format";
import { renderChart } from "./render-chart";
import { type ChartTheme, LIGHT } from "./theme";

export const ROW_HEIGHT = 70;
const GAP = 12;
const PAD = 24;
const HEADER = 56;
const TITLE_BAR = 26;

export interface PageLayout {
  width: number;
  height: number;
  svg: string;
}

export function dashboardSvg(
  name: string,
  visualizations: Visualization[],
  tiles: TileData[],
  options: { width: number; theme?: ChartTheme; generatedAt?: Date; fontFamily?: string },
): PageLayout {
  const theme = options.theme ?? LIGHT;
  const width = options.width;
  const colW = (width - 2 * PAD - (GRID_COLUMNS - 1) * GAP) / GRID_COLUMNS;
  const rows = Math.max(1, ...visualizations.map((v) => v.position.y + v.position.h));
  const height = Math.round(HEADER + PAD + rows * ROW_HEIGHT + (rows - 1) * GAP + PAD);
  const byId = new Map(tiles.map((t) => [t.id, t]));
  const font = options.fontFamily ?? "Liberation Sans, Arial, Helvetica, sans-serif";
  const cardFill = theme === LIGHT ? "#f6f8fa" : "#0d1117";
  let svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${escapeXml(font)}">` +
    `<rect width="${width}" height="${height}" fill="${cardFill}"/>` +
    `<text x="${PAD}" y="${PAD + 14}" font-size="22" font-weight="bold" fill="${theme.text}">${escapeXml(name)}</text>` +
    `<text x="${width - PAD}" y="${PAD + 14}" font-size="12" text-anchor="end" fill="${theme.muted}">${escapeXml(
      `Tarn · ${(options.generatedAt ?? new Date()).toISOString().slice(0, 16).replace("T", " ")} UTC`,
    )}</text>`;
  for (const v of visualizations) {
    const x = PAD + v.position.x * (colW + GAP);
    const y = HEADER + PAD + v.position.y * (ROW_HEIGHT + GAP);
    const w = v.position.w * colW + (v.position.w - 1) * GAP;
    const h = v.position.h * ROW_HEIGHT + (v.position.h - 1) * GAP;
    const tile = byId.get(v.id);
    svg += `<g transform="translate(${x.toFixed(1)},${y.toFixed(1)})">`;
    svg += `<rect width="${w.toFixed(1)}" height="${h}" rx="6" fill="${theme.background}" stroke="${theme.grid}"/>`;
    svg += `<text x="10" y="18" font-size="13" font-weight="bold" fill="${theme.text}">${escapeXml(v.title || v.id)}</text>`;
    svg += `<g transform="translate(4,${TITLE_BAR})">`;
    if (!tile || tile.error)
      svg += `<text x="6" y="20" font-size="12" fill="${theme.series[4]}">${escapeXml(
        tile?.error ? `${tile.error.code}: ${tile.error.message}`.slice(0, 120) : "no data",
      )}</text>`;
    else
      svg += renderChart(v, tile, {
        width: w - 8,
        height: Math.max(30, h - TITLE_BAR - 6),
        theme,
        fontFamily: font,
      });
    svg += "</g></g>";
  }
  return { width, height, svg: `${svg}</svg>` };
}
