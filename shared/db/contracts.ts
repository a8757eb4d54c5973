// D1 tables of contracts, the quarantine index, the glossary and lineage.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

/** The head of each event type's contract: which version is current and how it is applied. */
export const contracts = sqliteTable(
  "contracts",
  {
    projectId: text("project_id").notNull(),
    eventType: text("event_type").notNull(),
    currentVersion: integer("current_version").notNull(),
    /** `enforce`, `warn` or `canary` (canary: `enforcedVersion` is still enforced, the current one observed). */
    mode: text("mode", { enum: ["enforce", "warn", "canary"] }).notNull(),
    enforcedVersion: integer("enforced_version"),
    description: text("description"),
    owner: text("owner"),
    updatedAt: text("updated_at").notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.eventType] })],
);

/** Every version ever stored (a PUT is a new version), with its compatibility and edge counters. */
export const contractVersions = sqliteTable(
  "contract_versions",
  {
    projectId: text("project_id").notNull(),
    eventType: text("event_type").notNull(),
    version: integer("version").notNull(),
    schema: text("schema").notNull(),
    mode: text("mode").notNull(),
    compatibility: text("compatibility", { enum: ["backward", "breaking"] }).notNull(),
    reasons: text("reasons", { mode: "json" }).$type<string[]>().notNull(),
    forced: integer("forced").notNull().default(0),
    description: text("description"),
    owner: text("owner"),
    /** Events checked, rejected, and accepted with a violation (warn) under this version. */
    checked: integer("checked").notNull().default(0),
    rejected: integer("rejected").notNull().default(0),
    warned: integer("warned").notNull().default(0),
    /** Canary: events the version would have rejected, and a few of their verdicts. */
    wouldReject: integer("would_reject").notNull().default(0),
    samples: text("samples", { mode: "json" }).$type<unknown[]>().notNull().default(sql`'[]'`),
    createdAt: text("created_at").notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.eventType, t.version] })],
);

/** One row per quarantined event: where its whole text is in R2, why, and what replaying it did. */
export const quarantineEntries = sqliteTable(
  "quarantine_entries",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    eventType: text("event_type"),
    eventId: text("event_id").notNull(),
    objectKey: text("object_key").notNull(),
    line: integer("line").notNull(),
    code: text("code").notNull(),
    reason: text("reason").notNull(),
    contractVersion: integer("contract_version"),
    requestId: text("request_id").notNull(),
    receivedAt: text("received_at").notNull(),
    replayedAt: text("replayed_at"),
    /** `accepted` or `rejected` (the last replay's outcome), with the reason when rejected. */
    replayOutcome: text("replay_outcome"),
    replayError: text("replay_error"),
  },
  (t) => [
    index("quarantine_entries_time").on(t.projectId, t.receivedAt),
    index("quarantine_entries_type").on(t.projectId, t.eventType, t.receivedAt),
  ],
);

export const glossaryTerms = sqliteTable(
  "glossary_terms",
  {
    projectId: text("project_id").notNull(),
    term: text("term").notNull(),
    definition: text("definition").notNull(),
    links: text("links", { mode: "json" }).$type<string[]>().notNull(),
    updatedAt: text("updated_at").notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.term] })],
);

/** OpenLineage RunEvents as emitted, per project, in order; `forwardedAt` once LINEAGE_URL took one. */
export const lineageEvents = sqliteTable(
  "lineage_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    projectId: text("project_id").notNull(),
    runId: text("run_id").notNull(),
    job: text("job").notNull(),
    eventType: text("event_type").notNull(),
    eventTime: text("event_time").notNull(),
    /** Datasets named as inputs and outputs, comma-joined, for `?dataset=` filtering. */
    datasets: text("datasets").notNull(),
    body: text("body").notNull(),
    forwardedAt: text("forwarded_at"),
    /** Set on events that must be written once (an ingest hour's START); null elsewhere. */
    onceKey: text("once_key"),
  },
  (t) => [index("lineage_events_project").on(t.projectId, t.id), uniqueIndex("lineage_events_once").on(t.onceKey)],
);

/** Ingest commits summarized per dataset and hour: one lineage run per hour, counters accumulate. */
export const lineageHours = sqliteTable(
  "lineage_hours",
  {
    projectId: text("project_id").notNull(),
    dataset: text("dataset").notNull(),
    hourMs: integer("hour_ms").notNull(),
    runId: text("run_id").notNull(),
    rows: integer("rows").notNull(),
    files: integer("files").notNull(),
    completed: integer("completed").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.dataset, t.hourMs] })],
);
