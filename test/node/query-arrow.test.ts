// Arrow answers read back by DuckDB itself: DuckDB-Wasm loads the IPC stream /v1/query sends
// (format "arrow") and must see DuckDB's own answer to the same SQL over the same files.
import { createRequire } from "node:module";
import {
  createDuckDB,
  NODE_RUNTIME,
  VoidLogger,
  type DuckDBConnection as WasmConnection,
} from "@duckdb/duckdb-wasm/blocking";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeAnswer } from "../../shared/query/answer-format";
import { CORPUS } from "./query-corpus";
import { duckdbAnswer, expectSameRows, lakeWithDuckDB, tarnAnswer } from "./query-fixtures";

const require = createRequire(import.meta.url);

const lake = lakeWithDuckDB();
let wasm: WasmConnection;

beforeAll(async () => {
  const db = await createDuckDB(
    {
      mvp: { mainModule: require.resolve("@duckdb/duckdb-wasm/dist/duckdb-mvp.wasm"), mainWorker: "" },
      eh: { mainModule: require.resolve("@duckdb/duckdb-wasm/dist/duckdb-eh.wasm"), mainWorker: "" },
    },
    new VoidLogger(),
    NODE_RUNTIME,
  );
  await db.instantiate();
  wasm = db.connect();
});

afterAll(async () => {
  wasm?.close();
});

/** A value DuckDB-Wasm returns, as the fixtures compare them (times as epoch ms). */
function plain(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return Number(v);
  if (v instanceof Date) return v.getTime();
  return v;
}

let table = 0;

/** Tarn's answer as an Arrow IPC stream, loaded into DuckDB-Wasm and selected back. */
async function throughArrow(sql: string): Promise<{ names: string[]; types: string[]; rows: unknown[][] }> {
  const { result } = await tarnAnswer(lake.fixture.catalog, sql);
  const { body, contentType } = encodeAnswer({ meta: result.meta, rows: result.rows, statistics: {} }, "arrow");
  expect(contentType).toBe("application/vnd.apache.arrow.stream");
  const name = `answer_${table++}`;
  wasm.insertArrowFromIPCStream(body as Uint8Array, { name });
  const described = wasm
    .query(`DESCRIBE ${name}`)
    .toArray()
    .map((r) => r.toJSON());
  const read = wasm.query(`SELECT * FROM ${name}`);
  const rows = read.toArray().map((r) => Object.values(r.toJSON()).map(plain));
  return {
    names: described.map((d) => String(d.column_name)),
    types: described.map((d) => String(d.column_type)),
    rows,
  };
}

/** Arrow carries BIGINT, DOUBLE, BOOLEAN, VARCHAR, DATE and millisecond TIMESTAMP; DuckDB's other types map onto them. */
function arrowType(duckType: string): string {
  if (/^(BIGINT|INTEGER|SMALLINT|TINYINT|HUGEINT|UBIGINT|UINTEGER)$/.test(duckType)) return "BIGINT";
  if (duckType === "DOUBLE" || duckType === "FLOAT" || duckType.startsWith("DECIMAL")) return "DOUBLE";
  if (duckType === "DATE") return "DATE";
  if (duckType.startsWith("TIMESTAMP")) return "TIMESTAMP_MS";
  if (duckType === "BOOLEAN") return "BOOLEAN";
  return "VARCHAR";
}

describe("Arrow answers read by DuckDB", () => {
  it("hold DuckDB's own answer for every corpus query", async () => {
    let checked = 0;
    for (const sql of CORPUS) {
      const reference = await duckdbAnswer(lake.duck, sql);
      // Intervals travel as DuckDB's text; their JS forms differ between the two DuckDB APIs.
      if (reference.types.includes("INTERVAL")) continue;
      const arrow = await throughArrow(sql);
      expect(arrow.names, sql).toEqual(reference.names);
      expect(arrow.types, sql).toEqual(reference.types.map(arrowType));
      expectSameRows(arrow.rows, reference.rows, sql);
      checked++;
    }
    expect(checked).toBeGreaterThan(CORPUS.length - 5);
  });
});
