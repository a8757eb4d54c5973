// The chart types and the grid, without zod: the web app imports these and stays small.
export const CHART_TYPES = ["line", "bar", "area", "scatter", "pie", "table", "number"] as const;
export type ChartType = (typeof CHART_TYPES)[number];

export const GRID_COLUMNS = 12;
