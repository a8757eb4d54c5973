// WindowShard's SQLite tables, every version of them: the one place they are created.
import type { SchemaStep } from "../sqlite-schema";

export const WINDOW_SHARD_SCHEMA: readonly SchemaStep[] = [
  {
    version: 1,
    description: "meta, windows and their groups, applied commits, alert rules and outbox, as first deployed",
    up: (sql) => {
      sql.exec("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID");
      sql.exec(`CREATE TABLE IF NOT EXISTS windows (
          size TEXT NOT NULL, start INTEGER NOT NULL, end_ms INTEGER NOT NULL,
          rev INTEGER NOT NULL, closed INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (size, start)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS windows_open ON windows (closed, end_ms);
        CREATE TABLE IF NOT EXISTS groups (
          size TEXT NOT NULL, start INTEGER NOT NULL, gkey TEXT NOT NULL, gvals TEXT NOT NULL, state TEXT NOT NULL,
          PRIMARY KEY (size, start, gkey)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS applied (commit_id TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS applied_at ON applied (at);`);
      sql.exec(`CREATE TABLE IF NOT EXISTS alert_rules (
          id TEXT PRIMARY KEY, rule TEXT NOT NULL, state TEXT NOT NULL, last_start INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS alert_outbox (id TEXT PRIMARY KEY, event TEXT NOT NULL) WITHOUT ROWID;`);
    },
  },
];
