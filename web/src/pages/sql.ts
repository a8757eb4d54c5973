// The SQL editor: a schema browser from the catalog, the query, its results table and chart, and EXPLAIN.
import { renderChart } from "../../../shared/charts/render-chart";
import { DARK, LIGHT } from "../../../shared/charts/theme";
import { CHART_TYPES, type ChartType } from "../../../shared/dashboards/chart-types";
import { request } from "../api";
import { h, mount, svgBox } from "../dom";
import { dataTable, errorBox, prefersDark, status } from "../ui";

interface Catalog {
  datasets: { name: string; rows: number; columns: { name: string; type: string; pii?: boolean }[] }[];
}
interface Answer {
  meta: { name: string; type: string }[];
  data: Record<string, unknown>[];
  rows: number;
  statistics: { elapsed: number; source?: string; rows_read?: number; files_read?: number };
  explain?: unknown;
}

const quoteName = (name: string) => (/^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`);

export async function sqlPage(main: HTMLElement): Promise<void> {
  const editor = h(
    "textarea",
    { id: "sql", name: "sql", rows: 8, spellcheck: "false", "aria-describedby": "sql-help" },
    // `?sql=` opens a query handed over by another page (a question's answer).
    new URL(location.href).searchParams.get("sql") ??
      "SELECT event_type, count(*) AS n\nFROM events\nGROUP BY event_type\nORDER BY n DESC",
  );
  const chartType = h(
    "select",
    { id: "chart-type", name: "chart_type" },
    CHART_TYPES.filter((t) => t !== "table").map((t) => h("option", { value: t, selected: t === "bar" }, t)),
  );
  const results = h("div", { id: "results" });
  const chart = h("div", { class: "chart-box", id: "result-chart" });
  const msg = status();
  let last: Answer | null = null;

  const drawChart = () => {
    if (!last || last.data.length === 0) return mount(chart);
    const width = Math.max(300, chart.clientWidth);
    mount(
      chart,
      svgBox(
        renderChart({ chart_type: chartType.value as ChartType, title: "Result" }, last, {
          width,
          height: 320,
          theme: prefersDark() ? DARK : LIGHT,
        }),
      ),
    );
  };
  chartType.addEventListener("change", drawChart);

  const run = async (explain: boolean) => {
    mount(msg, h("span", { class: "muted" }, explain ? "Explaining…" : "Running…"));
    try {
      const sql = explain ? `EXPLAIN ${editor.value}` : editor.value;
      const answer = await request<Answer>("/v1/query", { json: { sql } });
      mount(msg);
      if (explain) {
        last = null;
        mount(chart);
        const plan = answer.explain ?? answer.data;
        return mount(results, h("h2", null, "Plan"), h("pre", { class: "explain" }, JSON.stringify(plan, null, 2)));
      }
      last = answer;
      const s = answer.statistics;
      mount(
        results,
        h(
          "p",
          { class: "muted" },
          `${answer.rows} row${answer.rows === 1 ? "" : "s"} in ${(s.elapsed * 1000).toFixed(0)} ms`,
          s.source ? ` · answered by ${s.source}` : "",
          s.files_read !== undefined ? ` · ${s.files_read} files read` : "",
        ),
        answer.rows === 0
          ? h("div", { class: "empty" }, "No rows")
          : dataTable(answer.meta, answer.data, "Query results"),
      );
      drawChart();
    } catch (err) {
      mount(msg, errorBox(err));
    }
  };
  editor.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void run(false);
    }
  });

  const schema = h(
    "nav",
    { class: "schema card", "aria-label": "Schema" },
    h("span", { class: "muted" }, "Loading tables…"),
  );
  const insert = (text: string) => {
    const start = editor.selectionStart ?? editor.value.length;
    editor.setRangeText(text, start, editor.selectionEnd ?? start, "end");
    editor.focus();
  };
  mount(
    main,
    h("h1", null, "SQL"),
    h(
      "div",
      { class: "sql" },
      schema,
      h(
        "div",
        null,
        h("label", { for: "sql" }, "Query", editor),
        h("p", { id: "sql-help", class: "muted" }, "Ctrl+Enter runs. Tables: events and one per event type."),
        h(
          "div",
          { class: "row" },
          h("button", { class: "primary", type: "button", onclick: () => run(false) }, "Run"),
          h("button", { type: "button", onclick: () => run(true) }, "Explain"),
          h("div", { class: "field inline" }, h("label", { for: "chart-type" }, "Chart"), chartType),
        ),
        msg,
        results,
        chart,
      ),
    ),
  );
  try {
    const catalog = await request<Catalog>("/v1/catalog");
    mount(
      schema,
      h("h2", null, "Tables"),
      catalog.datasets.length === 0
        ? h("p", { class: "muted" }, "No data yet.")
        : catalog.datasets.map((d) =>
            h(
              "details",
              { open: catalog.datasets.length < 6 },
              h("summary", null, d.name, h("span", { class: "type" }, ` ${d.rows.toLocaleString()} rows`)),
              h(
                "ul",
                null,
                h(
                  "li",
                  null,
                  h(
                    "button",
                    { type: "button", onclick: () => insert(quoteName(d.name)) },
                    `insert ${quoteName(d.name)}`,
                  ),
                ),
                d.columns.map((c) =>
                  h(
                    "li",
                    null,
                    h(
                      "button",
                      { type: "button", onclick: () => insert(quoteName(c.name)), title: `insert ${c.name}` },
                      c.name,
                    ),
                    h("span", { class: "type" }, ` ${c.type}${c.pii ? " · PII" : ""}`),
                  ),
                ),
              ),
            ),
          ),
    );
  } catch (err) {
    mount(schema, errorBox(err));
  }
}
