// Chart colours for light and dark pages. Text pairs meet WCAG AA (4.5:1) on their background and
// series colours 3:1 (graphical objects), so an exported PNG reads as well as the page.

export interface ChartTheme {
  background: string;
  text: string;
  muted: string;
  grid: string;
  series: readonly string[];
}

export const LIGHT: ChartTheme = {
  background: "#ffffff",
  text: "#1f2328",
  muted: "#57606a",
  grid: "#d8dee4",
  series: ["#0969da", "#bc4c00", "#1a7f37", "#8250df", "#cf222e", "#9a6700", "#1b7c83", "#bf3989"],
};

export const DARK: ChartTheme = {
  background: "#161b22",
  text: "#e6edf3",
  muted: "#9198a1",
  grid: "#30363d",
  series: ["#4493f8", "#f0883e", "#3fb950", "#a371f7", "#f85149", "#d29922", "#39c5cf", "#db61a2"],
};
