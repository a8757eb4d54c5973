// AuditLog's SQLite tables, every version of them: the one place they are created.
import type { SchemaStep } from "../sqlite-schema";

export const AUDIT_LOG_SCHEMA: readonly SchemaStep[] = [
  {
    version: 1,
    description: "the project's hash-chained entries, and how far the lake export got",
    up: (sql) => {
      sql.exec(`CREATE TABLE IF NOT EXISTS entries (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor_type TEXT NOT NULL,
        actor_id TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        outcome TEXT NOT NULL,
        status INTEGER NOT NULL,
        request_id TEXT NOT NULL,
        country TEXT,
        reason TEXT,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      )`);
      sql.exec("CREATE INDEX IF NOT EXISTS entries_at ON entries (at)");
      sql.exec("CREATE INDEX IF NOT EXISTS entries_action ON entries (action, seq)");
      sql.exec("CREATE INDEX IF NOT EXISTS entries_actor ON entries (actor_id, seq)");
      sql.exec(`CREATE TABLE IF NOT EXISTS export_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        exported_seq INTEGER NOT NULL
      )`);
    },
  },
];
