// MetricsShard's SQLite tables, every version of them: the one place they are created.
import type { SchemaStep } from "../sqlite-schema";

export const METRICS_SCHEMA: readonly SchemaStep[] = [
  {
    version: 1,
    description: "summed series, and the last delta applied per isolate (so a retried flush counts once)",
    up: (sql) => {
      sql.exec(`CREATE TABLE IF NOT EXISTS series (
        key TEXT PRIMARY KEY,
        value REAL NOT NULL DEFAULT 0,
        buckets TEXT,
        sum REAL NOT NULL DEFAULT 0,
        count INTEGER NOT NULL DEFAULT 0
      ) WITHOUT ROWID`);
      sql.exec(`CREATE TABLE IF NOT EXISTS applied (
        isolate TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        at INTEGER NOT NULL
      ) WITHOUT ROWID`);
      sql.exec("CREATE INDEX IF NOT EXISTS applied_at ON applied (at)");
    },
  },
];
