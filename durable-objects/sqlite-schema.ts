// Versioned SQLite schemas for Durable Objects: ordered steps, the version kept in the object's own SQLite.

/** One schema step. Steps are never edited once deployed: a change is a new step with the next version. */
export interface SchemaStep {
  /** 1, 2, 3, … in order. Version 1 is the schema as it stood before versions were recorded. */
  version: number;
  /** Why the step exists (for readers; not stored). */
  description: string;
  /** DDL and any data rewrite; runs inside the runner's transaction, so it may not open its own. */
  up: (sql: SqlStorage) => void;
}

/** What the runner needs of `ctx.storage`. */
export type SchemaStorage = Pick<DurableObjectStorage, "sql" | "transactionSync">;

// Not `PRAGMA user_version`, which Durable Objects do not allow; a one-row table instead.
const VERSION_TABLE = `CREATE TABLE IF NOT EXISTS schema_version (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL
)`;

/** The version recorded in `sql`, 0 when none is (a new object, or one created before versions). */
export function storedSchemaVersion(sql: SqlStorage): number {
  const table = sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").toArray();
  if (table.length === 0) return 0;
  return sql.exec<{ version: number }>("SELECT version FROM schema_version WHERE id = 1").toArray()[0]?.version ?? 0;
}

/**
 * Brings the object's SQLite to the last of `steps`: every step past the stored version runs, in order,
 * in one transaction with the new version, so a failing step leaves the object as it was. An object
 * created before versions existed stores none; its step 1 (CREATE … IF NOT EXISTS) then adopts the
 * tables it has. Call it from the constructor: SQLite calls are synchronous, so nothing else runs first.
 *
 * @example
 * constructor(ctx: DurableObjectState, env: Env) {
 *   super(ctx, env);
 *   migrateSchema(ctx.storage, DEDUPE_SCHEMA);
 * }
 */
export function migrateSchema(storage: SchemaStorage, steps: readonly SchemaStep[]): number {
  steps.forEach((s, i) => {
    if (s.version !== i + 1) throw new Error(`schema step ${i} has version ${s.version}, expected ${i + 1}`);
  });
  const latest = steps.length;
  const stored = storedSchemaVersion(storage.sql);
  // Older code must not write to tables it does not know; roll forward instead.
  if (stored > latest) throw new Error(`stored schema version ${stored} is newer than this code's ${latest}`);
  if (stored === latest) return latest;
  storage.transactionSync(() => {
    storage.sql.exec(VERSION_TABLE);
    for (const step of steps.slice(stored)) step.up(storage.sql);
    storage.sql.exec(
      "INSERT INTO schema_version (id, version) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version",
      latest,
    );
  });
  return latest;
}
