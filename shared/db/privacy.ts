// D1 tables of privacy: envelope column classifications, the key vault, and erasure/export requests.
import { sql } from "drizzle-orm";
import { integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

/** `PUT /v1/datasets/{name}`: how an envelope column of a dataset (or `events`: all) is classified. */
export const privacyColumns = sqliteTable(
  "privacy_columns",
  {
    projectId: text("project_id").notNull(),
    dataset: text("dataset").notNull(),
    column: text("column").notNull(),
    classification: text("classification", { enum: ["public", "internal", "confidential", "restricted"] }),
    pii: integer("pii", { mode: "boolean" }).notNull().default(false),
    mask: text("mask", { enum: ["redact", "hash", "partial"] }),
    updatedAt: text("updated_at").notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.dataset, t.column] })],
);

/**
 * The key vault: one data key per (project, subject), wrapped by the key-encryption key. Subject ''
 * is the project key (events without a userId). Erasure deletes the row: the key is gone for good.
 */
export const privacyKeys = sqliteTable(
  "privacy_keys",
  {
    projectId: text("project_id").notNull(),
    keyId: text("key_id").notNull(),
    subject: text("subject").notNull(),
    wrapped: text("wrapped").notNull(),
    createdAt: text("created_at").notNull().default(now),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.keyId] }),
    uniqueIndex("privacy_keys_subject").on(t.projectId, t.subject),
  ],
);

/** Erasure and export requests, their progress and their receipts. */
export const privacyRequests = sqliteTable("privacy_requests", {
  id: text("id").primaryKey(),
  projectId: text("project_id").notNull(),
  kind: text("kind", { enum: ["erasure", "export"] }).notNull(),
  subject: text("subject").notNull(),
  status: text("status").notNull(),
  actor: text("actor").notNull(),
  requestedAt: text("requested_at").notNull(),
  keysDestroyedAt: text("keys_destroyed_at"),
  completedAt: text("completed_at"),
  rowsRemoved: integer("rows_removed").notNull().default(0),
  filesRewritten: integer("files_rewritten").notNull().default(0),
  /** The erasure receipt, or the export's object key and row count, as JSON. */
  result: text("result", { mode: "json" }).$type<Record<string, unknown>>(),
  error: text("error"),
});
