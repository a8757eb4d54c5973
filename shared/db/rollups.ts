// D1 tables of the gold layer: hourly rollups and, per hour, the snapshot they were built at.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

/**
 * One row per rolled-up hour. The hour's groups are valid only while no file covering the hour
 * was added or removed after `built_snapshot` (checked against lake_files at query time).
 */
export const rollupHours = sqliteTable(
  "rollup_hours",
  {
    projectId: text("project_id").notNull(),
    /** Start of the hour, epoch ms (UTC). */
    hourMs: integer("hour_ms").notNull(),
    builtSnapshot: integer("built_snapshot").notNull(),
    groups: integer("groups").notNull(),
    events: integer("events").notNull(),
    builtAt: text("built_at").notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.hourMs] })],
);

/**
 * Count and HyperLogLog sketches (base64 of HyperLogLog.toBytes) per hour, level and envelope
 * dimensions. `level` names the dimensions the row keeps (shared/rollup/dims.ts ROLLUP_LEVELS,
 * e.g. `event_type,country`); the others are null, meaning all values.
 */
export const rollups = sqliteTable(
  "rollups",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    projectId: text("project_id").notNull(),
    hourMs: integer("hour_ms").notNull(),
    /** Rows from before levels existed were the full cube (their hours are rebuilt: see migration 0004). */
    level: text("level").notNull().default("event_type,environment,source,country,region"),
    eventType: text("event_type").notNull(),
    environment: text("environment"),
    source: text("source"),
    country: text("country"),
    region: text("region"),
    count: integer("count").notNull(),
    usersHll: text("users_hll").notNull(),
    sessionsHll: text("sessions_hll").notNull(),
  },
  (t) => [index("rollups_level_hour").on(t.projectId, t.level, t.hourMs)],
);
