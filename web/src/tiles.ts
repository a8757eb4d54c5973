// Drawing tiles: the shared renderer's SVG for charts, an HTML table for `table` tiles (readable by screen
// readers), and the error of a failed tile. Also the grid the dashboard and the shared page both use.
import { renderChart } from "../../shared/charts/render-chart";
import { DARK, LIGHT } from "../../shared/charts/theme";
import type { TileData, Visualization } from "../../shared/dashboards/spec";
import { h, mount, svgBox } from "./dom";
import { dataTable, prefersDark } from "./ui";

export interface TileView {
  el: HTMLElement;
  body: HTMLElement;
  tools: HTMLElement;
  viz: Visualization;
  data: TileData | null;
}

export function tileView(viz: Visualization): TileView {
  const body = h("div", { class: "body" }, h("span", { class: "muted" }, "Loading…"));
  const tools = h("div", { class: "tools" });
  const titleId = `tile-title-${viz.id}`;
  const el = h(
    "section",
    {
      class: "tile",
      "data-tile": viz.id,
      "aria-labelledby": titleId,
      // The grid position as custom properties, so the narrow-screen rule can override it without !important.
      style: `--col: ${viz.position.x + 1} / span ${viz.position.w}; --row: ${viz.position.y + 1} / span ${viz.position.h}`,
    },
    h(
      "header",
      null,
      h("h2", { id: titleId }, viz.title || viz.id),
      viz.metric
        ? h(
            "span",
            { class: "badge live", title: `live metric ${viz.metric.name}, ${viz.metric.window} windows` },
            "live",
          )
        : null,
      tools,
    ),
    body,
  );
  return { el, body, tools, viz, data: null };
}

/** Draws the tile's current data at the tile's current size. */
export function drawTile(view: TileView): void {
  const { viz, data, body } = view;
  if (!data) return;
  if (data.error) {
    mount(
      body,
      h("div", { class: "error", role: "alert" }, h("strong", null, data.error.code), ": ", data.error.message),
    );
    return;
  }
  if (viz.chart_type === "table") {
    mount(
      body,
      data.data.length ? dataTable(data.meta, data.data, viz.title || viz.id) : h("div", { class: "empty" }, "No rows"),
    );
    return;
  }
  const width = Math.max(120, body.clientWidth - 2);
  const height = Math.max(60, body.clientHeight - 2);
  const svg = renderChart(viz, data, { width, height, theme: prefersDark() ? DARK : LIGHT });
  mount(body, svgBox(svg, "chart"));
  body.setAttribute("data-rows", String(data.data.length));
}

export function gridOf(views: TileView[]): HTMLElement {
  return h(
    "div",
    { class: "grid" },
    views.map((v) => v.el),
  );
}

/** Redraws every tile when the window (and so the tiles) change size, or the colour scheme flips. */
export function redrawOnResize(views: () => TileView[]): () => void {
  let timer = 0;
  const redraw = () => {
    clearTimeout(timer);
    timer = window.setTimeout(() => {
      for (const v of views()) drawTile(v);
    }, 120);
  };
  window.addEventListener("resize", redraw);
  const media = window.matchMedia?.("(prefers-color-scheme: dark)");
  media?.addEventListener("change", redraw);
  return () => {
    window.removeEventListener("resize", redraw);
    media?.removeEventListener("change", redraw);
  };
}
