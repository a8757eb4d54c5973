// Dashboards: the list, one dashboard's grid (live tiles over the WebSocket, SQL tiles on their refresh
// interval), editing and arranging tiles, share links and exports; and the shared (signed-out) view.
import { CHART_TYPES } from "../../../shared/dashboards/chart-types";
import type { TileData, Visualization } from "../../../shared/dashboards/spec";
import { can, currentSession, request } from "../api";
import { h, mount } from "../dom";
import { type LiveSubscription, openLive } from "../live";
import { navigate, setCleanup } from "../router";
import { drawTile, gridOf, redrawOnResize, type TileView, tileView } from "../tiles";
import { errorBox, status } from "../ui";

interface Dashboard {
  dashboard_id: string;
  name: string;
  visualizations: Visualization[];
  updated_at: string;
  shared: boolean;
}

const WINDOWS = ["1s", "10s", "1m", "5m", "15m", "1h", "1d"];

export async function dashboardsPage(main: HTMLElement): Promise<void> {
  const { dashboards } = await request<{ dashboards: Dashboard[] }>("/v1/dashboards");
  const name = h("input", { id: "new-dashboard-name", name: "name", required: true, placeholder: "Weekly revenue" });
  const msg = status();
  const form = can("write")
    ? h(
        "form",
        {
          class: "row card",
          "aria-label": "Create a dashboard",
          onsubmit: async (e: Event) => {
            e.preventDefault();
            try {
              const made = await request<Dashboard>("/v1/dashboards", {
                json: { name: name.value, visualizations: [] },
              });
              navigate(`/dashboards/${made.dashboard_id}?edit=1`);
            } catch (err) {
              mount(msg, errorBox(err));
            }
          },
        },
        h("label", { for: "new-dashboard-name" }, "Name of a new dashboard", name),
        h("button", { class: "primary", type: "submit" }, "Create"),
        msg,
      )
    : null;
  mount(
    main,
    h("h1", null, "Dashboards"),
    form,
    h("h2", null, `${dashboards.length} dashboard${dashboards.length === 1 ? "" : "s"}`),
    dashboards.length === 0
      ? h(
          "div",
          { class: "empty" },
          can("write") ? "No dashboards yet: create the first one above." : "No dashboards yet.",
        )
      : h(
          "ul",
          { class: "list" },
          dashboards.map((d) =>
            h(
              "li",
              null,
              h(
                "a",
                { class: "item", href: `/dashboards/${d.dashboard_id}`, "data-link": true },
                h("strong", null, d.name),
                h(
                  "div",
                  { class: "muted" },
                  `${d.visualizations.length} tile${d.visualizations.length === 1 ? "" : "s"}`,
                  d.shared ? " · shared" : "",
                  ` · updated ${new Date(d.updated_at).toLocaleString()}`,
                ),
              ),
            ),
          ),
        ),
  );
}

/** Rows of the lowest free grid row, to place a new tile under the others. */
function nextRow(vs: Visualization[]): number {
  return vs.reduce((m, v) => Math.max(m, v.position.y + v.position.h), 0);
}

function tileDialog(existing: Visualization | null, taken: Set<string>, onSave: (v: Visualization) => Promise<void>) {
  const v = existing;
  // Each control gets an id and a label pointing at it (a select's options never leak into its name).
  const field = (label: string, input: HTMLElement) => {
    input.id ||= `tile-${input.getAttribute("name") ?? label.toLowerCase().replace(/\W+/g, "-")}`;
    return h("div", { class: "field" }, h("label", { for: input.id }, label), input);
  };
  const title = h("input", { name: "title", value: v?.title ?? "", required: true });
  const type = h(
    "select",
    { name: "chart_type" },
    CHART_TYPES.map((t) => h("option", { value: t, selected: (v?.chart_type ?? "line") === t }, t)),
  );
  const source = h(
    "select",
    { name: "source" },
    h("option", { value: "query", selected: !v?.metric }, "SQL query"),
    h("option", { value: "metric", selected: !!v?.metric }, "Live metric"),
  );
  const query = h(
    "textarea",
    { name: "query", rows: 5, spellcheck: "false" },
    v?.query ?? "SELECT event_type, count(*) AS n FROM events GROUP BY 1 ORDER BY 2 DESC",
  );
  const metric = h("input", { name: "metric", value: v?.metric?.name ?? "events" });
  const window_ = h(
    "select",
    { name: "window" },
    WINDOWS.map((w) => h("option", { value: w, selected: (v?.metric?.window ?? "1s") === w }, w)),
  );
  const last = h("input", { name: "last", type: "number", min: 1, max: 300, value: v?.metric?.last ?? 30 });
  const x = h("input", { name: "x", value: v?.config.x ?? "", placeholder: "first column" });
  const y = h("input", {
    name: "y",
    value: Array.isArray(v?.config.y) ? v?.config.y.join(",") : (v?.config.y ?? ""),
    placeholder: "numeric columns",
  });
  const series = h("input", { name: "series", value: v?.config.series ?? "", placeholder: "none" });
  const w = h("input", { name: "w", type: "number", min: 1, max: 12, value: v?.position.w ?? 6 });
  const hh = h("input", { name: "h", type: "number", min: 1, max: 12, value: v?.position.h ?? 4 });
  const refresh = h("input", { name: "refresh", type: "number", min: 5, value: v?.refresh_seconds ?? 60 });
  const sqlPart = h("div", null, field("SQL", query), field("Refresh every (seconds)", refresh));
  const metricPart = h(
    "div",
    { class: "row" },
    field("Metric", metric),
    field("Window", window_),
    field("Windows shown", last),
  );
  const sync = () => {
    sqlPart.hidden = source.value !== "query";
    metricPart.hidden = source.value !== "metric";
  };
  source.addEventListener("change", sync);
  sync();
  const msg = status();
  const dialog = h("dialog", { "aria-labelledby": "tile-dialog-title" });
  const form = h(
    "form",
    {
      method: "dialog",
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const width = Math.min(12, Math.max(1, Number(w.value) || 6));
        const posX = v ? Math.min(v.position.x, 12 - width) : 0;
        let id =
          v?.id ??
          (title.value
            .toLowerCase()
            .replace(/[^a-z0-9]+/g, "-")
            .replace(/^-|-$/g, "") ||
            "tile");
        if (!v) for (let i = 2; taken.has(id); i++) id = `${id.replace(/-\d+$/, "")}-${i}`;
        const ys = y.value
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean);
        const viz = {
          id,
          title: title.value,
          chart_type: type.value as Visualization["chart_type"],
          ...(source.value === "query"
            ? { query: query.value, refresh_seconds: Math.max(5, Number(refresh.value) || 60) }
            : { metric: { name: metric.value.trim(), window: window_.value, last: Number(last.value) || 30 } }),
          config: {
            ...(x.value.trim() ? { x: x.value.trim() } : {}),
            ...(ys.length === 1 ? { y: ys[0] } : ys.length > 1 ? { y: ys } : {}),
            ...(series.value.trim() ? { series: series.value.trim() } : {}),
          },
          position: { x: posX, y: v?.position.y ?? -1, w: width, h: Math.min(12, Math.max(1, Number(hh.value) || 4)) },
        } as Visualization;
        try {
          await onSave(viz);
          dialog.close();
          dialog.remove();
        } catch (err) {
          mount(msg, errorBox(err));
        }
      },
    },
    h("h2", { id: "tile-dialog-title" }, v ? "Edit tile" : "Add a tile"),
    field("Title", title),
    h("div", { class: "row" }, field("Chart", type), field("Source", source)),
    sqlPart,
    metricPart,
    h("div", { class: "row" }, field("X column", x), field("Y column(s)", y), field("Series column", series)),
    h("div", { class: "row" }, field("Width (of 12)", w), field("Height (rows)", hh)),
    msg,
    h(
      "div",
      { class: "row" },
      h("button", { class: "primary", type: "submit" }, v ? "Save tile" : "Add tile"),
      h(
        "button",
        {
          type: "button",
          onclick: () => {
            dialog.close();
            dialog.remove();
          },
        },
        "Cancel",
      ),
    ),
  );
  dialog.append(form);
  document.body.append(dialog);
  dialog.showModal();
  title.focus();
}

function shareDialog(d: Dashboard) {
  const base = `/v1/dashboards/${d.dashboard_id}/share`;
  const list = h("ul", { class: "shares" });
  const made = h("div");
  const msg = status();
  const dialog = h("dialog", { "aria-labelledby": "share-title" });
  const refresh = async () => {
    try {
      const { shares } = await request<{ shares: { id: string; created_at: string }[] }>(base);
      mount(
        list,
        shares.length === 0
          ? h("li", { class: "muted" }, "No live links.")
          : shares.map((s) =>
              h(
                "li",
                null,
                `Link ${s.id} made ${new Date(s.created_at).toLocaleString()} `,
                h(
                  "button",
                  {
                    class: "danger",
                    type: "button",
                    onclick: async () => {
                      await request(`${base}/${s.id}`, { method: "DELETE" });
                      mount(msg, "Link revoked: it stops working at once.");
                      await refresh();
                    },
                  },
                  "Revoke",
                ),
              ),
            ),
      );
    } catch (err) {
      mount(msg, errorBox(err));
    }
  };
  dialog.append(
    h("h2", { id: "share-title" }, `Share “${d.name}”`),
    h(
      "p",
      { class: "muted" },
      "Anyone with a link sees this dashboard read-only, without signing in, with columns masked as for a viewer. Each link can be revoked.",
    ),
    h(
      "button",
      {
        class: "primary",
        type: "button",
        onclick: async () => {
          try {
            const link = await request<{ url: string }>(base, { method: "POST" });
            const input = h("input", {
              class: "share-url",
              readonly: true,
              value: link.url,
              "aria-label": "Share link",
            });
            mount(
              made,
              h("label", null, "New link (shown once)", input),
              h(
                "button",
                {
                  type: "button",
                  onclick: () => navigator.clipboard?.writeText(link.url).then(() => mount(msg, "Copied.")),
                },
                "Copy",
              ),
            );
            input.select();
            await refresh();
          } catch (err) {
            mount(msg, errorBox(err));
          }
        },
      },
      "Create a link",
    ),
    made,
    h("h2", null, "Live links"),
    list,
    msg,
    h(
      "button",
      {
        type: "button",
        onclick: () => {
          dialog.close();
          dialog.remove();
        },
      },
      "Close",
    ),
  );
  document.body.append(dialog);
  dialog.showModal();
  void refresh();
}

export async function dashboardPage(main: HTMLElement, id: string, editing: boolean): Promise<void> {
  const session = currentSession();
  let d = await request<Dashboard>(`/v1/dashboards/${id}`);
  let views: TileView[] = [];
  let live: { close(): void } | null = null;
  let timer = 0;
  const msg = status();
  const liveState = h("span", { class: "muted", "aria-live": "polite" });
  const gridHost = h("div", { class: editing ? "editing" : "" });
  const exportLinks = h("span", { class: "row" });

  const save = async (visualizations: Visualization[]) => {
    d = await request<Dashboard>(`/v1/dashboards/${id}`, {
      method: "PUT",
      json: { name: d.name, visualizations },
    });
    await build();
  };

  const move = (v: Visualization, dx: number, dy: number, dw: number, dh: number) => {
    const w = Math.min(12, Math.max(1, v.position.w + dw));
    const p = {
      x: Math.min(12 - w, Math.max(0, v.position.x + dx)),
      y: Math.max(0, v.position.y + dy),
      w,
      h: Math.min(12, Math.max(1, v.position.h + dh)),
    };
    void save(d.visualizations.map((o) => (o.id === v.id ? { ...o, position: p } : o))).catch((err) =>
      mount(msg, errorBox(err)),
    );
  };

  const tool = (label: string, text: string, fn: () => void) =>
    h("button", { class: "icon", type: "button", "aria-label": label, title: label, onclick: fn }, text);

  const loadData = async (onlySql: boolean) => {
    try {
      const res = await request<{ visualizations: TileData[] }>(`/v1/dashboards/${id}/data`);
      for (const t of res.visualizations) {
        const view = views.find((v) => v.viz.id === t.id);
        if (!view || (onlySql && view.viz.metric && !t.error)) continue;
        view.data = t;
        drawTile(view);
      }
    } catch (err) {
      mount(msg, errorBox(err));
    }
  };

  const build = async () => {
    live?.close();
    clearInterval(timer);
    views = d.visualizations.map(tileView);
    if (editing)
      for (const v of views) {
        const viz = v.viz;
        mount(
          v.tools,
          tool(`Edit ${viz.title}`, "✎", () =>
            tileDialog(viz, new Set(), (next) =>
              save(
                d.visualizations.map((o) =>
                  o.id === viz.id ? { ...next, position: { ...next.position, y: viz.position.y } } : o,
                ),
              ),
            ),
          ),
          tool(`Move ${viz.title} left`, "←", () => move(viz, -1, 0, 0, 0)),
          tool(`Move ${viz.title} right`, "→", () => move(viz, 1, 0, 0, 0)),
          tool(`Move ${viz.title} up`, "↑", () => move(viz, 0, -1, 0, 0)),
          tool(`Move ${viz.title} down`, "↓", () => move(viz, 0, 1, 0, 0)),
          tool(`Make ${viz.title} narrower`, "−", () => move(viz, 0, 0, -1, 0)),
          tool(`Make ${viz.title} wider`, "+", () => move(viz, 0, 0, 1, 0)),
          tool(`Remove ${viz.title}`, "✕", () => {
            if (confirm(`Remove the tile “${viz.title}”?`))
              void save(d.visualizations.filter((o) => o.id !== viz.id)).catch((err) => mount(msg, errorBox(err)));
          }),
        );
      }
    mount(
      gridHost,
      views.length === 0
        ? h(
            "div",
            { class: "empty" },
            can("write") ? "No tiles yet: add one with “Add tile”." : "This dashboard has no tiles.",
          )
        : gridOf(views),
    );
    await loadData(false);
    // Live tiles: one socket for all of them.
    const subs: LiveSubscription[] = views
      .filter((v) => v.viz.metric)
      .map((v) => {
        const m = v.viz.metric as NonNullable<Visualization["metric"]>;
        return {
          stream: m.name,
          window: m.window,
          last: m.last ?? 30,
          rows: v.data?.data ?? [],
          onRows: (rows) => {
            const meta = v.data?.meta?.length
              ? v.data.meta
              : [
                  { name: "start", type: "TIMESTAMP" },
                  { name: "count", type: "BIGINT" },
                ];
            v.data = { id: v.viz.id, meta, data: rows, error: null, source: "live" };
            drawTile(v);
            v.el.setAttribute("data-updated", String(Date.now()));
          },
        };
      });
    if (subs.length > 0 && session)
      live = openLive(session.token, subs, (s) => mount(liveState, s === "live" ? "● live" : "reconnecting…"));
    else mount(liveState);
    const refreshes = views.map((v) => v.viz.refresh_seconds).filter((s): s is number => !!s && s > 0);
    if (refreshes.length > 0) timer = window.setInterval(() => void loadData(true), Math.min(...refreshes) * 1000);
  };

  const doExport = async (format: "png" | "pdf") => {
    mount(exportLinks, h("span", { class: "muted" }, `Rendering ${format.toUpperCase()}…`));
    try {
      const made = await request<{ download_url: string; expires_at: string }>(`/v1/dashboards/${id}/export`, {
        json: { format },
      });
      mount(
        exportLinks,
        h(
          "a",
          { class: "button", href: made.download_url, target: "_blank", rel: "noopener", "data-export": format },
          `Download ${format.toUpperCase()}`,
        ),
        h("span", { class: "muted" }, ` until ${new Date(made.expires_at).toLocaleTimeString()}`),
      );
    } catch (err) {
      mount(exportLinks, errorBox(err));
    }
  };

  const toolbar = h(
    "div",
    { class: "toolbar" },
    h("h1", null, d.name),
    liveState,
    can("write")
      ? h(
          "a",
          {
            class: "button",
            href: `/dashboards/${id}${editing ? "" : "?edit=1"}`,
            "data-link": true,
            "aria-pressed": String(editing),
          },
          editing ? "Done editing" : "Edit",
        )
      : null,
    can("write") && editing
      ? h(
          "button",
          {
            class: "primary",
            type: "button",
            onclick: () =>
              tileDialog(null, new Set(d.visualizations.map((v) => v.id)), (v) =>
                save([...d.visualizations, { ...v, position: { ...v.position, y: nextRow(d.visualizations) } }]),
              ),
          },
          "Add tile",
        )
      : null,
    can("write") ? h("button", { type: "button", onclick: () => shareDialog(d) }, "Share") : null,
    h("button", { type: "button", onclick: () => doExport("png") }, "Export PNG"),
    h("button", { type: "button", onclick: () => doExport("pdf") }, "Export PDF"),
    exportLinks,
  );
  mount(main, toolbar, msg, gridHost);
  const stopResize = redrawOnResize(() => views);
  setCleanup(() => {
    live?.close();
    clearInterval(timer);
    stopResize();
  });
  await build();
}

export async function sharedPage(main: HTMLElement, token: string): Promise<void> {
  let views: TileView[] = [];
  const load = async () => {
    const res = await request<{ dashboard: Dashboard; visualizations: TileData[] }>(`/v1/shared/${token}`, {
      token: null,
    });
    if (views.length === 0) {
      views = res.dashboard.visualizations.map(tileView);
      mount(
        main,
        h(
          "div",
          { class: "toolbar" },
          h("h1", null, res.dashboard.name),
          h("span", { class: "muted" }, "Shared dashboard · read-only · refreshes every 30 s"),
        ),
        views.length ? gridOf(views) : h("div", { class: "empty" }, "This dashboard has no tiles."),
      );
    }
    for (const t of res.visualizations) {
      const v = views.find((x) => x.viz.id === t.id);
      if (v) {
        v.data = t;
        drawTile(v);
      }
    }
  };
  await load();
  const timer = window.setInterval(() => void load().catch(() => {}), 30_000);
  const stopResize = redrawOnResize(() => views);
  setCleanup(() => {
    clearInterval(timer);
    stopResize();
  });
}
