// D1 tables of the lake: the file manifest, its snapshots, consumer commits and dead letters.
import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

/**
 * Every change of a project's lake is a snapshot; a file belongs to the tables between the
 * snapshot that added it and the one that removed it, so replacing files is one atomic batch.
 */
export const snapshots = sqliteTable(
  "snapshots",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    projectId: text("project_id").notNull(),
    /** `append` (ingest), later `compact`, `retention`, `erase`, `rollback`. */
    kind: text("kind").notNull(),
    /** The writer's commit id (for ingest: the consumer batch id). */
    commitId: text("commit_id").notNull(),
    filesAdded: integer("files_added").notNull().default(0),
    filesRemoved: integer("files_removed").notNull().default(0),
    rowsAdded: integer("rows_added").notNull().default(0),
    createdAt: text("created_at").notNull().default(now),
  },
  (t) => [
    uniqueIndex("snapshots_commit_project").on(t.commitId, t.projectId),
    index("snapshots_project").on(t.projectId, t.id),
  ],
);

/**
 * One row per file membership: a rollback re-adds an old object as a new row, so the same key
 * may appear in several rows with disjoint snapshot intervals.
 */
export const lakeFiles = sqliteTable(
  "lake_files",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    key: text("key").notNull(),
    projectId: text("project_id").notNull(),
    dataset: text("dataset").notNull(),
    layer: text("layer", { enum: ["bronze", "silver", "gold", "uploads", "audit"] }).notNull(),
    /** Partition values: `dt` (YYYY-MM-DD, UTC) and `hr` (0–23; null for a file covering the whole day). */
    dt: text("dt").notNull(),
    hr: integer("hr"),
    rows: integer("rows").notNull(),
    bytes: integer("bytes").notNull(),
    minTs: integer("min_ts").notNull(),
    maxTs: integer("max_ts").notNull(),
    /** JSON array of {name, type}. */
    columns: text("columns", { mode: "json" }).$type<{ name: string; type: string }[]>().notNull(),
    schemaVersion: integer("schema_version").notNull().default(1),
    addedSnapshot: integer("added_snapshot").notNull(),
    removedSnapshot: integer("removed_snapshot"),
    /** When garbage collection deleted the object (after the grace period); time travel stops there. */
    deletedAt: text("deleted_at"),
    createdAt: text("created_at").notNull().default(now),
  },
  (t) => [
    index("lake_files_current").on(t.projectId, t.removedSnapshot, t.dataset, t.minTs),
    index("lake_files_added").on(t.projectId, t.addedSnapshot),
    index("lake_files_key").on(t.key),
  ],
);

/** Consumer batches whose files are in the manifest: the arbiter for dedupe claims. */
export const ingestCommits = sqliteTable("ingest_commits", {
  commitId: text("commit_id").primaryKey(),
  events: integer("events").notNull(),
  committedAt: text("committed_at").notNull().default(now),
});

/** Queue messages that exhausted their retries, kept for an admin to inspect. */
export const deadLetters = sqliteTable(
  "dead_letters",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id"),
    queue: text("queue").notNull(),
    messageId: text("message_id").notNull(),
    attempts: integer("attempts").notNull(),
    /** The message body as JSON text, capped. */
    body: text("body").notNull(),
    events: integer("events"),
    receivedAt: text("received_at").notNull().default(now),
    /** When an admin sent it back through its queue (POST /v1/dead-letters/redrive); once only. */
    redrivenAt: text("redriven_at"),
  },
  (t) => [index("dead_letters_project").on(t.projectId, t.receivedAt)],
);

/**
 * A publish that replaces files inserts `ok` = (all files it removes are still current); the CHECK
 * fails otherwise and D1 rolls the whole batch back, so two jobs can never remove the same file.
 */
export const publishGuards = sqliteTable(
  "publish_guards",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    ok: integer("ok").notNull(),
  },
  (t) => [check("publish_guards_ok", sql`${t.ok} = 1`)],
);
