// D1 tables of dashboards and their share links (migrations/0010_dashboards.sql).
import { sql } from "drizzle-orm";
import { index, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { Visualization } from "../dashboards/spec";

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

export const dashboards = sqliteTable(
  "dashboards",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    name: text("name").notNull(),
    visualizations: text("visualizations", { mode: "json" }).$type<Visualization[]>().notNull(),
    /** The audit actor id of who created it. */
    createdBy: text("created_by").notNull(),
    createdAt: text("created_at").notNull().default(now),
    updatedAt: text("updated_at").notNull().default(now),
  },
  (t) => [index("dashboards_project").on(t.projectId, t.updatedAt)],
);

/** A share link: only the token's SHA-256 is stored; revoking sets revoked_at (the row stays for the audit trail). */
export const dashboardShares = sqliteTable(
  "dashboard_shares",
  {
    id: text("id").primaryKey(),
    tokenHash: text("token_hash").notNull(),
    projectId: text("project_id").notNull(),
    dashboardId: text("dashboard_id").notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: text("created_at").notNull().default(now),
    revokedAt: text("revoked_at"),
  },
  (t) => [
    uniqueIndex("dashboard_shares_token").on(t.tokenHash),
    index("dashboard_shares_dashboard").on(t.projectId, t.dashboardId),
  ],
);
