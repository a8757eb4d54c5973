// Query answers in the formats clients ask for: ClickHouse-style JSON, CSV, NDJSON and Arrow IPC.
import {
  Bool,
  DateMillisecond,
  Float64,
  Int64,
  Table,
  TimestampMillisecond,
  tableToIPC,
  Utf8,
  vectorFromArray,
} from "apache-arrow";

export const FORMATS = ["json", "csv", "ndjson", "arrow"] as const;
export type Format = (typeof FORMATS)[number];

export interface Answer {
  meta: { name: string; type: string }[];
  rows: unknown[][];
  statistics: object;
  /** EXPLAIN's structured plan, sent with JSON answers. */
  explain?: object;
}

const CONTENT_TYPES: Record<Format, string> = {
  json: "application/json; charset=utf-8",
  csv: "text/csv; charset=utf-8",
  ndjson: "application/x-ndjson; charset=utf-8",
  arrow: "application/vnd.apache.arrow.stream",
};

const INTEGER_TYPES = new Set(["BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER"]);
const FLOAT_TYPES = new Set(["DOUBLE", "FLOAT", "REAL", "DECIMAL"]);

/** A value as JSON shows it: timestamps as ISO-8601 UTC, big integers as numbers when exact. */
export function jsonValue(value: unknown, type: string): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (type === "TIMESTAMP" && typeof value === "number") return new Date(value).toISOString();
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  return value;
}

function csvCell(value: unknown): string {
  if (value === null) return "";
  const s = typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function objects(answer: Answer): Record<string, unknown>[] {
  return answer.rows.map((row) => {
    const o: Record<string, unknown> = {};
    answer.meta.forEach((m, i) => {
      o[m.name] = jsonValue(row[i], m.type);
    });
    return o;
  });
}

function arrowColumn(values: unknown[], type: string) {
  if (INTEGER_TYPES.has(type)) {
    return vectorFromArray(
      values.map((v) =>
        v === null || v === undefined ? null : BigInt(typeof v === "bigint" ? v : Math.trunc(Number(v))),
      ),
      new Int64(),
    );
  }
  if (FLOAT_TYPES.has(type) || type.startsWith("DECIMAL"))
    return vectorFromArray(
      values.map((v) => (v == null ? null : Number(v))),
      new Float64(),
    );
  if (type === "BOOLEAN")
    return vectorFromArray(
      values.map((v) => (v == null ? null : Boolean(v))),
      new Bool(),
    );
  if (type.startsWith("TIMESTAMP") || type === "DATE") {
    return vectorFromArray(
      values.map((v) => (v == null ? null : v instanceof Date ? v.getTime() : Number(v))),
      type === "DATE" ? new DateMillisecond() : new TimestampMillisecond(),
    );
  }
  return vectorFromArray(
    values.map((v) => (v == null ? null : typeof v === "string" ? v : JSON.stringify(jsonValue(v, type)))),
    new Utf8(),
  );
}

/** Encodes the answer; the JSON body is the ClickHouse/Tinybird shape (README, "Query"). */
export function encodeAnswer(answer: Answer, format: Format): { body: string | Uint8Array; contentType: string } {
  const contentType = CONTENT_TYPES[format];
  switch (format) {
    case "json":
      return {
        contentType,
        body: JSON.stringify({
          meta: answer.meta,
          data: objects(answer),
          rows: answer.rows.length,
          statistics: answer.statistics,
          ...(answer.explain ? { explain: answer.explain } : {}),
        }),
      };
    case "ndjson":
      return {
        contentType,
        body: objects(answer)
          .map((o) => `${JSON.stringify(o)}\n`)
          .join(""),
      };
    case "csv": {
      const lines = [answer.meta.map((m) => csvCell(m.name)).join(",")];
      for (const o of objects(answer)) lines.push(answer.meta.map((m) => csvCell(o[m.name])).join(","));
      return { contentType, body: `${lines.join("\r\n")}\r\n` };
    }
    case "arrow": {
      const columns = Object.fromEntries(
        answer.meta.map((m, i) => [
          m.name,
          arrowColumn(
            answer.rows.map((r) => r[i]),
            m.type,
          ),
        ]),
      );
      return { contentType, body: tableToIPC(new Table(columns), "stream") };
    }
  }
}
