// D1 table of row-level policies: per project, which rows of a dataset a principal may see.
import { sql } from "drizzle-orm";
import { primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

export const rowPolicies = sqliteTable(
  "row_policies",
  {
    projectId: text("project_id").notNull(),
    name: text("name").notNull(),
    /** A dataset name, or `*` for every table. */
    dataset: text("dataset").notNull(),
    roles: text("roles", { mode: "json" }).$type<string[]>().notNull().default([]),
    users: text("users", { mode: "json" }).$type<string[]>().notNull().default([]),
    keys: text("keys", { mode: "json" }).$type<string[]>().notNull().default([]),
    /** A SQL boolean expression over the dataset's columns and the identity functions. */
    filter: text("filter").notNull(),
    createdAt: text("created_at").notNull().default(now),
    updatedAt: text("updated_at").notNull().default(now),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.name] })],
);
