// What a dashboard is (API.md, "Dashboards"): named tiles on a 12-column grid, each a chart of a SQL
// query or of a live metric's recent windows.
import { z } from "zod";
import { MetricNameSchema } from "../live/metric-def";
import { WindowSizeSchema } from "../live/window-size";

import { CHART_TYPES, GRID_COLUMNS } from "./chart-types";

export { CHART_TYPES, type ChartType, GRID_COLUMNS } from "./chart-types";
export const MAX_TILES = 24;

export const ChartConfigSchema = z
  .object({
    /** The column on the x axis (or the slice labels of a pie); default: the first column. */
    x: z.string().max(128).optional(),
    /** The value column(s); default: the first numeric column(s) other than x. */
    y: z.union([z.string().max(128), z.array(z.string().max(128)).min(1).max(8)]).optional(),
    /** A column whose values split the rows into one line/bar series each. */
    series: z.string().max(128).optional(),
  })
  .strict();
export type ChartConfig = z.infer<typeof ChartConfigSchema>;

export const PositionSchema = z
  .object({
    x: z
      .number()
      .int()
      .min(0)
      .max(GRID_COLUMNS - 1),
    y: z.number().int().min(0).max(1000),
    w: z.number().int().min(1).max(GRID_COLUMNS),
    h: z.number().int().min(1).max(12),
  })
  .refine((p) => p.x + p.w <= GRID_COLUMNS, { message: `x + w must be at most ${GRID_COLUMNS}`, path: ["w"] });

export const MetricSourceSchema = z.object({
  name: MetricNameSchema,
  window: WindowSizeSchema,
  /** How many recent windows the tile shows (default 30). */
  last: z.number().int().min(1).max(300).optional(),
});

export const VisualizationSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1–64 letters, digits, _ or -"),
    title: z.string().max(200).default(""),
    chart_type: z.enum(CHART_TYPES),
    query: z.string().trim().min(1).max(20_000).optional(),
    metric: MetricSourceSchema.optional(),
    config: ChartConfigSchema.default({}),
    position: PositionSchema,
    /** SQL tiles: how often the web app refreshes them (seconds); live tiles update as windows change. */
    refresh_seconds: z.number().int().min(5).max(86_400).optional(),
  })
  .refine((v) => (v.query === undefined) !== (v.metric === undefined), {
    message: "give exactly one source: query (SQL) or metric ({name, window})",
    path: ["query"],
  });
export type Visualization = z.infer<typeof VisualizationSchema>;

export const DashboardBodySchema = z
  .object({
    name: z.string().trim().min(1, "must not be empty").max(200),
    visualizations: z.array(VisualizationSchema).max(MAX_TILES).default([]),
  })
  .refine((d) => new Set(d.visualizations.map((v) => v.id)).size === d.visualizations.length, {
    message: "visualization ids must be unique within the dashboard",
    path: ["visualizations"],
  })
  .meta({ id: "DashboardBody" });
export type DashboardBody = z.infer<typeof DashboardBodySchema>;

/** One tile's answer in `/data`: the query's columns and rows, or why it failed. */
export interface TileData {
  id: string;
  meta: { name: string; type: string }[];
  data: Record<string, unknown>[];
  error: { code: string; message: string } | null;
  /** Which step answered a SQL tile (`cache`, `rollup`, `scan`) or `live` for a metric tile. */
  source?: string;
}
