// Governance pages: contracts (versions, schema, a new version with its compatibility verdict), materialized
// views (freshness, refresh) and, for admins, row-level policies.
import { ApiError, can, request } from "../api";
import { h, mount } from "../dom";
import { type Job, openJobStream, watchJob } from "../jobs";
import { navigate, setCleanup } from "../router";
import { dataTable, errorBox, status } from "../ui";

interface ContractSummary {
  event_type: string;
  version: number;
  mode: "enforce" | "warn" | "canary";
  enforced_version: number | null;
  description: string | null;
  owner: string | null;
  updated_at: string;
}

interface ContractDetail extends ContractSummary {
  schema_version: number;
  schema: Record<string, unknown>;
  fields: { name: string; column: string | null; type: string; required: boolean; pii: boolean; mask: string | null }[];
  columns: { name: string; property: string; type: string }[];
  history: {
    version: number;
    mode: string;
    compatibility: "backward" | "breaking";
    reasons: string[];
    forced: boolean;
    created_at: string;
    checked: number;
    rejected: number;
    warned: number;
  }[];
  canary: { version: number; checked: number; would_reject: number; samples: unknown[] } | null;
}

const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : "—");
const contractHref = (t: string) => `/admin/contracts?type=${encodeURIComponent(t)}`;

/** `/admin/contracts`: the list and a form for a new event type; `?type=x`: one contract. */
export async function contractsPage(main: HTMLElement): Promise<void> {
  const type = new URL(location.href).searchParams.get("type");
  if (type) return contractPage(main, type);
  const { contracts } = await request<{ contracts: ContractSummary[] }>("/v1/contracts");
  const newType = h("input", { id: "contract-new-type", required: true, placeholder: "order.created" });
  mount(
    main,
    h("h1", null, "Contracts"),
    h(
      "p",
      { class: "muted" },
      "A contract is a JSON Schema of an event type's payload, versioned. Enforce rejects violating events to the quarantine; warn counts them; canary reports what a new version would reject.",
    ),
    contracts.length === 0
      ? h("div", { class: "empty" }, "No contracts yet: every event type accepts any payload.")
      : h(
          "div",
          { class: "scroll", tabindex: 0, role: "region", "aria-label": "Contracts" },
          h(
            "table",
            { class: "data" },
            h(
              "thead",
              null,
              h(
                "tr",
                null,
                ["Event type", "Version", "Mode", "Enforced", "Owner", "Updated"].map((c) =>
                  h("th", { scope: "col" }, c),
                ),
              ),
            ),
            h(
              "tbody",
              null,
              contracts.map((c) =>
                h(
                  "tr",
                  null,
                  h("td", null, h("a", { href: contractHref(c.event_type), "data-link": true }, c.event_type)),
                  h("td", { class: "num" }, c.version),
                  h("td", null, c.mode),
                  h("td", { class: "num" }, c.enforced_version ?? "—"),
                  h("td", null, c.owner ?? "—"),
                  h("td", null, when(c.updated_at)),
                ),
              ),
            ),
          ),
        ),
    h(
      "form",
      {
        class: "row card",
        "aria-label": "New contract",
        style: "margin-top:16px",
        onsubmit: (e: Event) => {
          e.preventDefault();
          if (newType.value.trim()) navigate(contractHref(newType.value.trim()));
        },
      },
      h("label", { for: "contract-new-type" }, "Event type", newType),
      h("button", { class: "primary", type: "submit" }, "Write a contract"),
    ),
  );
}

/** One contract; `note` (the verdict of the version just stored) is shown where the form's verdicts go. */
async function contractPage(main: HTMLElement, type: string, note?: HTMLElement): Promise<void> {
  document.title = `${type} · Contracts · Tarn`;
  let detail: ContractDetail | null = null;
  try {
    detail = await request<ContractDetail>(`/v1/contracts/${encodeURIComponent(type)}`);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) throw err;
  }
  const verdict = h("div", { id: "contract-verdict", role: "status", "aria-live": "polite" });
  const schemaText = h(
    "textarea",
    { id: "contract-schema", rows: 16, spellcheck: "false", "aria-describedby": "contract-schema-help" },
    JSON.stringify(
      detail?.schema ?? {
        type: "object",
        properties: { id: { type: "string" } },
        required: ["id"],
      },
      null,
      2,
    ),
  );
  const mode = h(
    "select",
    { id: "contract-mode" },
    (["enforce", "warn", "canary"] as const).map((m) => h("option", { value: m, selected: detail?.mode === m }, m)),
  );
  const description = h("input", { id: "contract-description", value: detail?.description ?? "" });
  const owner = h("input", { id: "contract-owner", value: detail?.owner ?? "" });
  const force = h("input", { id: "contract-force", type: "checkbox" });

  const save = async (e: Event) => {
    e.preventDefault();
    let schema: unknown;
    try {
      schema = JSON.parse(schemaText.value);
    } catch (err) {
      mount(verdict, h("div", { class: "error", role: "alert" }, `The schema is not JSON: ${String(err)}`));
      return;
    }
    const body: Record<string, unknown> = { schema, mode: mode.value };
    if (description.value) body.description = description.value;
    if (owner.value) body.owner = owner.value;
    try {
      const stored = await request<{ version: number; compatibility: string; reasons: string[]; mode: string }>(
        `/v1/contracts/${encodeURIComponent(type)}${force.checked ? "?force=true" : ""}`,
        { method: "PUT", json: body },
      );
      await contractPage(
        main,
        type,
        h(
          "div",
          { class: stored.compatibility === "breaking" ? "error" : "ok", role: "alert" },
          h(
            "strong",
            null,
            `Version ${stored.version} stored (${stored.mode}): `,
            stored.compatibility === "backward" ? "backward compatible." : "a breaking change, stored as asked.",
          ),
          stored.reasons.length
            ? h(
                "ul",
                null,
                stored.reasons.map((r) => h("li", null, r)),
              )
            : null,
        ),
      );
    } catch (err) {
      if (err instanceof ApiError && err.status === 409 && Array.isArray(err.details.reasons))
        mount(
          verdict,
          h(
            "div",
            { class: "error", role: "alert" },
            h("strong", null, "Breaking change: not stored. "),
            "Producers or readers of this event type would break because:",
            h(
              "ul",
              null,
              err.details.reasons.map((r) => h("li", null, String(r))),
            ),
            "Tick “store even if breaking” to store it anyway, or use mode canary to see what it would reject first.",
            err.requestId ? h("div", null, h("code", null, `request id ${err.requestId}`)) : null,
          ),
        );
      else if (err instanceof ApiError && Array.isArray(err.details.problems))
        mount(
          verdict,
          h(
            "div",
            { class: "error", role: "alert" },
            h("strong", null, "The schema cannot be a contract:"),
            h(
              "ul",
              null,
              err.details.problems.map((p) => h("li", null, String(p))),
            ),
          ),
        );
      else mount(verdict, errorBox(err));
    }
  };

  mount(
    main,
    h("p", null, h("a", { href: "/admin/contracts", "data-link": true }, "← All contracts")),
    h("h1", null, type),
    detail
      ? h(
          "p",
          { class: "muted" },
          `version ${detail.version} · ${detail.mode}`,
          detail.enforced_version !== null ? ` · enforcing version ${detail.enforced_version}` : "",
          detail.owner ? ` · owner ${detail.owner}` : "",
          ` · updated ${when(detail.updated_at)}`,
        )
      : h("p", { class: "muted" }, "No contract yet for this event type: the first version is written below."),
    detail?.description ? h("p", null, detail.description) : null,
    detail?.canary
      ? h(
          "div",
          { class: "card" },
          h("strong", null, `Canary version ${detail.canary.version}: `),
          `${detail.canary.checked} events checked, ${detail.canary.would_reject} would be rejected. `,
          can("manage")
            ? h(
                "button",
                {
                  type: "button",
                  onclick: async () => {
                    try {
                      await request(`/v1/contracts/${encodeURIComponent(type)}/promote`, { method: "POST" });
                      await contractPage(main, type);
                    } catch (err) {
                      mount(verdict, errorBox(err));
                    }
                  },
                },
                "Promote to enforce",
              )
            : null,
        )
      : null,
    detail
      ? [
          h("h2", null, "Fields"),
          dataTable(
            [{ name: "field" }, { name: "type" }, { name: "required" }, { name: "column" }, { name: "privacy" }],
            detail.fields.map((f) => ({
              field: f.name,
              type: f.type,
              required: f.required ? "yes" : "no",
              column: f.column ?? "— (in payload)",
              privacy: [f.pii ? "PII" : "", f.mask ? `mask ${f.mask}` : ""].filter(Boolean).join(", ") || "—",
            })),
            `Fields of version ${detail.schema_version}`,
          ),
          h("h2", null, "Versions"),
          dataTable(
            [
              { name: "version" },
              { name: "mode" },
              { name: "compatibility" },
              { name: "reasons" },
              { name: "checked" },
              { name: "rejected" },
              { name: "warned" },
              { name: "created" },
            ],
            detail.history.map((v) => ({
              version: v.version,
              mode: v.mode,
              compatibility: `${v.compatibility}${v.forced ? " (forced)" : ""}`,
              reasons: v.reasons.join("; ") || "—",
              checked: v.checked,
              rejected: v.rejected,
              warned: v.warned,
              created: when(v.created_at),
            })),
            "Versions, as stored",
          ),
        ]
      : null,
    can("manage")
      ? h(
          "form",
          { class: "card contract-form", "aria-label": "New contract version", onsubmit: save },
          h("h2", null, detail ? "New version" : "First version"),
          h(
            "div",
            { class: "field" },
            h("label", { for: "contract-schema" }, "JSON Schema of data.payload"),
            schemaText,
          ),
          h(
            "p",
            { id: "contract-schema-help", class: "muted" },
            "JSON Schema 2020-12. Top-level scalar properties become typed columns. A new required field, a removed field or a changed type is breaking.",
          ),
          h(
            "div",
            { class: "row" },
            h("div", { class: "field" }, h("label", { for: "contract-mode" }, "Mode"), mode),
            h("label", { for: "contract-description" }, "Description", description),
            h("label", { for: "contract-owner" }, "Owner", owner),
            h("label", { class: "inline", for: "contract-force" }, force, " store even if breaking"),
            h("button", { class: "primary", type: "submit" }, "Save version"),
          ),
          verdict,
        )
      : verdict,
  );
  if (note) mount(verdict, note);
}

interface View {
  name: string;
  sql: string;
  time_column: string | null;
  version: number;
  refresh: string;
  mode: string;
  depends_on: string[];
  rows: number;
  fresh_as_of: string | null;
  next_run_at: string | null;
  pending_buckets: number;
  last_run: { status?: string; finished_at?: string | null; error?: string | null } | null;
}

export async function viewsPage(main: HTMLElement): Promise<void> {
  const watches: { stop: () => void }[] = [];
  setCleanup(() => {
    for (const w of watches) w.stop();
  });
  const msg = status();
  const list = h("div");
  const load = async () => {
    const { views } = await request<{ views: View[] }>("/v1/views");
    if (views.length === 0)
      return mount(
        list,
        h("div", { class: "empty" }, "No views. Define one with PUT /v1/views/{name} (see the API reference)."),
      );
    mount(
      list,
      h(
        "div",
        { class: "scroll", tabindex: 0, role: "region", "aria-label": "Views" },
        h(
          "table",
          { class: "data" },
          h(
            "thead",
            null,
            h(
              "tr",
              null,
              ["View", "Refresh", "Mode", "Rows", "Fresh as of", "Next run", "Reads", "Last run", ""].map((c) =>
                h("th", { scope: "col" }, c),
              ),
            ),
          ),
          h(
            "tbody",
            null,
            views.map((v) =>
              h(
                "tr",
                { "data-view": v.name },
                h(
                  "td",
                  null,
                  h("a", { href: `/datasets?name=${encodeURIComponent(v.name)}`, "data-link": true }, v.name),
                ),
                h("td", null, v.refresh),
                h("td", null, v.mode),
                h("td", { class: "num" }, v.rows.toLocaleString()),
                h("td", null, when(v.fresh_as_of)),
                h("td", null, when(v.next_run_at)),
                h("td", null, v.depends_on.join(", ") || "—"),
                h("td", null, v.last_run?.status ?? "never", v.last_run?.error ? `: ${v.last_run.error}` : ""),
                h(
                  "td",
                  null,
                  can("write")
                    ? h(
                        "button",
                        {
                          type: "button",
                          "aria-label": `Refresh view ${v.name}`,
                          onclick: async () => {
                            try {
                              const { job_id } = await request<{ job_id: string }>(
                                `/v1/views/${encodeURIComponent(v.name)}/refresh`,
                                { method: "POST" },
                              );
                              mount(msg, h("span", { class: "muted" }, `Refreshing ${v.name}…`));
                              const w = watchJob(job_id, (j) =>
                                mount(
                                  msg,
                                  h("span", { class: "muted" }, `Refreshing ${v.name}: ${j.status} ${j.progress}%`),
                                ),
                              );
                              watches.push(w);
                              const done = await w.done;
                              mount(
                                msg,
                                done.status === "succeeded"
                                  ? h("span", { class: "ok" }, `${v.name} refreshed.`)
                                  : h("div", { class: "error", role: "alert" }, `${v.name}: ${done.error ?? "failed"}`),
                              );
                              await load();
                            } catch (err) {
                              mount(msg, errorBox(err));
                            }
                          },
                        },
                        "Refresh",
                      )
                    : null,
                  can("write")
                    ? h(
                        "button",
                        { type: "button", "aria-label": `Edit view ${v.name}`, onclick: () => edit(v) },
                        "Edit",
                      )
                    : null,
                  can("write")
                    ? h(
                        "button",
                        {
                          class: "danger",
                          type: "button",
                          "aria-label": `Delete view ${v.name}`,
                          onclick: async () => {
                            if (!confirm(`Delete the view “${v.name}”? Its table goes away.`)) return;
                            try {
                              await request(`/v1/views/${encodeURIComponent(v.name)}`, { method: "DELETE" });
                              mount(msg, h("span", { class: "ok" }, `Deleted ${v.name}.`));
                            } catch (err) {
                              mount(msg, errorBox(err));
                            }
                            await load();
                          },
                        },
                        "Delete",
                      )
                    : null,
                ),
              ),
            ),
          ),
        ),
      ),
    );
  };
  const name = h("input", { id: "view-name", required: true, pattern: "[A-Za-z_][A-Za-z0-9_]{0,63}" });
  const sqlText = h("textarea", { id: "view-sql", rows: 5, spellcheck: "false", required: true }, "");
  const refresh = h(
    "select",
    { id: "view-refresh" },
    ["manual", "hourly", "daily"].map((r) => h("option", { value: r }, r)),
  );
  const mode = h(
    "select",
    { id: "view-mode" },
    ["replace", "incremental"].map((m) => h("option", { value: m }, m)),
  );
  const timeColumn = h("input", { id: "view-time-column", placeholder: "day" });
  const form = can("write")
    ? h(
        "form",
        {
          class: "card view-form",
          "aria-label": "Define a view",
          onsubmit: async (e: Event) => {
            e.preventDefault();
            const body: Record<string, unknown> = { sql: sqlText.value, refresh: refresh.value, mode: mode.value };
            if (timeColumn.value.trim()) body.time_column = timeColumn.value.trim();
            try {
              const saved = await request<{ name: string; version: number; job_id: string | null }>(
                `/v1/views/${encodeURIComponent(name.value)}`,
                { method: "PUT", json: body },
              );
              mount(msg, h("span", { class: "muted" }, `Saved ${saved.name} (version ${saved.version}); building…`));
              await load();
              if (saved.job_id) {
                const w = watchJob(saved.job_id, (j) =>
                  mount(msg, h("span", { class: "muted" }, `Building ${saved.name}: ${j.status} ${j.progress}%`)),
                );
                watches.push(w);
                const done = await w.done;
                mount(
                  msg,
                  done.status === "succeeded"
                    ? h("span", { class: "ok" }, `${saved.name} is built.`)
                    : h("div", { class: "error", role: "alert" }, `${saved.name}: ${done.error ?? "the build failed"}`),
                );
                await load();
              } else mount(msg, h("span", { class: "ok" }, `Saved ${saved.name}; the SELECT did not change.`));
            } catch (err) {
              mount(msg, errorBox(err));
            }
          },
        },
        h("h2", null, "Define or change a view"),
        h(
          "div",
          { class: "row" },
          h("label", { for: "view-name" }, "View name", name),
          h("div", { class: "field" }, h("label", { for: "view-refresh" }, "Refresh"), refresh),
          h("div", { class: "field" }, h("label", { for: "view-mode" }, "Mode"), mode),
          h("label", { for: "view-time-column" }, "Time column (for incremental)", timeColumn),
        ),
        h("div", { class: "field" }, h("label", { for: "view-sql" }, "SELECT"), sqlText),
        h("div", { class: "row" }, h("button", { class: "primary", type: "submit" }, "Save view")),
      )
    : null;
  function edit(v: View): void {
    name.value = v.name;
    sqlText.value = v.sql;
    refresh.value = v.refresh;
    mode.value = v.mode;
    timeColumn.value = v.time_column ?? "";
    sqlText.focus();
  }
  mount(
    main,
    h("h1", null, "Views"),
    h("p", { class: "muted" }, "Materialized views: a SELECT kept as a dataset, refreshed on schedule or on demand."),
    msg,
    list,
    form,
  );
  await load();
}

interface Policy {
  name: string;
  dataset: string;
  applies_to: { roles: string[]; users: string[]; keys: string[] };
  filter: string;
  updated_at: string;
}

export async function policiesPage(main: HTMLElement): Promise<void> {
  const msg = status();
  const list = h("div");
  const load = async () => {
    const { policies } = await request<{ policies: Policy[] }>("/v1/policies");
    mount(
      list,
      policies.length === 0
        ? h("div", { class: "empty" }, "No row-level policies: every principal sees every row its role allows.")
        : h(
            "div",
            { class: "scroll", tabindex: 0, role: "region", "aria-label": "Policies" },
            h(
              "table",
              { class: "data" },
              h(
                "thead",
                null,
                h(
                  "tr",
                  null,
                  ["Name", "Dataset", "Applies to", "Filter", "Updated", ""].map((c) => h("th", { scope: "col" }, c)),
                ),
              ),
              h(
                "tbody",
                null,
                policies.map((p) =>
                  h(
                    "tr",
                    null,
                    h("td", null, p.name),
                    h("td", null, p.dataset),
                    h(
                      "td",
                      null,
                      [
                        p.applies_to.roles.length ? `roles ${p.applies_to.roles.join(", ")}` : "",
                        p.applies_to.users.length ? `users ${p.applies_to.users.join(", ")}` : "",
                        p.applies_to.keys.length ? `keys ${p.applies_to.keys.join(", ")}` : "",
                      ]
                        .filter(Boolean)
                        .join("; "),
                    ),
                    h("td", null, h("code", null, p.filter)),
                    h("td", null, when(p.updated_at)),
                    h(
                      "td",
                      null,
                      h(
                        "button",
                        {
                          class: "danger",
                          type: "button",
                          "aria-label": `Delete policy ${p.name}`,
                          onclick: async () => {
                            if (!confirm(`Delete the policy “${p.name}”? Its principals see every row again.`)) return;
                            await request(`/v1/policies/${encodeURIComponent(p.name)}`, { method: "DELETE" }).catch(
                              (err) => mount(msg, errorBox(err)),
                            );
                            await load();
                          },
                        },
                        "Delete",
                      ),
                    ),
                  ),
                ),
              ),
            ),
          ),
    );
  };
  const name = h("input", { id: "policy-name", required: true, pattern: "[A-Za-z_][A-Za-z0-9_.\\-]{0,63}" });
  const dataset = h("input", { id: "policy-dataset", required: true, placeholder: "orders or *" });
  const roles = h("input", { id: "policy-roles", placeholder: "viewer, analyst" });
  const users = h("input", { id: "policy-users", placeholder: "ana@example.com" });
  const filter = h("input", {
    id: "policy-filter",
    required: true,
    placeholder: "region = current_user_attribute('region')",
    class: "share-url",
  });
  const split = (s: string) =>
    s
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean);
  mount(
    main,
    h("h1", null, "Row-level policies"),
    h(
      "p",
      { class: "muted" },
      "A policy keeps only the rows its filter passes, for the roles, users or keys it names, in every read path. Admins are not filtered unless named.",
    ),
    h(
      "form",
      {
        class: "card",
        "aria-label": "New or changed policy",
        onsubmit: async (e: Event) => {
          e.preventDefault();
          try {
            await request(`/v1/policies/${encodeURIComponent(name.value)}`, {
              method: "PUT",
              json: {
                dataset: dataset.value,
                applies_to: { roles: split(roles.value), users: split(users.value), keys: [] },
                filter: filter.value,
              },
            });
            mount(msg, h("span", { class: "ok" }, `Saved policy ${name.value}.`));
            await load();
          } catch (err) {
            mount(msg, errorBox(err));
          }
        },
      },
      h(
        "div",
        { class: "row" },
        h("label", { for: "policy-name" }, "Name", name),
        h("label", { for: "policy-dataset" }, "Dataset", dataset),
        h("label", { for: "policy-roles" }, "Roles (comma-separated)", roles),
        h("label", { for: "policy-users" }, "Users (emails or ids)", users),
      ),
      h("label", { for: "policy-filter" }, "Filter (SQL boolean expression)", filter),
      h(
        "div",
        { class: "row", style: "margin-top:8px" },
        h("button", { class: "primary", type: "submit" }, "Save policy"),
      ),
    ),
    msg,
    list,
  );
  await load();
}

/** `/admin/jobs`: the project's recent jobs, kept current by the live `jobs` stream (new ones appear on top). */
export async function jobsPage(main: HTMLElement): Promise<void> {
  const stream = openJobStream();
  setCleanup(() => stream.close());
  const { jobs } = await request<{ jobs: Job[] }>("/v1/jobs?limit=100");
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const body = h("tbody");
  const draw = () => {
    const rows = [...byId.values()].sort((a, b) => b.created_at.localeCompare(a.created_at));
    mount(
      body,
      rows.map((j) =>
        h(
          "tr",
          { "data-job": j.id },
          h("td", null, h("code", null, j.id)),
          h("td", null, j.type),
          h("td", null, String(j.params.dataset ?? j.params.view ?? j.params.name ?? "—")),
          h("td", { class: j.status === "failed" ? "error-text" : j.status === "succeeded" ? "ok" : "" }, j.status),
          h(
            "td",
            null,
            h("progress", { max: 100, value: j.progress, "aria-label": `Progress of job ${j.id}` }),
            ` ${j.progress}%`,
          ),
          h("td", null, when(j.created_at)),
          h("td", null, when(j.finished_at)),
          h("td", null, j.error ?? ""),
        ),
      ),
    );
  };
  stream.listen((job) => {
    byId.set(job.id, job);
    draw();
  });
  draw();
  mount(
    main,
    h("h1", null, "Jobs"),
    h(
      "p",
      { class: "muted" },
      "Uploads, profiles, view builds, compactions and other background work, newest first. Updates arrive live.",
    ),
    h(
      "div",
      { class: "scroll", tabindex: 0, role: "region", "aria-label": "Jobs" },
      h(
        "table",
        { class: "data" },
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            ["Job", "Type", "Dataset", "Status", "Progress", "Created", "Finished", "Error"].map((c) =>
              h("th", { scope: "col" }, c),
            ),
          ),
        ),
        body,
      ),
    ),
  );
}
