// Typed columns across three contract versions: Tarn's SQL and DuckDB (union_by_name) over the same files.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { asyncBufferFromFile, parquetReadObjects } from "hyparquet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  manifestColumns,
  type TypedColumn,
  typedColumnsOf,
  unionTypedColumns,
} from "../../shared/contracts/typed-columns";
import { FILE_COLUMNS, type LakeRow } from "../../shared/lake/lake-row";
import { lakeCompressors } from "../../shared/parquet/codecs";
import { encodeLakeFile } from "../../shared/parquet/lake-file";
import type { FileRef, QueryCatalog } from "../../shared/query/index";
import { TABLE_COLUMNS } from "../../shared/query/schema";
import { duckdbAnswer, expectSameRows, tarnAnswer } from "./query-fixtures";

const T0 = Date.UTC(2026, 10, 20, 10);

const V1 = {
  type: "object",
  properties: { orderId: { type: "string" }, amount: { type: "integer" }, items: { type: "array" } },
};
const V2 = {
  type: "object",
  properties: {
    ...V1.properties,
    note: { type: ["string", "null"] },
    placedAt: { type: "string", format: "date-time" },
    gift: { type: "boolean" },
    // Collides with an envelope column: stored as payload_source.
    source: { type: "string" },
  },
};
const V3 = { ...V2, properties: { ...V2.properties, amount: { type: "number" } } };

function row(i: number, payload: Record<string, unknown>): LakeRow {
  return {
    event_id: `e${String(i).padStart(3, "0")}`,
    event_type: "order.created",
    ts: T0 + i * 1000,
    received_at: T0 + i * 1000 + 5,
    user_id: `u${i % 3}`,
    session_id: null,
    correlation_id: null,
    source: "web",
    version: null,
    environment: null,
    region: null,
    request_id: "r",
    country: null,
    colo: null,
    payload: JSON.stringify(payload),
    metadata: null,
  };
}

const versions: { schema: unknown; rows: LakeRow[] }[] = [
  {
    schema: V1,
    rows: Array.from({ length: 40 }, (_, i) => row(i, { orderId: `o${i}`, amount: i * 10, items: [i] })),
  },
  {
    schema: V2,
    rows: Array.from({ length: 40 }, (_, i) =>
      row(100 + i, {
        orderId: `o${100 + i}`,
        amount: 1000 + i,
        note: i % 4 === 0 ? null : `n${i % 5}`,
        placedAt: new Date(T0 + i * 60_000).toISOString(),
        gift: i % 3 === 0,
        source: "app",
      }),
    ),
  },
  {
    schema: V3,
    rows: Array.from({ length: 40 }, (_, i) =>
      row(200 + i, {
        orderId: `o${200 + i}`,
        amount: i + 0.25,
        note: `n${i % 2}`,
        placedAt: new Date(T0 - i * 60_000).toISOString(),
        // A warn-mode event with the wrong type: its typed column is NULL, its payload keeps the value.
        gift: i === 7 ? "yes" : i % 2 === 0,
        source: "api",
      }),
    ),
  },
];

let dir = "";
let catalog: QueryCatalog;
let tableColumns: Record<string, { name: string; type: never }[]>;
let duck: Awaited<ReturnType<DuckDBInstance["connect"]>>;
let instance: DuckDBInstance;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "tarn-typed-"));
  const files: (FileRef & { path: string; columns: ReturnType<typeof manifestColumns> })[] = [];
  for (const [v, { schema, rows }] of versions.entries()) {
    const typed = typedColumnsOf(schema);
    const name = `v${v + 1}.parquet`;
    await writeFile(path.join(dir, name), encodeLakeFile(rows, { typedColumns: typed, rowGroupSize: 16 }));
    files.push({
      key: name,
      path: path.join(dir, name),
      dataset: "order.created",
      rows: rows.length,
      minTs: Math.min(...rows.map((r) => r.ts)),
      maxTs: Math.max(...rows.map((r) => r.ts)),
      columns: [...FILE_COLUMNS, ...manifestColumns(typed)],
    });
  }
  catalog = {
    async listFiles(table) {
      return table === "events" || table === "order.created" ? files : null;
    },
    async openFile(key) {
      return asyncBufferFromFile(path.join(dir, key));
    },
  };
  const union: TypedColumn[] = unionTypedColumns(files.map((f) => f.columns));
  tableColumns = {
    "order.created": [...TABLE_COLUMNS, ...union.map((c) => ({ name: c.name, type: c.type as never }))] as never,
  };
  instance = await DuckDBInstance.create(":memory:");
  duck = await instance.connect();
  await duck.run("SET TimeZone = 'UTC'");
  const list = files.map((f) => `'${f.path}'`).join(", ");
  await duck.run(`CREATE VIEW "order.created" AS SELECT * FROM read_parquet([${list}], union_by_name = true)`);
});

afterAll(async () => {
  duck?.closeSync();
  instance?.closeSync();
  await rm(dir, { recursive: true, force: true });
});

describe("typed columns across contract versions", () => {
  it("maps the contract's top-level scalars to columns, prefixing envelope collisions", () => {
    expect(typedColumnsOf(V3)).toEqual([
      { name: "orderId", property: "orderId", type: "VARCHAR" },
      { name: "amount", property: "amount", type: "DOUBLE" },
      { name: "note", property: "note", type: "VARCHAR" },
      { name: "placedAt", property: "placedAt", type: "TIMESTAMP" },
      { name: "gift", property: "gift", type: "BOOLEAN" },
      { name: "payload_source", property: "source", type: "VARCHAR" },
    ]);
  });

  it("unions the files' columns by name, widening integer to number", () => {
    expect(tableColumns["order.created"]?.slice(TABLE_COLUMNS.length)).toEqual([
      { name: "orderId", type: "VARCHAR" },
      { name: "amount", type: "DOUBLE" },
      { name: "note", type: "VARCHAR" },
      { name: "placedAt", type: "TIMESTAMP" },
      { name: "gift", type: "BOOLEAN" },
      { name: "payload_source", type: "VARCHAR" },
    ]);
  });

  const queries = [
    'SELECT event_id, orderId, amount, note, placedAt, gift, payload_source FROM "order.created" ORDER BY event_id',
    'SELECT gift, count(*) AS n, sum(amount) AS total, count(note) AS notes FROM "order.created" GROUP BY gift ORDER BY gift NULLS FIRST',
    'SELECT note, max(placedAt) AS latest, min(amount) AS low FROM "order.created" WHERE amount > 5 GROUP BY note ORDER BY note NULLS FIRST',
    "SELECT count(*) AS n FROM \"order.created\" WHERE placedAt >= TIMESTAMP '2026-11-20 10:10:00' AND gift",
    'SELECT sum(amount) AS total, count(*) AS n FROM "order.created" WHERE gift = false',
    "SELECT count(*) AS n FROM \"order.created\" WHERE amount BETWEEN 1000 AND 1010 OR note = 'n1'",
  ];
  for (const sql of queries) {
    it(`answers as DuckDB does: ${sql}`, async () => {
      const expected = await duckdbAnswer(duck, sql);
      const tarn = await tarnAnswer(catalog, sql, { tableColumns });
      expect(tarn.names).toEqual(expected.names);
      expect(tarn.types).toEqual(expected.types);
      expectSameRows(tarn.rows, expected.rows, sql);
    });
  }

  it("reads the columns back with hyparquet as the contract typed them", async () => {
    const rows = (await parquetReadObjects({
      file: await asyncBufferFromFile(path.join(dir, "v2.parquet")),
      compressors: lakeCompressors,
      columns: ["amount", "placedAt", "gift", "note"],
    })) as Record<string, unknown>[];
    expect(rows[1]).toEqual({ amount: 1001n, placedAt: new Date(T0 + 60_000), gift: false, note: "n1" });
    expect(rows[0]?.note).toBeNull();
  });

  it("keeps the lake's columns and the payload untouched", async () => {
    const sql =
      "SELECT event_id, json_extract_string(payload, '$.gift') AS g FROM \"order.created\" WHERE event_id = 'e207'";
    const tarn = await tarnAnswer(catalog, sql, { tableColumns });
    expect(tarn.rows).toEqual([["e207", "yes"]]);
  });
});
