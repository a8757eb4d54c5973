// Operators for binding: comparisons, AND/OR/NOT, IS NULL, IN, COALESCE, LIKE, arithmetic and JSON arrows.
import type { BinaryOp } from "./ast";
import type { Bound, EvalContext } from "./bound";
import { apply, coerce, comparisonType, noMatch, unionType } from "./coerce";
import { invalidSql } from "./errors";
import { jsonExtractFn, jsonExtractStringFn } from "./fn-json";
import { concatOpFn, likeFn } from "./fn-string";
import * as arith from "./ops-arith";
import { andFn, type CompareOp, coalesceFn, compareFn, inFn, isNullFn, notFn, orFn } from "./ops-logic";
import {
  commonNumeric,
  commonType,
  decimal,
  decimalParts,
  isInteger,
  isNumeric,
  isString,
  isTemporal,
  NULL_TYPE,
  storageOf,
} from "./types";

export function compare(op: CompareOp, left: Bound, right: Bound, ctx: EvalContext): Bound {
  const t = comparisonType(left.type, right.type);
  const l = coerce(left, t, ctx);
  const r = coerce(right, t, ctx);
  if (t === "INTERVAL")
    return apply(compareFn(op, "num"), [intervalLength(l, ctx), intervalLength(r, ctx)], "BOOLEAN", ctx);
  return apply(compareFn(op, storageOf(t)), [l, r], "BOOLEAN", ctx);
}

/**
 * Intervals compare by their length (months as 30 days), so comparisons run on lengths as numbers:
 * `ts - lag(ts) > INTERVAL 30 MINUTE` subtracts timestamps instead of building an interval per row.
 */
function intervalLength(b: Bound, ctx: EvalContext): Bound {
  if (b.kind === "fn" && b.fn === arith.timeMinusTime) return apply(arith.timeDiffLengthFn, b.args, "DOUBLE", ctx);
  return apply(arith.intervalLengthFn, [b], "DOUBLE", ctx);
}

function requireBoolean(b: Bound, what: string, ctx: EvalContext): Bound {
  if (b.type === "BOOLEAN") return b;
  if (b.type === NULL_TYPE) return coerce(b, "BOOLEAN", ctx);
  if (isString(b.type) && b.kind === "const") return coerce(b, "BOOLEAN", ctx);
  throw invalidSql(`${what} requires a BOOLEAN, got ${b.type}`);
}

export function logical(op: "AND" | "OR", args: Bound[], ctx: EvalContext): Bound {
  const flat: Bound[] = [];
  const fn = op === "AND" ? andFn : orFn;
  for (const a of args) {
    const b = requireBoolean(a, op, ctx);
    if (b.kind === "fn" && b.fn === fn) flat.push(...b.args);
    else flat.push(b);
  }
  return apply(fn, flat, "BOOLEAN", ctx);
}

export function not(arg: Bound, ctx: EvalContext): Bound {
  return apply(notFn, [requireBoolean(arg, "NOT", ctx)], "BOOLEAN", ctx);
}

export function isNull(arg: Bound, negated: boolean, ctx: EvalContext): Bound {
  return apply(isNullFn(negated), [arg], "BOOLEAN", ctx);
}

export function inList(arg: Bound, list: Bound[], negated: boolean, ctx: EvalContext): Bound {
  let t = arg.type;
  for (const item of list) t = comparisonType(t, item.type);
  const args = [arg, ...list].map((b) => coerce(b, t, ctx));
  return apply(inFn(negated, storageOf(t)), args, "BOOLEAN", ctx);
}

export function coalesce(args: Bound[], ctx: EvalContext): Bound {
  if (args.length === 0) throw invalidSql("COALESCE needs at least one argument");
  const t = unionType(args, "COALESCE");
  return apply(
    coalesceFn(storageOf(t)),
    args.map((a) => coerce(a, t, ctx)),
    t,
    ctx,
  );
}

export function like(
  arg: Bound,
  pattern: Bound,
  ci: boolean,
  negated: boolean,
  escapeChar: string | null,
  ctx: EvalContext,
): Bound {
  for (const b of [arg, pattern]) {
    if (!isString(b.type) && b.type !== NULL_TYPE)
      throw invalidSql(`${ci ? "ILIKE" : "LIKE"} requires VARCHAR operands, got ${b.type}`);
  }
  return apply(
    likeFn(ci, negated, escapeChar),
    [coerce(arg, "VARCHAR", ctx), coerce(pattern, "VARCHAR", ctx)],
    "BOOLEAN",
    ctx,
  );
}

/** Arithmetic and the other binary operators (comparisons and AND/OR are resolved separately). */
export function binary(op: BinaryOp, left: Bound, right: Bound, ctx: EvalContext): Bound {
  const l = left.type;
  const r = right.type;
  const num = (isNumeric(l) || l === NULL_TYPE) && (isNumeric(r) || r === NULL_TYPE);
  switch (op) {
    case "=":
    case "<>":
    case "<":
    case "<=":
    case ">":
    case ">=":
      return compare(op, left, right, ctx);
    case "AND":
    case "OR":
      return logical(op, [left, right], ctx);
    case "||":
      return apply(concatOpFn, [coerce(left, "VARCHAR", ctx), coerce(right, "VARCHAR", ctx)], "VARCHAR", ctx);
    case "->":
    case "->>":
      return jsonCall(op === "->" ? "json_extract" : "json_extract_string", [left, right], ctx);
    case "+":
    case "-": {
      const sign = op === "+" ? 1 : -1;
      if (num) {
        const t = commonNumeric(l, r);
        return apply(op === "+" ? arith.addFn : arith.subFn, [left, right], t === NULL_TYPE ? "INTEGER" : t, ctx);
      }
      if (isTemporal(l) && r === "INTERVAL")
        return apply(arith.timePlusInterval(sign), [left, right], l === "DATE" ? "TIMESTAMP" : l, ctx);
      if (op === "+" && l === "INTERVAL" && isTemporal(r))
        return apply(arith.intervalPlusTime, [left, right], r === "DATE" ? "TIMESTAMP" : r, ctx);
      if (l === "INTERVAL" && r === "INTERVAL") return apply(arith.intervalArith(sign), [left, right], "INTERVAL", ctx);
      if (l === "DATE" && isInteger(r)) return apply(arith.datePlusDays(sign), [left, right], "DATE", ctx);
      if (op === "+" && isInteger(l) && r === "DATE") return apply(arith.datePlusDays(1), [right, left], "DATE", ctx);
      if (op === "-" && l === "DATE" && r === "DATE") return apply(arith.dateMinusDate, [left, right], "BIGINT", ctx);
      if (op === "-" && isTemporal(l) && isTemporal(r)) {
        return apply(
          arith.timeMinusTime,
          [coerce(left, commonType(l, r) ?? l, ctx), coerce(right, commonType(l, r) ?? r, ctx)],
          "INTERVAL",
          ctx,
        );
      }
      return noMatch(op, [left, right]);
    }
    case "*": {
      if (!num) return noMatch(op, [left, right]);
      const dl = decimalParts(l);
      const dr = decimalParts(r);
      const t =
        (dl || dr) && l !== "DOUBLE" && r !== "DOUBLE"
          ? decimal((dl?.width ?? 10) + (dr?.width ?? 10), (dl?.scale ?? 0) + (dr?.scale ?? 0))
          : commonNumeric(l, r);
      return apply(arith.mulFn, [left, right], t === NULL_TYPE ? "INTEGER" : t, ctx);
    }
    case "/":
      if (!num) return noMatch(op, [left, right]);
      return apply(arith.divFn, [left, right], "DOUBLE", ctx);
    case "//": {
      if (!num) return noMatch(op, [left, right]);
      const t = commonNumeric(l, r);
      if (isInteger(t) || t === NULL_TYPE)
        return apply(arith.intDivFn, [left, right], t === NULL_TYPE ? "INTEGER" : t, ctx);
      return apply(arith.divFn, [left, right], "DOUBLE", ctx);
    }
    case "%": {
      if (!num) return noMatch(op, [left, right]);
      const t = commonNumeric(l, r);
      return apply(arith.modFn, [left, right], t === NULL_TYPE ? "INTEGER" : t, ctx);
    }
  }
}

export function negate(arg: Bound, ctx: EvalContext): Bound {
  if (isNumeric(arg.type) || arg.type === NULL_TYPE)
    return apply(arith.negFn, [arg], arg.type === NULL_TYPE ? "INTEGER" : arg.type, ctx);
  if (arg.type === "INTERVAL") return apply(arith.negIntervalFn, [arg], "INTERVAL", ctx);
  return noMatch("-", [arg]);
}

export function jsonCall(name: string, args: Bound[], ctx: EvalContext): Bound {
  const [doc, path] = args;
  if (!doc || !path || args.length !== 2) throw invalidSql(`${name} takes a JSON value and a path`);
  if (!isString(doc.type) && doc.type !== NULL_TYPE) noMatch(name, args);
  if (!isString(path.type) && !isInteger(path.type) && path.type !== NULL_TYPE) noMatch(name, args);
  const fn = name === "json_extract" ? jsonExtractFn : jsonExtractStringFn;
  return apply(fn, [doc, path], name === "json_extract" ? "JSON" : "VARCHAR", ctx);
}
