// SQL types as DuckDB names them, and the promotion rules the engine follows.

/** DECIMAL carries its width and scale, as DuckDB reports it: `DECIMAL(18,3)`. */
export type DecimalType = `DECIMAL(${number},${number})`;

export type SqlType =
  | "BOOLEAN"
  | "INTEGER"
  | "BIGINT"
  | "HUGEINT"
  | "DOUBLE"
  | DecimalType
  | "VARCHAR"
  | "JSON"
  | "DATE"
  | "TIMESTAMP"
  | "TIMESTAMP WITH TIME ZONE"
  | "INTERVAL"
  | '"NULL"';

export const NULL_TYPE: SqlType = '"NULL"';

export function decimal(width: number, scale: number): DecimalType {
  return `DECIMAL(${Math.min(38, Math.max(width, scale, 1))},${scale})`;
}

export function decimalParts(t: SqlType): { width: number; scale: number } | null {
  const m = /^DECIMAL\((\d+),(\d+)\)$/.exec(t);
  return m ? { width: Number(m[1]), scale: Number(m[2]) } : null;
}

export function isDecimal(t: SqlType): t is DecimalType {
  return t.startsWith("DECIMAL");
}

export function isInteger(t: SqlType): boolean {
  return t === "INTEGER" || t === "BIGINT" || t === "HUGEINT";
}

export function isNumeric(t: SqlType): boolean {
  return isInteger(t) || t === "DOUBLE" || isDecimal(t);
}

export function isString(t: SqlType): boolean {
  return t === "VARCHAR" || t === "JSON";
}

export function isTimestamp(t: SqlType): boolean {
  return t === "TIMESTAMP" || t === "TIMESTAMP WITH TIME ZONE";
}

/** DATE and both TIMESTAMPs: all held as epoch milliseconds. */
export function isTemporal(t: SqlType): boolean {
  return isTimestamp(t) || t === "DATE";
}

/** How each type is held in vectors: numbers (incl. booleans 0/1 and epoch-ms timestamps), strings, or objects. */
export type Physical = "num" | "str" | "obj" | "null";

export function physicalOf(t: SqlType): Physical {
  if (t === NULL_TYPE) return "null";
  if (isString(t)) return "str";
  if (t === "INTERVAL") return "obj";
  return "num";
}

/** How values of the type are held in a vector: a NULL-typed column is held as numbers (all NULL). */
export function storageOf(t: SqlType): "num" | "str" | "obj" {
  const phys = physicalOf(t);
  return phys === "null" ? "num" : phys;
}

const INTEGER_RANK: Record<string, number> = { INTEGER: 1, BIGINT: 2, HUGEINT: 3 };
const INTEGER_WIDTH: Record<string, number> = { INTEGER: 10, BIGINT: 19, HUGEINT: 38 };

/** The common numeric type of two numeric operands (DuckDB's implicit promotion). */
export function commonNumeric(a: SqlType, b: SqlType): SqlType {
  if (a === NULL_TYPE) return b;
  if (b === NULL_TYPE) return a;
  if (a === "DOUBLE" || b === "DOUBLE") return "DOUBLE";
  const da = decimalParts(a);
  const db = decimalParts(b);
  if (da || db) {
    const pa = da ?? { width: INTEGER_WIDTH[a] ?? 18, scale: 0 };
    const pb = db ?? { width: INTEGER_WIDTH[b] ?? 18, scale: 0 };
    const scale = Math.max(pa.scale, pb.scale);
    return decimal(Math.max(pa.width - pa.scale, pb.width - pb.scale) + scale, scale);
  }
  return (INTEGER_RANK[a] ?? 0) >= (INTEGER_RANK[b] ?? 0) ? a : b;
}

/** The type both sides of a comparison, CASE branch or COALESCE argument are brought to, or null. */
export function commonType(a: SqlType, b: SqlType): SqlType | null {
  if (a === b) return a;
  if (a === NULL_TYPE) return b;
  if (b === NULL_TYPE) return a;
  if (isNumeric(a) && isNumeric(b)) return commonNumeric(a, b);
  if (isString(a) && isString(b)) return "VARCHAR";
  if (isTimestamp(a) && isTimestamp(b)) return "TIMESTAMP WITH TIME ZONE";
  if (isTemporal(a) && isTemporal(b)) return a === "DATE" ? b : a;
  return null;
}

/** Canonical name of a type written in SQL (CAST targets), or null when unsupported. */
export function typeFromName(name: string): SqlType | null {
  const upper = name.toUpperCase().trim();
  const dec = /^(?:DECIMAL|NUMERIC)\s*(?:\((\d+)\s*(?:,\s*(\d+))?\))?$/.exec(upper);
  if (dec) return decimal(Number(dec[1] ?? 18), Number(dec[2] ?? (dec[1] ? 0 : 3)));
  switch (upper) {
    case "VARCHAR":
    case "TEXT":
    case "STRING":
    case "CHAR":
    case "BPCHAR":
      return "VARCHAR";
    case "JSON":
      return "JSON";
    case "INT":
    case "INTEGER":
    case "INT4":
    case "SIGNED":
      return "INTEGER";
    case "BIGINT":
    case "INT8":
    case "LONG":
      return "BIGINT";
    case "HUGEINT":
      return "HUGEINT";
    case "DOUBLE":
    case "FLOAT8":
    case "DOUBLE PRECISION":
      return "DOUBLE";
    case "DATE":
      return "DATE";
    case "BOOLEAN":
    case "BOOL":
      return "BOOLEAN";
    case "TIMESTAMP":
    case "DATETIME":
    case "TIMESTAMP WITHOUT TIME ZONE":
      return "TIMESTAMP";
    case "TIMESTAMPTZ":
    case "TIMESTAMP WITH TIME ZONE":
      return "TIMESTAMP WITH TIME ZONE";
    case "INTERVAL":
      return "INTERVAL";
    default:
      return null;
  }
}
