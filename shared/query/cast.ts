// CAST between the dialect's types, with DuckDB's rounding and its errors for text that does not convert.
import type { Interval } from "./ast";
import type { ScalarFn } from "./bound";
import { QueryError } from "./errors";
import { formatValue } from "./format";
import { mapAny, mapNum } from "./kernels";
import { parseDate, parseInterval, parseTimestamp } from "./time";
import { decimalParts, isDecimal, isInteger, isNumeric, isString, isTemporal, physicalOf, type SqlType } from "./types";
import type { Vec } from "./vector";

const DAY_MS = 86_400_000;

/** Round half away from zero, as DuckDB does for DOUBLE → INTEGER and DECIMAL scales. */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

function conversionError(value: unknown, to: SqlType): QueryError {
  return new QueryError("INVALID_SQL", `Conversion Error: Could not convert string '${String(value)}' to ${to}`);
}

function parseNumber(s: string, to: SqlType): number {
  const t = s.trim();
  const lower = t.toLowerCase();
  if (to === "DOUBLE") {
    if (lower === "nan") return Number.NaN;
    if (lower === "inf" || lower === "infinity" || lower === "+inf" || lower === "+infinity")
      return Number.POSITIVE_INFINITY;
    if (lower === "-inf" || lower === "-infinity") return Number.NEGATIVE_INFINITY;
  }
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t)) throw conversionError(s, to);
  const x = Number(t);
  if (isInteger(to)) {
    if (!/^[-+]?\d+$/.test(t)) return roundHalfAway(x);
    return x;
  }
  if (isDecimal(to)) return roundTo(x, decimalParts(to)?.scale ?? 0);
  return x;
}

function roundTo(x: number, scale: number): number {
  const f = 10 ** scale;
  return roundHalfAway(x * f) / f;
}

function parseBoolean(s: string): number {
  const t = s.trim().toLowerCase();
  if (t === "true" || t === "t" || t === "1" || t === "yes" || t === "y" || t === "on") return 1;
  if (t === "false" || t === "f" || t === "0" || t === "no" || t === "n" || t === "off") return 0;
  throw conversionError(s, "BOOLEAN");
}

function validJson(s: string): string {
  try {
    JSON.parse(s);
  } catch {
    throw new QueryError("INVALID_SQL", `Conversion Error: Malformed JSON: '${s}'`);
  }
  return s;
}

/** Whether a cast from one type to another is supported. */
export function canCast(from: SqlType, to: SqlType): boolean {
  if (from === to || physicalOf(from) === "null") return true;
  if (isString(to)) return true;
  if (isString(from)) return true;
  if (isNumeric(from) || from === "BOOLEAN") return isNumeric(to) || to === "BOOLEAN";
  if (isTemporal(from)) return isTemporal(to);
  return false;
}

/** The cast function from one type to another (call only when canCast). */
export function castFn(from: SqlType, to: SqlType): ScalarFn {
  const name = `CAST AS ${to}`;
  const fn = (impl: (a: Vec, n: number) => Vec): ScalarFn => ({
    name,
    strict: true,
    impl: ([a], n) => impl(a as Vec, n),
  });
  if (from === to) return fn((a) => a);
  if (isString(to)) {
    if (isString(from)) return fn((a) => a);
    return fn((a, n) => mapAny([a], n, "str", (v) => formatValue(v, from)));
  }
  if (isString(from)) {
    if (to === "JSON") return fn((a, n) => mapAny([a], n, "str", (v) => validJson(v as string)));
    if (to === "BOOLEAN") return fn((a, n) => mapAny([a], n, "num", (v) => parseBoolean(v as string)));
    if (to === "TIMESTAMP" || to === "TIMESTAMP WITH TIME ZONE" || to === "DATE") {
      const parse = to === "DATE" ? parseDate : (s: string) => parseTimestamp(s, to !== "TIMESTAMP");
      return fn((a, n) =>
        mapAny([a], n, "num", (v) => {
          const ms = parse(v as string);
          if (ms === null) throw conversionError(v, to);
          return ms;
        }),
      );
    }
    if (to === "INTERVAL") {
      return fn((a, n) =>
        mapAny([a], n, "obj", (v): Interval => {
          const iv = parseInterval(v as string);
          if (!iv) throw conversionError(v, to);
          return iv;
        }),
      );
    }
    return fn((a, n) => mapAny([a], n, "num", (v) => parseNumber(v as string, to)));
  }
  if (to === "BOOLEAN") return fn((a) => mapNum(a, (x) => (x !== 0 ? 1 : 0)));
  if (isInteger(to)) {
    if (isInteger(from) || from === "BOOLEAN") return fn((a) => a);
    return fn((a) => mapNum(a, roundHalfAway));
  }
  if (isDecimal(to)) {
    const scale = decimalParts(to)?.scale ?? 0;
    return fn((a) => mapNum(a, (x) => roundTo(x, scale)));
  }
  if (to === "DATE") return fn((a) => mapNum(a, (x) => Math.floor(x / DAY_MS) * DAY_MS));
  return fn((a) => a);
}
