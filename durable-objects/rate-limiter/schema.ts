// RateLimiter's SQLite tables, every version of them: the one place they are created.
import type { SchemaStep } from "../sqlite-schema";

export const RATE_LIMITER_SCHEMA: readonly SchemaStep[] = [
  {
    version: 1,
    description: "served units per bucket with their time (the sliding window's log)",
    up: (sql) => {
      sql.exec(`CREATE TABLE IF NOT EXISTS hits (
        bucket TEXT NOT NULL,
        at INTEGER NOT NULL,
        cost INTEGER NOT NULL
      )`);
      sql.exec("CREATE INDEX IF NOT EXISTS hits_bucket_at ON hits (bucket, at)");
    },
  },
];
