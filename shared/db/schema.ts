// D1 metadata tables, defined once; drizzle-kit generates migrations/ from this file.
import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

export const projects = sqliteTable(
  "projects",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    /** Producer-retry dedupe window in hours; null means the deployment default. */
    dedupeWindowHours: integer("dedupe_window_hours"),
    createdAt: text("created_at").notNull().default(now),
  },
  (t) => [uniqueIndex("projects_name_unique").on(t.name)],
);

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id),
    name: text("name").notNull(),
    /** SHA-256 of the key, hex. The key itself is never stored. */
    keyHash: text("key_hash").notNull(),
    /** JSON array of scopes. */
    scopes: text("scopes", { mode: "json" }).$type<string[]>().notNull(),
    /** Rate-limit tier of the key's requests (`free` | `premium`). */
    tier: text("tier", { enum: ["free", "premium"] })
      .notNull()
      .default("free"),
    createdAt: text("created_at").notNull().default(now),
    lastUsedAt: text("last_used_at"),
    revokedAt: text("revoked_at"),
  },
  (t) => [uniqueIndex("api_keys_hash_unique").on(t.keyHash), index("api_keys_project_idx").on(t.projectId)],
);
