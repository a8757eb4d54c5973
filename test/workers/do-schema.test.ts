// Durable Object SQLite schemas: new objects start at the latest version, objects created before versions
// were recorded are adopted in place with their rows, and later steps run once, all or nothing.
import { env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DEDUPE_SCHEMA } from "../../durable-objects/dedupe-shard/schema";
import { LIVE_HUB_SCHEMA } from "../../durable-objects/live-hub/schema";
import { migrateSchema, type SchemaStep, storedSchemaVersion } from "../../durable-objects/sqlite-schema";
import { WINDOW_SHARD_SCHEMA } from "../../durable-objects/window-shard/schema";
import { hubStub } from "../../services/stubs/live-hub";
import { windowStub } from "../../services/stubs/window-shard";

const uid = () => crypto.randomUUID().slice(0, 8);

/** The tables each class created before schema versions, verbatim from the constructors of that code. */
const LEGACY_DDL = {
  DedupeShard: [
    `CREATE TABLE IF NOT EXISTS claims (
      k TEXT PRIMARY KEY,
      batch TEXT NOT NULL,
      claimed_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL
    ) WITHOUT ROWID`,
    "CREATE INDEX IF NOT EXISTS claims_batch ON claims (batch)",
    "CREATE INDEX IF NOT EXISTS claims_expiry ON claims (expires_at)",
    `CREATE TABLE IF NOT EXISTS committed_batches (
      batch TEXT PRIMARY KEY,
      expires_at INTEGER NOT NULL
    ) WITHOUT ROWID`,
  ],
  LiveHub: [
    `CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS hubs (idx INTEGER PRIMARY KEY, sockets INTEGER NOT NULL);`,
    `CREATE TABLE IF NOT EXISTS subs (sid TEXT NOT NULL, key TEXT NOT NULL, filter TEXT NOT NULL,
      PRIMARY KEY (sid, key)) WITHOUT ROWID`,
  ],
  WindowShard: [
    "CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID",
    `CREATE TABLE IF NOT EXISTS windows (
        size TEXT NOT NULL, start INTEGER NOT NULL, end_ms INTEGER NOT NULL,
        rev INTEGER NOT NULL, closed INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (size, start)) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS windows_open ON windows (closed, end_ms);
      CREATE TABLE IF NOT EXISTS groups (
        size TEXT NOT NULL, start INTEGER NOT NULL, gkey TEXT NOT NULL, gvals TEXT NOT NULL, state TEXT NOT NULL,
        PRIMARY KEY (size, start, gkey)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS applied (commit_id TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS applied_at ON applied (at);`,
    `CREATE TABLE IF NOT EXISTS alert_rules (
        id TEXT PRIMARY KEY, rule TEXT NOT NULL, state TEXT NOT NULL, last_start INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS alert_outbox (id TEXT PRIMARY KEY, event TEXT NOT NULL) WITHOUT ROWID;`,
  ],
};

interface Case {
  name: keyof typeof LEGACY_DDL;
  schema: readonly SchemaStep[];
  stub: () => DurableObjectStub;
  /** Rows an object of the old code held (statement and bindings), and the query that reads them back. */
  seed: [string, ...SqlStorageValue[]][];
  read: string;
}

const cases: Case[] = [
  {
    name: "DedupeShard",
    schema: DEDUPE_SCHEMA,
    stub: () => env.DEDUPE.get(env.DEDUPE.idFromName(`schema-${uid()}`)),
    seed: [
      ["INSERT INTO claims VALUES (?, 'b1', 1, 9999999999999)", "p\u0000e1"],
      ["INSERT INTO committed_batches VALUES ('b1', 9999999999999)"],
    ],
    read: "SELECT c.k, c.batch, b.batch AS committed FROM claims c LEFT JOIN committed_batches b USING (batch)",
  },
  {
    name: "LiveHub",
    schema: LIVE_HUB_SCHEMA,
    stub: () => hubStub(env, `prj_${uid()}`, 0),
    seed: [["INSERT INTO hubs VALUES (0, 3)"], ["INSERT INTO subs VALUES ('sid-1', 'events:1m', 'null')"]],
    read: "SELECT h.idx, h.sockets, s.sid, s.key FROM hubs h, subs s",
  },
  {
    name: "WindowShard",
    schema: WINDOW_SHARD_SCHEMA,
    stub: () => windowStub(env, `prj_${uid()}`, "orders"),
    seed: [
      ["INSERT INTO windows VALUES ('1m', 60000, 120000, 4, 1)"],
      [`INSERT INTO groups VALUES ('1m', 60000, 'all', '[]', '{"count":7}')`],
      ["INSERT INTO applied VALUES ('commit-1', 1)"],
    ],
    read: "SELECT w.rev, w.closed, g.state, a.commit_id FROM windows w, groups g, applied a",
  },
];

/** Every table and index the object created, its DDL with whitespace collapsed (the bookkeeping table apart). */
function layout(sql: SqlStorage): [string, string, string][] {
  return sql
    .exec<{ type: string; name: string; sql: string | null }>(
      `SELECT type, name, sql FROM sqlite_master
       WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name <> 'schema_version'
       ORDER BY type, name`,
    )
    .toArray()
    .map((r) => [r.type, r.name, (r.sql ?? "").replace(/\s+/g, " ").replace(/IF NOT EXISTS /g, "")]);
}

function dropAll(sql: SqlStorage): void {
  const tables = sql
    .exec<{ name: string }>(
      `SELECT name FROM sqlite_master WHERE type = 'table'
       AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'`,
    )
    .toArray();
  for (const { name } of tables) sql.exec(`DROP TABLE "${name}"`);
}

describe("Durable Object schemas", () => {
  for (const c of cases) {
    it(`creates a new ${c.name} at the latest schema version`, async () => {
      const { version, tables } = await runInDurableObject(c.stub(), (_i, state) => ({
        version: storedSchemaVersion(state.storage.sql),
        tables: layout(state.storage.sql).map(([, name]) => name),
      }));
      expect(version).toBe(c.schema.length);
      expect(tables.length).toBeGreaterThan(0);
    });

    it(`upgrades a ${c.name} created before schema versions in place, keeping its rows`, async () => {
      const stub = c.stub();
      const fresh = await runInDurableObject(stub, (_i, state) => layout(state.storage.sql));
      const before = await runInDurableObject(stub, (_i, state) => {
        const sql = state.storage.sql;
        // As the old code left it: its tables, its rows, no version anywhere.
        dropAll(sql);
        for (const ddl of LEGACY_DDL[c.name]) sql.exec(ddl);
        for (const [statement, ...bindings] of c.seed) sql.exec(statement, ...bindings);
        expect(storedSchemaVersion(sql)).toBe(0);
        return sql.exec(c.read).toArray();
      });
      expect(before).toHaveLength(1);

      await evictDurableObject(stub); // the next call constructs the object anew: the runner runs there
      const after = await runInDurableObject(stub, (_i, state) => ({
        version: storedSchemaVersion(state.storage.sql),
        rows: state.storage.sql.exec(c.read).toArray(),
        layout: layout(state.storage.sql),
      }));
      expect(after.version).toBe(c.schema.length);
      expect(after.rows).toEqual(before);
      expect(after.layout).toEqual(fresh);
    });
  }

  it("keeps serving a DedupeShard adopted from the old code: its committed claim is still a duplicate", async () => {
    const stub = env.DEDUPE.get(env.DEDUPE.idFromName(`schema-${uid()}`));
    await runInDurableObject(stub, (_i, state) => {
      dropAll(state.storage.sql);
      for (const ddl of LEGACY_DDL.DedupeShard) state.storage.sql.exec(ddl);
      state.storage.sql.exec("INSERT INTO claims VALUES (?, 'old-batch', 1, 9999999999999)", "p\u0000old");
      state.storage.sql.exec("INSERT INTO committed_batches VALUES ('old-batch', 9999999999999)");
    });
    await evictDurableObject(stub);
    const verdicts = await stub.claim("new-batch", [
      { key: "p\u0000old", expiresAt: Date.now() + 3600_000 },
      { key: "p\u0000new", expiresAt: Date.now() + 3600_000 },
    ]);
    expect(verdicts).toEqual([{ kind: "duplicate" }, { kind: "new" }]);
  });

  it("runs a step added after version 1 once, records it, and keeps the rows it found", async () => {
    const step2: SchemaStep = {
      version: 2,
      description: "test: a column with a backfill, and a log of its runs",
      up: (sql) => {
        // Not idempotent on purpose: a second run would fail.
        sql.exec("ALTER TABLE claims ADD COLUMN source TEXT NOT NULL DEFAULT ''");
        sql.exec("UPDATE claims SET source = 'v1'");
        sql.exec("CREATE TABLE step_runs (at INTEGER NOT NULL)");
        sql.exec("INSERT INTO step_runs VALUES (1)");
      },
    };
    const stub = env.DEDUPE.get(env.DEDUPE.idFromName(`schema-step-${uid()}`));
    await stub.claim("b1", [{ key: "p\u0000a", expiresAt: Date.now() + 3600_000 }]);
    await runInDurableObject(stub, (_i, state) => {
      const sql = state.storage.sql;
      expect(storedSchemaVersion(sql)).toBe(1);
      expect(migrateSchema(state.storage, [...DEDUPE_SCHEMA, step2])).toBe(2);
      expect(migrateSchema(state.storage, [...DEDUPE_SCHEMA, step2])).toBe(2);
      expect(storedSchemaVersion(sql)).toBe(2);
      expect(sql.exec("SELECT count(*) AS n FROM step_runs").one().n).toBe(1);
      expect(sql.exec("SELECT k, source FROM claims").toArray()).toEqual([{ k: "p\u0000a", source: "v1" }]);
      // Code that knows only version 1 must not write to version 2's tables.
      expect(() => migrateSchema(state.storage, DEDUPE_SCHEMA)).toThrow(/newer than this code/);
    });
  });

  it("rolls back a failing step whole and leaves the stored version where it was", async () => {
    const broken: SchemaStep = {
      version: 2,
      description: "test: fails half-way",
      up: (sql) => {
        sql.exec("CREATE TABLE half_done (x INTEGER)");
        sql.exec("INSERT INTO no_such_table VALUES (1)");
      },
    };
    const stub = env.DEDUPE.get(env.DEDUPE.idFromName(`schema-broken-${uid()}`));
    await runInDurableObject(stub, (_i, state) => {
      const sql = state.storage.sql;
      expect(() => migrateSchema(state.storage, [...DEDUPE_SCHEMA, broken])).toThrow();
      expect(storedSchemaVersion(sql)).toBe(1);
      expect(sql.exec("SELECT name FROM sqlite_master WHERE name = 'half_done'").toArray()).toEqual([]);
    });
  });

  it("refuses a step list whose versions are not 1, 2, 3, …", async () => {
    const stub = env.DEDUPE.get(env.DEDUPE.idFromName(`schema-order-${uid()}`));
    await runInDurableObject(stub, (_i, state) => {
      const skipped = { version: 3, description: "test", up: () => {} };
      expect(() => migrateSchema(state.storage, [...DEDUPE_SCHEMA, skipped])).toThrow(/expected 2/);
      expect(storedSchemaVersion(state.storage.sql)).toBe(1);
    });
  });
});
