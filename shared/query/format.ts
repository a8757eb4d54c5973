// Values as DuckDB writes them in text: DOUBLE in Python-repr style, DECIMAL with its scale, times, booleans.
import type { Interval } from "./ast";
import { formatDate, formatInterval, formatTimestamp } from "./time";
import { decimalParts, isDecimal, isTimestamp, type SqlType } from "./types";

/** DuckDB's DOUBLE to VARCHAR: shortest digits, exponent form below 1e-4 and from 1e16. */
export function formatDouble(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (Object.is(x, -0)) return "-0.0";
  if (x === 0) return "0.0";
  const [mantissa = "", exp = "0"] = x.toExponential().split("e");
  const e = Number(exp);
  if (e < -4 || e >= 16) return `${mantissa}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  const s = x.toFixed(Math.max(0, mantissa.replace(/^-?\d\.?/, "").length - e));
  return s.includes(".") ? s : `${s}.0`;
}

/** The VARCHAR form of a non-null physical value of a type. */
export function formatValue(value: unknown, type: SqlType): string {
  if (typeof value === "string") return value;
  if (type === "BOOLEAN") return value ? "true" : "false";
  if (isTimestamp(type)) return formatTimestamp(value as number);
  if (type === "DATE") return formatDate(value as number);
  if (type === "INTERVAL") return formatInterval(value as Interval);
  if (type === "DOUBLE") return formatDouble(value as number);
  if (isDecimal(type)) return (value as number).toFixed(decimalParts(type)?.scale ?? 0);
  if (typeof value === "bigint") return value.toString();
  return Number.isInteger(value) ? (value as number).toFixed(0) : String(value);
}
