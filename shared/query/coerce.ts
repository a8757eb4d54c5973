// Type coercion for binding: constant folding, casts that need no conversion, common types of operands.
import type { Bound, EvalContext, ScalarFn } from "./bound";
import { canCast, castFn } from "./cast";
import { invalidSql } from "./errors";
import {
  commonType,
  decimalParts,
  isDecimal,
  isInteger,
  isNumeric,
  isString,
  isTemporal,
  isTimestamp,
  NULL_TYPE,
  type SqlType,
} from "./types";
import { valueAt } from "./vector";

/** Apply a function, folding it to a constant when every argument is constant. */
export function apply(fn: ScalarFn, args: Bound[], type: SqlType, ctx: EvalContext): Bound {
  if (args.every((a) => a.kind === "const") && fn.name !== "now") {
    const vec = fn.impl(
      args.map((a) => ({ kind: "const", n: 1, value: (a as { value: unknown }).value })),
      1,
      ctx,
    );
    return { kind: "const", value: valueAt(vec, 0), type };
  }
  return { kind: "fn", fn, args, type };
}

/** Whether values of one type are already valid values of another (no conversion needed). */
function sameRepresentation(from: SqlType, to: SqlType): boolean {
  if (isNumeric(from) && isNumeric(to)) {
    if (to === "DOUBLE") return true;
    if (isInteger(to)) return isInteger(from);
    const target = decimalParts(to)?.scale ?? 0;
    return isInteger(from) || (isDecimal(from) && (decimalParts(from)?.scale ?? 0) <= target);
  }
  if (from === "JSON" && to === "VARCHAR") return true;
  if (isTimestamp(to)) return isTemporal(from);
  return false;
}

/** Cast a bound expression to a type (only a new type annotation when the values need no conversion). */
export function coerce(b: Bound, to: SqlType, ctx: EvalContext): Bound {
  if (b.type === to) return b;
  if (b.type === NULL_TYPE) return { kind: "const", value: null, type: to };
  if (!canCast(b.type, to)) throw invalidSql(`Cannot cast ${b.type} to ${to}`);
  if (sameRepresentation(b.type, to)) return { ...b, type: to };
  return apply(castFn(b.type, to), [b], to, ctx);
}

/** The type two operands are compared as: strings give way to the other side's type, as in DuckDB. */
export function comparisonType(a: SqlType, b: SqlType): SqlType {
  const common = commonType(a, b);
  if (common) return common;
  if (isString(a) && canCast(a, b)) return b;
  if (isString(b) && canCast(b, a)) return a;
  if ((a === "BOOLEAN" && isNumeric(b)) || (b === "BOOLEAN" && isNumeric(a))) return a === "BOOLEAN" ? b : a;
  throw invalidSql(`Cannot compare values of type ${a} and type ${b}; add an explicit CAST`);
}

/** The type CASE branches and COALESCE arguments share; only constant strings give way to other types. */
export function unionType(items: Bound[], what: string): SqlType {
  let type: SqlType = NULL_TYPE;
  for (const item of items) {
    if (item.kind === "const" && isString(item.type)) continue;
    const common = commonType(type, item.type);
    if (!common)
      throw invalidSql(`Cannot mix values of type ${type} and ${item.type} in ${what}; add an explicit CAST`);
    type = common;
  }
  if (type === NULL_TYPE && items.some((i) => isString(i.type))) return "VARCHAR";
  return type;
}

export function noMatch(name: string, args: Bound[]): never {
  throw invalidSql(`No function matches ${name}(${args.map((a) => a.type).join(", ")}); add explicit type casts`);
}
