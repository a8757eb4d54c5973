// Ask a question in plain language: the SQL the model wrote (checked before it ran), the explanation and
// the rows. The refusals a user meets (the model is away, the SQL would not pass) are said plainly.
import { renderChart } from "../../../shared/charts/render-chart";
import { DARK, LIGHT } from "../../../shared/charts/theme";
import { ApiError, can, request } from "../api";
import { h, mount, svgBox } from "../dom";
import { dataTable, errorBox, prefersDark } from "../ui";

interface Answer {
  sql: string;
  meta: { name: string; type: string }[];
  data: Record<string, unknown>[];
  rows: number;
  statistics: { elapsed?: number };
  explanation: string | null;
  model: string;
  cached: boolean;
  degraded: boolean;
}

/** The refusals as a person reads them; anything else shows the API's own message and request id. */
function refusal(err: unknown): HTMLElement {
  if (!(err instanceof ApiError)) return errorBox(err);
  const id = err.requestId ? h("div", null, h("code", null, `request id ${err.requestId}`)) : null;
  if (err.status === 503 && err.details.reason === "llm_unavailable")
    return h(
      "div",
      { class: "error", role: "alert" },
      h("strong", null, "The language model is unavailable right now. "),
      "Questions will work again when it is back; the SQL editor works meanwhile.",
      h("div", null, err.message),
      id,
    );
  if (err.status === 422) {
    const sql = typeof err.details.sql === "string" ? err.details.sql : null;
    const errors = Array.isArray(err.details.errors) ? err.details.errors.map(String) : [];
    return h(
      "div",
      { class: "error", role: "alert" },
      h("strong", null, "Tarn could not turn this question into valid SQL, so nothing ran. "),
      "Try naming the table or columns, or rephrase.",
      errors.length
        ? h(
            "ul",
            null,
            errors.map((e) => h("li", null, e)),
          )
        : h("div", null, err.message),
      sql ? h("details", null, h("summary", null, "The refused SQL"), h("pre", { class: "explain" }, sql)) : null,
      id,
    );
  }
  return errorBox(err);
}

export async function askPage(main: HTMLElement): Promise<void> {
  const question = h(
    "textarea",
    {
      id: "question",
      rows: 3,
      placeholder: "How many signups per day last week?",
      "aria-describedby": "question-help",
    },
    "",
  );
  const dataset = h("select", { id: "ask-dataset" }, h("option", { value: "" }, "any table"));
  const submit = h("button", { class: "primary", type: "submit" }, "Ask");
  const answerBox = h("div");
  // Screen readers hear a short line, not the whole table.
  const announce = h("div", { class: "visually-hidden", role: "status", "aria-live": "polite" });

  const ask = async () => {
    const text = question.value.trim();
    if (!text) return question.focus();
    submit.disabled = true;
    mount(answerBox, h("span", { class: "muted" }, "Thinking…"));
    announce.textContent = "Asking…";
    try {
      const body: { question: string; dataset?: string } = { question: text };
      if (dataset.value) body.dataset = dataset.value;
      const a = await request<Answer>("/v1/query/natural", { json: body });
      const chart = h("div", { class: "chart-box", id: "answer-chart" });
      mount(
        answerBox,
        h(
          "section",
          { class: "card answer", "aria-label": "Answer" },
          h("h2", null, "Answer"),
          a.explanation
            ? h("p", { class: "explanation" }, a.explanation)
            : h(
                "p",
                { class: "muted" },
                "No explanation this time (the model's explanation failed); the rows below are exact.",
              ),
          h("h3", null, "SQL"),
          h("pre", { class: "explain", id: "answer-sql" }, a.sql),
          can("query")
            ? h(
                "p",
                null,
                h("a", { href: `/sql?sql=${encodeURIComponent(a.sql)}`, "data-link": true }, "Open in the SQL editor"),
              )
            : null,
          h(
            "p",
            { class: "muted" },
            `${a.rows} row${a.rows === 1 ? "" : "s"}`,
            a.statistics.elapsed !== undefined ? ` in ${(a.statistics.elapsed * 1000).toFixed(0)} ms` : "",
            ` · model ${a.model}`,
            a.cached ? " · from the cache" : "",
          ),
          a.rows === 0 ? h("div", { class: "empty" }, "No rows") : dataTable(a.meta, a.data, "Answer rows"),
          chart,
        ),
      );
      announce.textContent = `Answer ready: ${a.rows} row${a.rows === 1 ? "" : "s"}.`;
      // A chart when the answer has something to draw: a label column and a number, more than one row.
      if (a.rows > 1 && a.meta.length >= 2 && a.data.some((r) => typeof r[a.meta[1]?.name ?? ""] === "number"))
        mount(
          chart,
          svgBox(
            renderChart({ chart_type: "bar", title: text }, a, {
              width: Math.max(300, chart.clientWidth),
              height: 300,
              theme: prefersDark() ? DARK : LIGHT,
            }),
          ),
        );
      else chart.remove();
    } catch (err) {
      announce.textContent = "";
      mount(answerBox, refusal(err));
    } finally {
      submit.disabled = false;
    }
  };
  question.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void ask();
    }
  });
  mount(
    main,
    h("h1", null, "Ask a question"),
    h(
      "form",
      {
        class: "card",
        "aria-label": "Ask a question",
        onsubmit: (e: Event) => {
          e.preventDefault();
          void ask();
        },
      },
      h("div", { class: "field" }, h("label", { for: "question" }, "Question"), question),
      h(
        "p",
        { id: "question-help", class: "muted" },
        "In plain language. Tarn writes one SELECT from the catalog, checks it, runs it with your permissions and explains it. Ctrl+Enter asks.",
      ),
      h(
        "div",
        { class: "row" },
        h("div", { class: "field" }, h("label", { for: "ask-dataset" }, "About"), dataset),
        submit,
      ),
    ),
    announce,
    answerBox,
  );
  try {
    const { datasets } = await request<{ datasets: { name: string; kind: string }[] }>("/v1/datasets");
    const wanted = new URL(location.href).searchParams.get("dataset");
    for (const d of datasets) dataset.append(h("option", { value: d.name, selected: d.name === wanted }, d.name));
  } catch {
    // The list only narrows the question; without it "any table" still works.
  }
}
