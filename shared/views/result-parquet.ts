// A query's result rows as one ZSTD Parquet file (hyparquet-writer), the way a view is stored: each
// SQL type as the Parquet type DuckDB reads back as that type (see storedType in analyze.ts).
import type { SchemaElement } from "hyparquet";
import { parquetWriteBuffer } from "hyparquet-writer";
import { lakeCompress } from "../parquet/codecs";
import { storedType } from "./analyze";

export interface ResultColumn {
  name: string;
  /** The engine's SQL type of the column (QueryResult.meta). */
  type: string;
}

type Converted = { element: SchemaElement; data: unknown[] };

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function toInt64(v: unknown, column: string): bigint {
  const b = typeof v === "bigint" ? v : BigInt(Math.trunc(Number(v)));
  if (b < INT64_MIN || b > INT64_MAX) throw new RangeError(`column "${column}": ${b} does not fit in a BIGINT`);
  return b;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** One column's Parquet schema element and values (nulls stay null). */
function convert(column: ResultColumn, values: unknown[]): Converted {
  const name = column.name;
  const repetition_type = "OPTIONAL" as const;
  const map = (f: (v: unknown) => unknown) => values.map((v) => (v === null || v === undefined ? null : f(v)));
  switch (storedType(column.type)) {
    case "BOOLEAN":
      return { element: { name, type: "BOOLEAN", repetition_type }, data: map((v) => Boolean(v)) };
    case "INTEGER":
      return { element: { name, type: "INT32", repetition_type }, data: map((v) => Number(v)) };
    case "BIGINT":
      return {
        element: { name, type: "INT64", repetition_type },
        data: map((v) => toInt64(v, name)),
      };
    case "DOUBLE":
      return { element: { name, type: "DOUBLE", repetition_type }, data: map((v) => Number(v)) };
    case "DATE":
      return {
        element: { name, type: "INT32", converted_type: "DATE", repetition_type },
        data: map((v) => (v instanceof Date ? v : new Date(Number(v)))),
      };
    case "TIMESTAMP":
      return {
        element: { name, type: "INT64", converted_type: "TIMESTAMP_MILLIS", repetition_type },
        data: map((v) => BigInt(v instanceof Date ? v.getTime() : Number(v))),
      };
    case "JSON":
      // The writer serializes JSON values itself: hand it the parsed document, not its text.
      return {
        element: { name, type: "BYTE_ARRAY", converted_type: "JSON", logical_type: { type: "JSON" }, repetition_type },
        data: map((v) => (typeof v === "string" ? parseJson(v) : v)),
      };
    default:
      return {
        element: { name, type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type },
        data: map((v) => (typeof v === "string" ? v : String(v))),
      };
  }
}

/**
 * Encode result rows (row-major, as runQuery returns them) as a Parquet file: ZSTD pages,
 * statistics on, every column nullable.
 * @example encodeResultFile([{ name: "n", type: "BIGINT" }], [[1], [2]])
 */
export function encodeResultFile(columns: readonly ResultColumn[], rows: readonly unknown[][]): Uint8Array {
  const converted = columns.map((c, i) =>
    convert(
      c,
      rows.map((r) => r[i]),
    ),
  );
  const schema: SchemaElement[] = [{ name: "root", num_children: columns.length }, ...converted.map((c) => c.element)];
  const buffer = parquetWriteBuffer({
    codec: "ZSTD",
    compressors: { ZSTD: lakeCompress },
    schema,
    columnData: converted.map((c) => ({ name: c.element.name, data: c.data as never })),
    rowGroupSize: 65_536,
  });
  return new Uint8Array(buffer);
}
