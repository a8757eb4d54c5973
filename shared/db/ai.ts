// D1 tables of analytics with AI: the model registry (the model itself is JSON in R2).
import { sql } from "drizzle-orm";
import { index, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

export const MODEL_STATUSES = ["training", "ready", "failed"] as const;

/** One trained (or training) model: what it learned from, how well it does, where its JSON is. */
export const mlModels = sqliteTable(
  "ml_models",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    dataset: text("dataset").notNull(),
    targetColumn: text("target_column").notNull(),
    problemType: text("problem_type", { enum: ["classification", "regression"] }).notNull(),
    features: text("features", { mode: "json" }).$type<string[]>().notNull(),
    /** The SQL the training rows were read with (lineage: what the model learned from). */
    sourceSql: text("source_sql").notNull(),
    /** The lake snapshot the rows were read at. */
    snapshot: integer("snapshot"),
    /** 1 for the first model of (dataset, target, problem type), then 2, 3… */
    version: integer("version").notNull(),
    params: text("params", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    status: text("status", { enum: MODEL_STATUSES }).notNull(),
    metrics: text("metrics", { mode: "json" }).$type<Record<string, number>>(),
    classes: text("classes", { mode: "json" }).$type<string[]>(),
    rowsTrained: integer("rows_trained"),
    trainingTimeSeconds: real("training_time_seconds"),
    objectKey: text("object_key"),
    jobId: text("job_id").notNull(),
    error: text("error"),
    createdAt: text("created_at").notNull().default(now),
    finishedAt: text("finished_at"),
  },
  (t) => [index("ml_models_project").on(t.projectId, t.createdAt)],
);
