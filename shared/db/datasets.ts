// D1 tables of datasets from files: uploads and their R2 parts, stored profiles, expectations and their runs.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

export const UPLOAD_FORMATS = ["csv", "json", "ndjson", "parquet"] as const;
export type UploadFormat = (typeof UPLOAD_FORMATS)[number];
export const UPLOAD_MODES = ["replace", "append"] as const;
export type UploadMode = (typeof UPLOAD_MODES)[number];

/** One uploaded file: where its bytes are in R2 and how far its conversion got (`checkpoint`). */
export const uploads = sqliteTable(
  "uploads",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    dataset: text("dataset").notNull(),
    format: text("format", { enum: UPLOAD_FORMATS }).notNull(),
    mode: text("mode", { enum: UPLOAD_MODES }).notNull(),
    sourceKey: text("source_key").notNull(),
    /** The R2 multipart upload of a file sent in parts (POST /v1/uploads/multipart). */
    r2UploadId: text("r2_upload_id"),
    /** `receiving` (parts arriving), `stored` (whole file in R2, job queued), `aborted`. */
    status: text("status", { enum: ["receiving", "stored", "aborted"] }).notNull(),
    bytes: integer("bytes").notNull().default(0),
    jobId: text("job_id"),
    /** The conversion's resumable state (JSON), written after every finished Parquet file. */
    checkpoint: text("checkpoint", { mode: "json" }).$type<Record<string, unknown>>(),
    createdAt: text("created_at").notNull().default(now),
  },
  (t) => [index("uploads_project").on(t.projectId, t.createdAt)],
);

export const uploadParts = sqliteTable(
  "upload_parts",
  {
    uploadId: text("upload_id").notNull(),
    part: integer("part").notNull(),
    etag: text("etag").notNull(),
    bytes: integer("bytes").notNull(),
  },
  (t) => [primaryKey({ columns: [t.uploadId, t.part] })],
);

/** The latest profile of a dataset (GET /v1/datasets/{name}/profile reads only this row). */
export const datasetProfiles = sqliteTable(
  "dataset_profiles",
  {
    projectId: text("project_id").notNull(),
    dataset: text("dataset").notNull(),
    snapshot: integer("snapshot").notNull(),
    profile: text("profile", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    generatedAt: text("generated_at").notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.dataset] })],
);

export const datasetExpectations = sqliteTable(
  "dataset_expectations",
  {
    projectId: text("project_id").notNull(),
    dataset: text("dataset").notNull(),
    expectations: text("expectations", { mode: "json" }).$type<unknown[]>().notNull(),
    updatedAt: text("updated_at").notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.dataset] })],
);

export const expectationRuns = sqliteTable(
  "expectation_runs",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    dataset: text("dataset").notNull(),
    snapshot: integer("snapshot").notNull(),
    trigger: text("trigger").notNull(),
    score: real("score").notNull(),
    results: text("results", { mode: "json" }).$type<unknown[]>().notNull(),
    createdAt: text("created_at").notNull().default(now),
  },
  (t) => [index("expectation_runs_dataset").on(t.projectId, t.dataset, t.createdAt)],
);
