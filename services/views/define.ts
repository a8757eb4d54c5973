// Defining and removing views: the SELECT validated against the project's tables (other views
// included), cycles refused, the first build queued; removal publishes the view's files away.
import { AUDIT_TABLE } from "../../shared/access/audit-parquet";
import { TarnError } from "../../shared/errors";
import type { ColumnInfo } from "../../shared/query/bind-expr";
import type { SqlType } from "../../shared/query/types";
import { analyzeViewSql } from "../../shared/views/analyze";
import { nextRunAt, type ViewBody } from "../../shared/views/definition";
import { dependentsOf, findCycle } from "../../shared/views/order";
import { createJob } from "../jobs/create-job";
import { publish } from "../manifest/publish";
import { datasetsOf, listFiles } from "../manifest/read";
import { tableColumnsOf } from "../query/coordinator";
import { deleteView, listViews, saveView, type ViewRow } from "./store";

export interface DefinedView {
  view: ViewRow;
  created: boolean;
  /** The build queued for a new or changed definition, if any. */
  jobId: string | null;
}

export async function defineView(
  env: Pick<Env, "DB" | "JOBS_QUEUE">,
  projectId: string,
  name: string,
  body: ViewBody,
): Promise<DefinedView> {
  if (body.mode === "incremental" && !body.time_column) {
    throw new TarnError("VALIDATION_ERROR", "an incremental view needs a time_column (the time bucket of its rows)");
  }
  const [others, datasets, typed] = await Promise.all([
    listViews(env.DB, projectId),
    datasetsOf(env.DB, projectId),
    tableColumnsOf(env.DB, projectId),
  ]);
  const viewTables = new Map(others.filter((v) => v.name !== name).map((v) => [v.name, v]));
  if (datasets.includes(name) && !others.some((v) => v.name === name)) {
    throw new TarnError("CONFLICT", `a dataset named "${name}" exists already; choose another name for the view`);
  }
  const known = new Set(["events", ...datasets, ...viewTables.keys()].map((t) => t.toLowerCase()));
  const tableColumns: Record<string, ColumnInfo[]> = { ...typed };
  for (const [n, v] of viewTables)
    tableColumns[n] ??= v.columns.map((c) => ({ name: c.name, type: c.type as SqlType }));
  const shape = analyzeViewSql(name, body.sql, body.time_column, {
    tableExists: (t) => known.has(t.toLowerCase()),
    tableColumns,
  });
  if (shape.dependsOn.some((t) => t.toLowerCase() === AUDIT_TABLE)) {
    // A view is readable by every analyst; the audit log only by admins (the coordinator's rule).
    throw new TarnError("FORBIDDEN", `a view cannot read the ${AUDIT_TABLE} table: views are readable by analysts`, {
      details: { table: AUDIT_TABLE },
    });
  }
  const graph = [...others.filter((v) => v.name !== name), { name, dependsOn: shape.dependsOn }];
  const cycle = findCycle(name, graph);
  if (cycle) {
    throw new TarnError("VALIDATION_ERROR", `views may not read each other in a cycle: ${cycle.join(" → ")}`, {
      details: { cycle },
    });
  }
  const { view, created } = await saveView(env.DB, {
    projectId,
    name,
    sql: body.sql,
    refresh: body.refresh,
    mode: body.mode,
    timeColumn: body.time_column ?? null,
    dependsOn: shape.dependsOn,
    columns: shape.columns,
    nextRunAt: nextRunAt(body.refresh, new Date()),
  });
  const needsBuild = view.builtVersion !== view.version;
  const job = needsBuild ? await createJob(env, projectId, "view", { view: name }) : null;
  return { view, created, jobId: job?.id ?? null };
}

/** Removes a view no other view reads: its files leave the lake's tables (one snapshot; time travel keeps them). */
export async function removeView(env: Pick<Env, "DB">, projectId: string, name: string): Promise<void> {
  const all = await listViews(env.DB, projectId);
  if (!all.some((v) => v.name === name)) throw new TarnError("NOT_FOUND", `no view "${name}" in this project`);
  const readers = dependentsOf(name, all);
  if (readers.length > 0) {
    throw new TarnError("CONFLICT", `views ${readers.join(", ")} read "${name}"; delete or change them first`, {
      details: { depends_on_it: readers },
    });
  }
  const files = await listFiles(env.DB, projectId, { dataset: name, layer: "gold" });
  if (files.length > 0) {
    await publish(env.DB, {
      kind: "view",
      projectId,
      commitId: `view-drop:${name}:${crypto.randomUUID()}`,
      remove: files.map((f) => f.id),
      add: [],
    });
  }
  await deleteView(env.DB, projectId, name);
}
