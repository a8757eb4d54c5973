// Binding window calls: which functions exist, their argument and result types, and their frames.
// A call is bound to a placeholder slot (WINDOW_SLOT + i), renumbered once the pre-window row is known.
import type { Expr } from "./ast";
import { bindExpr, type ExprBinder } from "./bind-expr";
import { type Bound, type OrderSpec, signature } from "./bound";
import { coerce, comparisonType } from "./coerce";
import { invalidSql, NameError } from "./errors";
import { decimal, decimalParts, isDecimal, isInteger, isNumeric, isTemporal, NULL_TYPE, type SqlType } from "./types";

/** One window function: its kind, arguments and specification, bound over the pre-window row. */
export interface WindowCall {
  name: string;
  args: Bound[];
  partitionBy: Bound[];
  orderBy: OrderSpec[];
  frame: { unit: "rows" | "range"; start: FrameEdge; end: FrameEdge } | null;
  type: SqlType;
  distinct: boolean;
  star: boolean;
}

export type FrameEdge =
  | { kind: "unbounded_preceding" | "current_row" | "unbounded_following" }
  | { kind: "preceding" | "following"; offset: unknown };

/** Placeholder slots of window calls start here (far above any real column slot). */
export const WINDOW_SLOT = 1 << 24;

const RANKING = new Set(["row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile"]);
const VALUE = new Set(["lag", "lead", "first_value", "last_value", "nth_value"]);
const AGGREGATE = new Set(["sum", "count", "avg", "mean", "min", "max"]);

function constantOf(b: Bound, what: string): unknown {
  if (b.kind !== "const") throw invalidSql(`${what} must be a constant`);
  return b.value;
}

function edge(e: { kind: string; offset?: Expr }, b: ExprBinder, unit: "rows" | "range"): FrameEdge {
  if (e.kind !== "preceding" && e.kind !== "following") return { kind: e.kind } as FrameEdge;
  const bound = bindExpr(e.offset as Expr, { ...b, aggs: null, windows: undefined, clause: "a window frame" });
  const offset = constantOf(bound, "A window frame offset");
  if (offset === null) throw invalidSql("A window frame offset cannot be NULL");
  if (unit === "rows" && (typeof offset !== "number" || !Number.isInteger(offset) || offset < 0))
    throw invalidSql("A ROWS frame offset must be a non-negative integer");
  if (typeof offset === "number" && offset < 0) throw invalidSql("A RANGE frame offset must not be negative");
  return { kind: e.kind, offset };
}

/** Bind one window call (arguments, PARTITION BY, ORDER BY, frame) with the clause's binder. */
export function bindWindowCall(e: Extract<Expr, { kind: "window" }>, b: ExprBinder): WindowCall {
  const name = e.name === "mean" ? "avg" : e.name;
  if (!RANKING.has(name) && !VALUE.has(name) && !AGGREGATE.has(name)) {
    throw new NameError(`Function "${e.name}" is not supported as a window function`, e.name);
  }
  if (e.distinct) throw invalidSql(`DISTINCT is not supported in window functions (${e.name})`);
  const inner: ExprBinder = { ...b, windows: undefined, clause: "window function arguments" };
  const args = e.args.map((a) => bindExpr(a, inner));
  const partitionBy = e.over.partitionBy.map((p) => bindExpr(p, { ...inner, clause: "PARTITION BY" }));
  const orderBy: OrderSpec[] = e.over.orderBy.map((o) => ({
    expr: bindExpr(o.expr, { ...inner, clause: "window ORDER BY" }),
    desc: o.desc,
    nullsFirst: o.nullsFirst ?? false,
  }));
  let type: SqlType = "BIGINT";
  const count = (lo: number, hi: number) => {
    if (args.length < lo || args.length > hi)
      throw invalidSql(`${name} takes ${lo === hi ? lo : `${lo} to ${hi}`} argument${hi === 1 ? "" : "s"}`);
  };
  switch (name) {
    case "row_number":
    case "rank":
    case "dense_rank":
    case "percent_rank":
    case "cume_dist":
      count(0, 0);
      type = name === "percent_rank" || name === "cume_dist" ? "DOUBLE" : "BIGINT";
      break;
    case "ntile": {
      count(1, 1);
      const k = constantOf(args[0] as Bound, "ntile's bucket count");
      if (typeof k !== "number" || !Number.isInteger(k) || k <= 0) throw invalidSql("ntile needs a positive integer");
      break;
    }
    case "lag":
    case "lead": {
      count(1, 3);
      const off = args[1] ? constantOf(args[1], `${name}'s offset`) : 1;
      if (off !== null && (typeof off !== "number" || !Number.isInteger(off)))
        throw invalidSql(`${name}'s offset must be an integer`);
      type = (args[0] as Bound).type;
      if (args[2]) {
        type = comparisonType(type, args[2].type);
        args[0] = coerce(args[0] as Bound, type, b.ctx);
        args[2] = coerce(args[2], type, b.ctx);
      }
      break;
    }
    case "first_value":
    case "last_value":
      count(1, 1);
      type = (args[0] as Bound).type;
      break;
    case "nth_value": {
      count(2, 2);
      const k = constantOf(args[1] as Bound, "nth_value's position");
      if (typeof k !== "number" || !Number.isInteger(k) || k <= 0)
        throw invalidSql("nth_value's position must be a positive integer");
      type = (args[0] as Bound).type;
      break;
    }
    case "count":
      if (!e.star) count(1, 1);
      break;
    case "sum":
    case "avg": {
      count(1, 1);
      const t = (args[0] as Bound).type;
      if (!isNumeric(t) && t !== NULL_TYPE)
        throw invalidSql(`No function matches ${name}(${t}); add explicit type casts`);
      if (name === "avg") type = "DOUBLE";
      else if (isInteger(t) || t === NULL_TYPE) type = "HUGEINT";
      else if (isDecimal(t)) type = decimal(38, decimalParts(t)?.scale ?? 0);
      else type = "DOUBLE";
      break;
    }
    case "min":
    case "max":
      count(1, 1);
      type = (args[0] as Bound).type;
      break;
  }
  if (type === NULL_TYPE) type = "INTEGER";
  let frame: WindowCall["frame"] = null;
  const f = e.over.frame;
  if (f && (AGGREGATE.has(name) || name === "first_value" || name === "last_value" || name === "nth_value")) {
    if (
      f.unit === "range" &&
      (f.start.kind === "preceding" ||
        f.start.kind === "following" ||
        f.end.kind === "preceding" ||
        f.end.kind === "following")
    ) {
      const key = orderBy[0];
      if (orderBy.length !== 1 || !key || !(isNumeric(key.expr.type) || isTemporal(key.expr.type)))
        throw invalidSql("A RANGE frame with an offset needs exactly one numeric or temporal ORDER BY key");
    }
    frame = { unit: f.unit, start: edge(f.start, b, f.unit), end: edge(f.end, b, f.unit) };
  }
  return { name, args, partitionBy, orderBy, frame, type, distinct: false, star: e.star };
}

/** A canonical text of a window call: equal texts compute equal values. */
export function windowSignature(c: WindowCall): string {
  const order = c.orderBy.map((o) => `${signature(o.expr)}:${o.desc}:${o.nullsFirst}`).join(",");
  return `${c.name}(${c.star ? "*" : c.args.map(signature).join(",")})|${c.partitionBy.map(signature).join(",")}|${order}|${JSON.stringify(c.frame)}`;
}

/** Whether an expression contains a window call. */
export function hasWindow(e: Expr): boolean {
  switch (e.kind) {
    case "window":
      return true;
    case "call":
      return e.args.some(hasWindow);
    case "unary":
    case "isNull":
    case "cast":
      return hasWindow(e.arg);
    case "binary":
      return hasWindow(e.left) || hasWindow(e.right);
    case "in":
      return hasWindow(e.arg) || e.list.some(hasWindow);
    case "between":
      return hasWindow(e.arg) || hasWindow(e.low) || hasWindow(e.high);
    case "like":
      return hasWindow(e.arg) || hasWindow(e.pattern);
    case "case":
      return (
        (e.operand ? hasWindow(e.operand) : false) ||
        e.whens.some((w) => hasWindow(w.when) || hasWindow(w.result)) ||
        (e.otherwise ? hasWindow(e.otherwise) : false)
      );
    default:
      return false;
  }
}
