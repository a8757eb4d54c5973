// PostgreSQL column types as the lake's table types, and the driver's values as stored values.
// Types come from the source's own column types (the statement's row description), never guessed
// from values: an int4 column is BIGINT even when it is all NULL.
import type { StoredValue, UploadType } from "../uploads/column-types";

/** Type OIDs of pg_type (stable across PostgreSQL versions) that map to a type other than VARCHAR. */
const BY_OID: Record<number, UploadType> = {
  16: "BOOLEAN", // bool
  20: "BIGINT", // int8
  21: "BIGINT", // int2
  23: "BIGINT", // int4
  26: "BIGINT", // oid
  700: "DOUBLE", // float4
  701: "DOUBLE", // float8
  1700: "DOUBLE", // numeric (exact decimals become doubles; README says so)
  1082: "DATE", // date
  1114: "TIMESTAMP", // timestamp
  1184: "TIMESTAMP", // timestamptz (an instant: stored in UTC)
};

/** The table type of a source column: text, uuid, json, arrays, intervals, bytea… are VARCHAR. */
export function uploadTypeOfOid(oid: number): UploadType {
  return BY_OID[oid] ?? "VARCHAR";
}

const INTEGER = /^[+-]?\d+$/;
const MS_PER_DAY = 86_400_000;

function hex(bytes: Uint8Array): string {
  let s = "\\x";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

function json(v: unknown): string {
  return JSON.stringify(v, (_k, x) => {
    if (typeof x === "bigint") return Number.isSafeInteger(Number(x)) ? Number(x) : x.toString();
    if (x instanceof Date) return x.toISOString();
    return x;
  });
}

/**
 * A value the driver returned, as its column's type stores it; `undefined` when it cannot be
 * (an int8 past 2^53, a numeric NaN, an infinite date): the import then fails naming it.
 */
export function storedFromPg(v: unknown, type: UploadType): StoredValue | undefined {
  if (v === null || v === undefined) return null;
  switch (type) {
    case "BIGINT": {
      const n = typeof v === "string" ? (INTEGER.test(v) ? Number(v) : Number.NaN) : Number(v);
      return Number.isSafeInteger(n) ? n : undefined;
    }
    case "DOUBLE": {
      const n = typeof v === "string" || typeof v === "number" || typeof v === "bigint" ? Number(v) : Number.NaN;
      return Number.isFinite(n) ? n : undefined;
    }
    case "BOOLEAN":
      return typeof v === "boolean" ? v : undefined;
    case "DATE": {
      const ms = v instanceof Date ? v.getTime() : typeof v === "string" ? Date.parse(`${v}T00:00:00Z`) : Number.NaN;
      return Number.isFinite(ms) ? Math.floor(ms / MS_PER_DAY) : undefined;
    }
    case "TIMESTAMP": {
      const ms = v instanceof Date ? v.getTime() : typeof v === "string" ? Date.parse(v) : Number.NaN;
      return Number.isFinite(ms) ? ms : undefined;
    }
    default:
      if (typeof v === "string") return v;
      if (v instanceof Uint8Array) return hex(v);
      if (v instanceof Date) return v.toISOString();
      if (typeof v === "object") return json(v);
      return String(v);
  }
}
