// D1 table of database connections imports read from (migrations/0013_connections.sql).
import { sql } from "drizzle-orm";
import { integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

export const CONNECTION_KINDS = ["postgres"] as const;
export type ConnectionKind = (typeof CONNECTION_KINDS)[number];

/**
 * A tested connection. Host, port, database and user are shown; the whole URL (with its password)
 * is only in `secret`, sealed under a data key of its own that MASTER_KEY's KEK wraps (`wrapped_key`).
 */
export const connections = sqliteTable(
  "connections",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    name: text("name").notNull(),
    kind: text("kind", { enum: CONNECTION_KINDS }).notNull(),
    host: text("host").notNull(),
    port: integer("port").notNull(),
    database: text("database").notNull(),
    username: text("username").notNull(),
    wrappedKey: text("wrapped_key").notNull(),
    secret: text("secret").notNull(),
    /** The audit actor id of who created it. */
    createdBy: text("created_by").notNull(),
    createdAt: text("created_at").notNull().default(now),
  },
  (t) => [uniqueIndex("connections_name").on(t.projectId, t.name)],
);
