// D1 tables of the batch path: jobs and their progress, and per-dataset policies.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

export const JOB_TYPES = [
  "compact",
  "rollup",
  "retention",
  "erase",
  "subject-export",
  "view",
  "backfill",
  "upload",
  "profile",
  "train",
  "import",
] as const;
export type JobType = (typeof JOB_TYPES)[number];
export const JOB_STATUSES = ["queued", "running", "succeeded", "failed"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const jobs = sqliteTable(
  "jobs",
  {
    id: text("id").primaryKey(),
    type: text("type", { enum: JOB_TYPES }).notNull(),
    projectId: text("project_id").notNull(),
    /** JSON parameters (e.g. dataset and day for a compaction). */
    params: text("params", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    status: text("status", { enum: JOB_STATUSES }).notNull(),
    progress: integer("progress").notNull().default(0),
    attempts: integer("attempts").notNull().default(0),
    error: text("error"),
    /** JSON summary of what the job did (files, rows, bytes). */
    result: text("result", { mode: "json" }).$type<Record<string, unknown>>(),
    createdAt: text("created_at").notNull().default(now),
    startedAt: text("started_at"),
    finishedAt: text("finished_at"),
  },
  (t) => [index("jobs_project").on(t.projectId, t.createdAt)],
);

/** Per-dataset policies set by an admin (PUT /v1/datasets/{name}). */
export const datasetSettings = sqliteTable(
  "dataset_settings",
  {
    projectId: text("project_id").notNull(),
    dataset: text("dataset").notNull(),
    retentionDays: integer("retention_days"),
    updatedAt: text("updated_at").notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.dataset] })],
);
