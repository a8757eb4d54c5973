// D1 tables of people and access: users of a project (API keys live in schema.ts).
import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { projects } from "./schema";

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id")
      .notNull()
      .references(() => projects.id),
    /** Lower-cased; unique per project. */
    email: text("email").notNull(),
    /** `pbkdf2-sha256$<iterations>$<salt>$<hash>`. */
    passwordHash: text("password_hash").notNull(),
    role: text("role", { enum: ["viewer", "analyst", "admin"] }).notNull(),
    tier: text("tier", { enum: ["free", "premium"] })
      .notNull()
      .default("free"),
    disabled: integer("disabled", { mode: "boolean" }).notNull().default(false),
    /** Carried in every token; bumping it (role change, disable, password change, revoke) invalidates older tokens. */
    tokenVersion: integer("token_version").notNull().default(0),
    /** Free-form attributes row-level policies read (`current_user_attribute('region')`). */
    attributes: text("attributes", { mode: "json" })
      .$type<Record<string, string | number | boolean | null>>()
      .notNull()
      .default({}),
    createdAt: text("created_at").notNull().default(now),
    updatedAt: text("updated_at").notNull().default(now),
  },
  (t) => [
    uniqueIndex("users_project_email_unique").on(t.projectId, t.email),
    index("users_project_idx").on(t.projectId),
  ],
);
