// Datasets: the list (event types, uploads, views), and one dataset's columns, profile and quality
// (expectations with their latest results and history). Uploads live in upload.ts.
import { cellText } from "../../../shared/charts/format";
import { ApiError, can, request } from "../api";
import { h, mount } from "../dom";
import { type Job, watchJob } from "../jobs";
import { setCleanup } from "../router";
import { dataTable, errorBox, status } from "../ui";

interface Dataset {
  name: string;
  kind: "events" | "upload" | "view" | "audit";
  table: string;
  rows: number;
  bytes: number;
  files: number;
  first_event_at: string | null;
  last_event_at: string | null;
  columns: { name: string; type: string }[];
}

interface ColumnProfile {
  name: string;
  type: string;
  null_count: number;
  null_percentage: number;
  unique_count: number;
  unique_exact: boolean;
  min: unknown;
  max: unknown;
  mean: number | null;
  std_dev: number | null;
  top_values: { value: unknown; count: number }[];
  low_quality: boolean;
}

interface Profile {
  dataset: string;
  row_count: number;
  column_count: number;
  duplicate_rows: number;
  quality_score: number;
  quality?: { completeness: number; accuracy: number; validity: number; expectations: number | null };
  snapshot: number | null;
  generated_at: string;
  columns: ColumnProfile[];
  issues: { column: string | null; issue_type: string; severity: string; description: string }[];
}

interface ExpectationResult {
  id: string;
  type: string;
  column: string | null;
  severity: "warn" | "fail";
  passed: boolean;
  observed: unknown;
  failing_rows: number | null;
  error?: string;
}

interface Quality {
  dataset: string;
  quality_score: number | null;
  expectations_score: number | null;
  results: ExpectationResult[];
  history: { id: string; trigger: string; score: number; passed: boolean; created_at: string }[];
}

interface CatalogEntry {
  name: string;
  description: string | null;
  owner: string | null;
  columns: {
    name: string;
    description: string | null;
    classification: string | null;
    pii: boolean;
    masked_for_you: boolean;
  }[];
}

const KIND_LABEL: Record<Dataset["kind"], string> = {
  events: "event type",
  upload: "upload",
  view: "view",
  audit: "audit log",
};

export function formatBytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : "—");
const percent = (x: number | null | undefined) => (x === null || x === undefined ? "—" : `${Math.round(x * 100)}%`);
export const datasetHref = (name: string) => `/datasets?name=${encodeURIComponent(name)}`;

/** `/datasets`: the list; `/datasets?name=x`: one dataset (a query parameter, since names may hold dots). */
export async function datasetsPage(main: HTMLElement): Promise<void> {
  const name = new URL(location.href).searchParams.get("name");
  if (name) return datasetPage(main, name);
  const filter = h("input", { id: "dataset-filter", type: "search", placeholder: "name" });
  const kind = h(
    "select",
    { id: "dataset-kind" },
    h("option", { value: "" }, "all"),
    (["events", "upload", "view"] as const).map((k) => h("option", { value: k }, KIND_LABEL[k])),
  );
  const list = h("div", null, h("span", { class: "muted" }, "Loading datasets…"));
  mount(
    main,
    h(
      "div",
      { class: "toolbar" },
      h("h1", null, "Datasets"),
      can("write") ? h("a", { class: "button primary", href: "/upload", "data-link": true }, "Upload a file") : null,
    ),
    h(
      "div",
      { class: "row", role: "search", "aria-label": "Filter datasets" },
      h("label", { for: "dataset-filter" }, "Filter by name", filter),
      h("div", { class: "field" }, h("label", { for: "dataset-kind" }, "Kind"), kind),
    ),
    list,
  );
  const { datasets } = await request<{ datasets: Dataset[] }>("/v1/datasets");
  const draw = () => {
    const q = filter.value.trim().toLowerCase();
    const shown = datasets.filter((d) => (!kind.value || d.kind === kind.value) && d.name.toLowerCase().includes(q));
    if (datasets.length === 0)
      return mount(
        list,
        h(
          "div",
          { class: "empty" },
          "No datasets yet. Send events, or ",
          h("a", { href: "/upload", "data-link": true }, "upload a file"),
          ".",
        ),
      );
    if (shown.length === 0) return mount(list, h("div", { class: "empty" }, "No dataset matches the filter."));
    mount(
      list,
      h(
        "div",
        { class: "scroll", tabindex: 0, role: "region", "aria-label": "Datasets" },
        h(
          "table",
          { class: "data" },
          h(
            "thead",
            null,
            h(
              "tr",
              null,
              ["Name", "Kind", "Rows", "Size", "Files", "Columns", "Last event"].map((c) =>
                h("th", { scope: "col" }, c),
              ),
            ),
          ),
          h(
            "tbody",
            null,
            shown.map((d) =>
              h(
                "tr",
                { "data-dataset": d.name },
                h("td", null, h("a", { href: datasetHref(d.name), "data-link": true }, d.name)),
                h("td", null, KIND_LABEL[d.kind]),
                h("td", { class: "num" }, d.rows.toLocaleString()),
                h("td", { class: "num" }, formatBytes(d.bytes)),
                h("td", { class: "num" }, d.files),
                h("td", { class: "num" }, d.columns.length),
                h("td", null, when(d.last_event_at)),
              ),
            ),
          ),
        ),
      ),
      h("p", { class: "muted" }, `${shown.length} of ${datasets.length} datasets`),
    );
  };
  filter.addEventListener("input", draw);
  kind.addEventListener("change", draw);
  draw();
}

async function datasetPage(main: HTMLElement, name: string): Promise<void> {
  document.title = `${name} · Datasets · Tarn`;
  const watches: { stop: () => void }[] = [];
  setCleanup(() => {
    for (const w of watches) w.stop();
  });
  const [{ datasets }, catalog] = await Promise.all([
    request<{ datasets: Dataset[] }>("/v1/datasets"),
    // The catalog adds descriptions and privacy; the page works without it.
    request<{ datasets: CatalogEntry[] }>("/v1/catalog").catch(() => ({ datasets: [] as CatalogEntry[] })),
  ]);
  const dataset = datasets.find((d) => d.name === name);
  const entry = catalog.datasets.find((d) => d.name === name);
  const about = new Map((entry?.columns ?? []).map((c) => [c.name, c]));
  if (!dataset) {
    mount(
      main,
      h("h1", null, name),
      h("div", { class: "error", role: "alert" }, `No dataset “${name}” in this project.`),
      h("p", null, h("a", { href: "/datasets", "data-link": true }, "All datasets")),
    );
    return;
  }
  const insightsBox =
    can("query") && dataset.kind === "events" ? h("section", { "aria-labelledby": "insights-h" }) : null;
  if (insightsBox) drawInsightsButton(insightsBox, name);
  const profileBox = h("section", { "aria-labelledby": "profile-h" });
  const qualityBox = h("section", { "aria-labelledby": "quality-h" });
  mount(
    main,
    h("p", null, h("a", { href: "/datasets", "data-link": true }, "← All datasets")),
    h("h1", null, name),
    h(
      "p",
      { class: "muted" },
      `${KIND_LABEL[dataset.kind]} · ${dataset.rows.toLocaleString()} rows · ${formatBytes(dataset.bytes)} in ${dataset.files} file${dataset.files === 1 ? "" : "s"}`,
      dataset.last_event_at ? ` · last event ${when(dataset.last_event_at)}` : "",
      " · SQL table ",
      h("code", null, dataset.table),
    ),
    h(
      "div",
      { class: "row" },
      can("query")
        ? h(
            "a",
            {
              class: "button",
              href: `/sql?sql=${encodeURIComponent(`SELECT *\nFROM ${dataset.table}\nLIMIT 100`)}`,
              "data-link": true,
            },
            "Query in SQL",
          )
        : null,
      can("query")
        ? h(
            "a",
            { class: "button", href: `/ask?dataset=${encodeURIComponent(name)}`, "data-link": true },
            "Ask about it",
          )
        : null,
    ),
    profileBox,
    qualityBox,
    insightsBox,
    h("h2", null, "Columns"),
    entry?.description || entry?.owner
      ? h(
          "p",
          null,
          entry.description ?? "",
          entry.owner ? h("span", { class: "muted" }, ` · owner ${entry.owner}`) : "",
        )
      : null,
    dataTable(
      [
        { name: "name" },
        { name: "type" },
        { name: "description" },
        { name: "classification" },
        { name: "PII" },
        { name: "masked for you" },
      ],
      dataset.columns.map((c) => {
        const a = about.get(c.name);
        return {
          name: c.name,
          type: c.type,
          description: a?.description ?? "—",
          classification: a?.classification ?? "—",
          PII: a?.pii ? "yes" : "no",
          "masked for you": a?.masked_for_you ? "yes" : "no",
        };
      }),
      "Columns",
    ),
  );
  await Promise.all([
    drawProfile(profileBox, name, watches),
    drawQuality(qualityBox, name, () => drawProfile(profileBox, name, watches)),
  ]);
}

/** Runs a job-making POST and shows its progress in `msg` until it finishes; then calls `after`. */
async function runJob(
  msg: HTMLElement,
  path: string,
  label: string,
  watches: { stop: () => void }[],
  after: (note: HTMLElement) => Promise<void>,
): Promise<void> {
  try {
    const job = await request<Job>(path, { method: "POST" });
    const bar = h("progress", { max: 100, value: 0, "aria-label": `${label} progress` });
    const text = h("span", null, `${label}: queued`);
    mount(msg, h("div", { class: "row progress-row" }, bar, text));
    const watch = watchJob(job.id, (j) => {
      bar.value = j.progress;
      text.textContent = `${label}: ${j.status}${j.status === "running" ? ` ${j.progress}%` : ""}`;
    });
    watches.push(watch);
    const last = await watch.done;
    if (last.status === "failed")
      mount(msg, h("div", { class: "error", role: "alert" }, `${label} failed: ${last.error ?? "no reason given"}`));
    else {
      const note = h("span", { class: "ok" }, `${label}: done.`);
      mount(msg, note);
      await after(note);
    }
  } catch (err) {
    mount(msg, errorBox(err));
  }
}

async function drawProfile(
  box: HTMLElement,
  name: string,
  watches: { stop: () => void }[],
  note?: HTMLElement,
): Promise<void> {
  const msg = status();
  if (note) mount(msg, note);
  const recompute = can("write")
    ? h(
        "button",
        {
          type: "button",
          onclick: () =>
            runJob(msg, `/v1/datasets/${encodeURIComponent(name)}/profile`, "Profiling", watches, (note) =>
              drawProfile(box, name, watches, note),
            ),
        },
        "Recompute profile",
      )
    : null;
  const head = h("div", { class: "toolbar" }, h("h2", { id: "profile-h" }, "Profile"), recompute);
  let profile: Profile;
  try {
    profile = await request<Profile>(`/v1/datasets/${encodeURIComponent(name)}/profile`);
  } catch (err) {
    const none = err instanceof ApiError && err.status === 404;
    mount(
      box,
      head,
      msg,
      none
        ? h(
            "div",
            { class: "empty" },
            can("write") ? "No profile yet: recompute it to see each column's statistics." : "No profile yet.",
          )
        : errorBox(err),
    );
    return;
  }
  const q = profile.quality;
  mount(
    box,
    head,
    msg,
    h(
      "dl",
      { class: "stats" },
      stat("Quality score", percent(profile.quality_score), "quality-score"),
      stat("Rows", profile.row_count.toLocaleString(), "profile-rows"),
      stat("Columns", profile.column_count.toLocaleString()),
      stat("Duplicate rows", profile.duplicate_rows.toLocaleString()),
      q ? stat("Completeness", percent(q.completeness)) : null,
      q ? stat("Validity", percent(q.validity)) : null,
      q ? stat("Expectations", percent(q.expectations)) : null,
      stat("Profiled", when(profile.generated_at)),
    ),
    profile.issues.length === 0
      ? h("p", { class: "ok" }, "No issues found.")
      : h(
          "ul",
          { class: "issues", "aria-label": "Issues" },
          profile.issues.map((i) =>
            h(
              "li",
              { class: `sev-${i.severity}` },
              h("strong", null, `${i.severity} · ${i.issue_type.replace("_", " ")}`),
              i.column ? ` in ${i.column}: ` : ": ",
              i.description,
            ),
          ),
        ),
    h(
      "div",
      { class: "scroll", tabindex: 0, role: "region", "aria-label": "Column profiles" },
      h(
        "table",
        { class: "data" },
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            ["Column", "Type", "Nulls", "Unique", "Min", "Max", "Mean", "Std dev", "Top values"].map((c) =>
              h("th", { scope: "col" }, c),
            ),
          ),
        ),
        h(
          "tbody",
          null,
          profile.columns.map((c) =>
            h(
              "tr",
              { "data-column": c.name },
              h("td", null, c.name, c.low_quality ? h("span", { class: "flag" }, " low quality") : null),
              h("td", null, c.type),
              h("td", { class: "num" }, `${c.null_count.toLocaleString()} (${c.null_percentage.toFixed(1)}%)`),
              h("td", { class: "num" }, `${c.unique_exact ? "" : "≈"}${c.unique_count.toLocaleString()}`),
              h("td", null, cellText(c.min)),
              h("td", null, cellText(c.max)),
              h("td", { class: "num" }, c.mean === null ? "—" : cellText(round(c.mean))),
              h("td", { class: "num" }, c.std_dev === null ? "—" : cellText(round(c.std_dev))),
              h("td", null, c.top_values.map((t) => `${cellText(t.value)} (${t.count})`).join(", ") || "—"),
            ),
          ),
        ),
      ),
    ),
  );
}

const round = (x: number) => Math.round(x * 1000) / 1000;

function stat(label: string, value: string, id?: string): HTMLElement {
  return h("div", { class: "stat" }, h("dt", null, label), h("dd", { id }, value));
}

async function drawQuality(box: HTMLElement, name: string, afterRun: () => Promise<void>): Promise<void> {
  const msg = status();
  const path = `/v1/datasets/${encodeURIComponent(name)}`;
  const head = h(
    "div",
    { class: "toolbar" },
    h("h2", { id: "quality-h" }, "Quality"),
    can("write")
      ? h(
          "button",
          {
            type: "button",
            onclick: async () => {
              mount(msg, h("span", { class: "muted" }, "Measuring expectations…"));
              try {
                await request(`${path}/expectations/run`, { method: "POST" });
                await drawQuality(box, name, afterRun);
                await afterRun();
              } catch (err) {
                mount(msg, errorBox(err));
              }
            },
          },
          "Run expectations",
        )
      : null,
  );
  let quality: Quality;
  let rules: unknown[] = [];
  try {
    [quality, { expectations: rules }] = await Promise.all([
      request<Quality>(`${path}/quality`),
      request<{ expectations: unknown[] }>(`${path}/expectations`),
    ]);
  } catch (err) {
    mount(box, head, msg, errorBox(err));
    return;
  }
  const editor = can("manage") ? expectationsEditor(path, rules, () => drawQuality(box, name, afterRun)) : null;
  mount(
    box,
    head,
    msg,
    quality.results.length === 0
      ? h(
          "div",
          { class: "empty" },
          rules.length === 0
            ? "No expectations set for this dataset."
            : "Expectations are set but have not run yet: run them to see results.",
        )
      : h(
          "div",
          null,
          h("p", null, `Expectations passed: ${percent(quality.expectations_score)}`),
          dataTable(
            [
              { name: "result" },
              { name: "id" },
              { name: "type" },
              { name: "column" },
              { name: "severity" },
              { name: "observed" },
              { name: "failing rows" },
            ],
            quality.results.map((r) => ({
              result: r.error ? `error: ${r.error}` : r.passed ? "✓ passed" : "✗ failed",
              id: r.id,
              type: r.type,
              column: r.column ?? "—",
              severity: r.severity,
              observed: typeof r.observed === "object" ? JSON.stringify(r.observed) : r.observed,
              "failing rows": r.failing_rows ?? "—",
            })),
            "Latest expectation results",
          ),
          quality.history.length > 1
            ? h(
                "details",
                null,
                h("summary", null, `History (${quality.history.length} runs)`),
                dataTable(
                  [{ name: "at" }, { name: "trigger" }, { name: "score" }, { name: "passed" }],
                  quality.history.map((r) => ({
                    at: when(r.created_at),
                    trigger: r.trigger,
                    score: percent(r.score),
                    passed: r.passed ? "yes" : "no",
                  })),
                  "Expectation runs, newest first",
                ),
              )
            : null,
        ),
    editor,
  );
}

/** Admins edit the expectations as JSON (the API's own shape, so nothing is lost in a form's translation). */
function expectationsEditor(path: string, rules: unknown[], saved: () => Promise<void>): HTMLElement {
  const msg = status();
  const text = h(
    "textarea",
    { id: "expectations-json", rows: 8, spellcheck: "false", "aria-describedby": "expectations-help" },
    JSON.stringify(
      rules.length ? rules : [{ id: "example", type: "not_null", column: "<column>", severity: "warn" }],
      null,
      2,
    ),
  );
  return h(
    "details",
    { class: "card" },
    h("summary", null, "Edit expectations"),
    h(
      "form",
      {
        onsubmit: async (e: Event) => {
          e.preventDefault();
          let expectations: unknown;
          try {
            expectations = JSON.parse(text.value);
          } catch (err) {
            mount(msg, h("div", { class: "error", role: "alert" }, `Not JSON: ${String(err)}`));
            return;
          }
          try {
            await request(`${path}/expectations`, { method: "PUT", json: { expectations } });
            await saved();
          } catch (err) {
            mount(msg, errorBox(err));
          }
        },
      },
      h("div", { class: "field" }, h("label", { for: "expectations-json" }, "Expectations (JSON array)"), text),
      h(
        "p",
        { id: "expectations-help", class: "muted" },
        "Types: not_null, unique, between (min, max), in_set (values), matches_regex (pattern), row_count_between, fresh_within (seconds), sql. Severity warn or fail.",
      ),
      h("div", { class: "row" }, h("button", { class: "primary", type: "submit" }, "Save expectations")),
      msg,
    ),
  );
}

interface Insights {
  anomalies: {
    column: string;
    value: number;
    expected_range: [number, number];
    severity: string;
    at: string;
    explanation: string;
  }[];
  trends: { metric: string; direction: string; change_percent: number; period: string; explanation: string }[];
  recommendations: string[];
  summary: string;
  bucket: string;
  generated_in_ms: number;
  model: string | null;
  degraded: boolean;
}

/** Insights of an event type over the last 7 days: statistics computed by Tarn, worded by the model when it is there. */
function drawInsightsButton(box: HTMLElement, name: string): void {
  const out = h("div", { role: "status", "aria-live": "polite" });
  const find = async () => {
    mount(out, h("span", { class: "muted" }, "Looking for anomalies and trends…"));
    try {
      const r = await request<Insights>("/v1/insights", { json: { dataset: name } });
      mount(
        out,
        h("p", { class: "explanation", id: "insights-summary" }, r.summary),
        r.degraded
          ? h(
              "p",
              { class: "muted" },
              "Worded by a template: the language model was not available. The figures are exact.",
            )
          : null,
        r.recommendations.length
          ? h(
              "ul",
              { "aria-label": "Recommendations" },
              r.recommendations.map((x) => h("li", null, x)),
            )
          : null,
        h("h3", null, "Trends"),
        dataTable(
          [{ name: "metric" }, { name: "direction" }, { name: "change" }, { name: "period" }, { name: "explanation" }],
          r.trends.map((t) => ({
            metric: t.metric,
            direction: t.direction,
            change: `${t.change_percent > 0 ? "+" : ""}${t.change_percent.toFixed(1)}%`,
            period: t.period,
            explanation: t.explanation,
          })),
          "Trends",
        ),
        h("h3", null, "Anomalies"),
        r.anomalies.length === 0
          ? h("p", { class: "ok" }, "No anomalies.")
          : dataTable(
              [{ name: "at" }, { name: "column" }, { name: "value" }, { name: "expected" }, { name: "severity" }],
              r.anomalies.map((a) => ({
                at: when(a.at),
                column: a.column,
                value: a.value,
                expected: `${cellText(round(a.expected_range[0]))} – ${cellText(round(a.expected_range[1]))}`,
                severity: a.severity,
              })),
              "Anomalies",
            ),
        h("p", { class: "muted" }, `By ${r.bucket} · ${r.generated_in_ms} ms${r.model ? ` · model ${r.model}` : ""}`),
      );
    } catch (err) {
      mount(out, errorBox(err));
    }
  };
  mount(
    box,
    h(
      "div",
      { class: "toolbar" },
      h("h2", { id: "insights-h" }, "Insights"),
      h("button", { type: "button", onclick: find }, "Find insights"),
    ),
    h("p", { class: "muted" }, "Anomalies and trends of the last 7 days, computed from the lake."),
    out,
  );
}
