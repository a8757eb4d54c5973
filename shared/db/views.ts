// D1 tables of materialized views: definitions (with their schedule and what the last build read)
// and one row per refresh run.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

export const VIEW_REFRESH = ["hourly", "daily", "manual"] as const;
export type ViewRefresh = (typeof VIEW_REFRESH)[number];
export const VIEW_MODES = ["replace", "incremental"] as const;
export type ViewMode = (typeof VIEW_MODES)[number];
export const VIEW_RUN_STATUSES = ["running", "succeeded", "failed", "skipped"] as const;
export type ViewRunStatus = (typeof VIEW_RUN_STATUSES)[number];

/** One row per view; `version` grows with every change of the definition. */
export const views = sqliteTable(
  "views",
  {
    projectId: text("project_id").notNull(),
    name: text("name").notNull(),
    sql: text("sql").notNull(),
    refresh: text("refresh", { enum: VIEW_REFRESH }).notNull(),
    mode: text("mode", { enum: VIEW_MODES }).notNull(),
    timeColumn: text("time_column"),
    /** JSON array of the tables the SELECT reads (event types, `events`, other views). */
    dependsOn: text("depends_on", { mode: "json" }).$type<string[]>().notNull(),
    /** JSON array of {name, type}: the SELECT's output columns when it was validated. */
    columns: text("columns", { mode: "json" }).$type<{ name: string; type: string }[]>().notNull(),
    version: integer("version").notNull().default(1),
    /** The input snapshot the current materialization reflects (null before the first build). */
    builtSnapshot: integer("built_snapshot"),
    /** The definition version the current materialization was built from. */
    builtVersion: integer("built_version"),
    /** A resumable build in progress: its input snapshot and the buckets still to do (JSON). */
    pending: text("pending", { mode: "json" }).$type<{ snapshot: number; buckets: number[]; runId: string } | null>(),
    nextRunAt: text("next_run_at"),
    createdAt: text("created_at").notNull().default(now),
    updatedAt: text("updated_at").notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.name] })],
);

/** Every refresh of a view: what it read, what it wrote, how long it took, how it ended. */
export const viewRuns = sqliteTable(
  "view_runs",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    view: text("view").notNull(),
    jobId: text("job_id"),
    status: text("status", { enum: VIEW_RUN_STATUSES }).notNull(),
    mode: text("mode", { enum: VIEW_MODES }).notNull(),
    /** The input snapshot the run computed from. */
    inputSnapshot: integer("input_snapshot"),
    /** The snapshot that published its files (null until it published). */
    publishedSnapshot: integer("published_snapshot"),
    /** Time buckets recomputed (incremental) or null (whole view). */
    buckets: integer("buckets"),
    rows: integer("rows"),
    files: integer("files"),
    bytes: integer("bytes"),
    durationMs: integer("duration_ms"),
    error: text("error"),
    startedAt: text("started_at").notNull().default(now),
    finishedAt: text("finished_at"),
  },
  (t) => [index("view_runs_view").on(t.projectId, t.view, t.startedAt)],
);
