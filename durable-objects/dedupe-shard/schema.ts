// DedupeShard's SQLite tables, every version of them: the one place they are created.
import type { SchemaStep } from "../sqlite-schema";

export const DEDUPE_SCHEMA: readonly SchemaStep[] = [
  {
    version: 1,
    description: "claims by key, and one row per committed batch (the tables as first deployed)",
    up: (sql) => {
      sql.exec(`CREATE TABLE IF NOT EXISTS claims (
        k TEXT PRIMARY KEY,
        batch TEXT NOT NULL,
        claimed_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      ) WITHOUT ROWID`);
      sql.exec("CREATE INDEX IF NOT EXISTS claims_batch ON claims (batch)");
      sql.exec("CREATE INDEX IF NOT EXISTS claims_expiry ON claims (expires_at)");
      sql.exec(`CREATE TABLE IF NOT EXISTS committed_batches (
        batch TEXT PRIMARY KEY,
        expires_at INTEGER NOT NULL
      ) WITHOUT ROWID`);
    },
  },
];
