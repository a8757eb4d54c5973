// Binding expressions: resolve column names in a scope, type-check, and collect aggregate calls.
import type { AggKind, AggSpec } from "./agg-state";
import type { Expr } from "./ast";
import { type Bound, type EvalContext, signature } from "./bound";
import { coerce, unionType } from "./coerce";
import { invalidSql, NameError } from "./errors";
import { callFunction } from "./functions";
import * as F from "./operators";
import { decimal, decimalParts, isDecimal, isInteger, isNumeric, isTemporal, NULL_TYPE, type SqlType } from "./types";

export interface ColumnInfo {
  name: string;
  type: SqlType;
}

export interface Scope {
  columns: ColumnInfo[];
  /** Names that may qualify a column (table name or alias), lower case. */
  qualifiers: string[];
  /** Per column, the qualifiers it belongs to (a join's scope); absent: every column to every qualifier. */
  owners?: string[][];
  /** Per column, 1 when an unqualified name must not find it (the other side of a USING column). */
  hidden?: Uint8Array;
  /** The order SELECT * lists columns in (USING columns once), when not simply 0…n-1. */
  starOrder?: number[];
}

export interface ExprBinder {
  scope: Scope;
  ctx: EvalContext;
  /** Where aggregates go when allowed; null where they are not (WHERE, GROUP BY). */
  aggs: AggSpec[] | null;
  /** The clause being bound, for error messages. */
  clause: string;
  /** Fallback for names that are no column: SELECT aliases (DuckDB allows them in WHERE and GROUP BY). */
  alias?: (name: string) => Bound | null;
  /** Binds a window call to a placeholder slot, where window functions are allowed. */
  windows?: (e: Extract<Expr, { kind: "window" }>, b: ExprBinder) => Bound;
  /** Binds a subquery in an expression (its answer is computed before the query runs). */
  subqueries?: (e: Extract<Expr, { kind: "subquery" | "exists" | "inSubquery" }>, b: ExprBinder) => Bound;
}

const AGGREGATES = new Set([
  "count",
  "sum",
  "avg",
  "mean",
  "min",
  "max",
  "approx_count_distinct",
  "median",
  "quantile_cont",
  "quantile",
  "stddev_samp",
  "stddev",
  "stddev_pop",
  "var_samp",
  "variance",
  "var_pop",
  "corr",
  "string_agg",
  "mode",
  "approx_quantile",
]);

export function isAggregateName(name: string): boolean {
  return AGGREGATES.has(name);
}

/** An aggregate's placeholder: a negative slot, mapped to the post-aggregation batch later. */
export function aggRef(index: number, type: SqlType): Bound {
  return { kind: "col", slot: -1 - index, type };
}

export function resolveColumn(scope: Scope, name: string, table: string | null): number | null {
  if (table !== null && !scope.qualifiers.includes(table.toLowerCase())) {
    throw new NameError(`Referenced table "${table}" not found in FROM clause`, table);
  }
  const lower = name.toLowerCase();
  const qualifier = table?.toLowerCase() ?? null;
  let found: number | null = null;
  for (let i = 0; i < scope.columns.length; i++) {
    if ((scope.columns[i] as ColumnInfo).name.toLowerCase() !== lower) continue;
    if (qualifier !== null ? scope.owners && !scope.owners[i]?.includes(qualifier) : scope.hidden?.[i] === 1) continue;
    if (found !== null) {
      const owners = [found, i].map((k) => scope.owners?.[k]?.[0]).filter(Boolean);
      throw invalidSql(
        `Ambiguous reference to column name "${name}"${owners.length === 2 ? ` (use: "${owners[0]}.${name}" or "${owners[1]}.${name}")` : ""}`,
      );
    }
    found = i;
  }
  return found;
}

function bindAggregate(e: Extract<Expr, { kind: "call" }>, b: ExprBinder): Bound {
  if (!b.aggs) throw invalidSql(`Aggregate functions are not allowed in ${b.clause}`);
  const inner: ExprBinder = { ...b, aggs: null, clause: "aggregate function arguments" };
  const name = e.name === "mean" ? "avg" : e.name === "quantile" ? "quantile_cont" : e.name;
  if (e.distinct && name !== "count")
    throw invalidSql(`DISTINCT is only supported in count(DISTINCT …), not in ${name}`);
  let kind: AggKind;
  let arg: Bound | null = null;
  let fraction = 0.5;
  let arg2: Bound | null = null;
  let separator: string | undefined;
  let type: SqlType = "BIGINT";
  const one = () => {
    if (e.args.length !== 1 || e.star) throw invalidSql(`${name} takes one argument`);
    try {
      return bindExpr(e.args[0] as Expr, inner);
    } catch (error) {
      if ((error as Error).message.startsWith("Aggregate functions are not allowed"))
        throw invalidSql("Aggregate function calls cannot be nested");
      throw error;
    }
  };
  switch (name) {
    case "count":
      if (e.star || e.args.length === 0) kind = "count_star";
      else {
        kind = "count";
        arg = one();
      }
      break;
    case "sum":
    case "avg": {
      kind = name;
      arg = one();
      if (!isNumeric(arg.type) && arg.type !== NULL_TYPE)
        throw invalidSql(`No function matches ${name}(${arg.type}); add explicit type casts`);
      if (name === "avg") type = "DOUBLE";
      else if (isInteger(arg.type) || arg.type === NULL_TYPE) type = "HUGEINT";
      else if (isDecimal(arg.type)) type = decimal(38, decimalParts(arg.type)?.scale ?? 0);
      else type = "DOUBLE";
      break;
    }
    case "min":
    case "max":
      kind = name;
      arg = one();
      type = arg.type;
      break;
    case "approx_count_distinct":
      kind = name;
      arg = one();
      break;
    case "median":
    case "quantile_cont": {
      kind = "quantile";
      if (name === "quantile_cont") {
        if (e.args.length !== 2) throw invalidSql("quantile_cont takes a value and a constant fraction");
        const q = bindExpr(e.args[1] as Expr, inner);
        if (q.kind !== "const" || typeof q.value !== "number" || q.value < 0 || q.value > 1) {
          throw invalidSql("quantile_cont's fraction must be a constant between 0 and 1");
        }
        fraction = q.value;
        arg = bindExpr(e.args[0] as Expr, inner);
      } else arg = one();
      if (isNumeric(arg.type)) type = "DOUBLE";
      else if (isTemporal(arg.type)) type = arg.type === "DATE" ? "TIMESTAMP" : arg.type;
      else throw invalidSql(`No function matches ${name}(${arg.type}); add explicit type casts`);
      break;
    }
    case "stddev_samp":
    case "stddev":
    case "stddev_pop":
    case "var_samp":
    case "variance":
    case "var_pop": {
      kind = name === "stddev" ? "stddev_samp" : name === "variance" ? "var_samp" : name;
      arg = one();
      if (!isNumeric(arg.type) && arg.type !== NULL_TYPE)
        throw invalidSql(`No function matches ${name}(${arg.type}); add explicit type casts`);
      type = "DOUBLE";
      break;
    }
    case "corr": {
      kind = "corr";
      if (e.args.length !== 2) throw invalidSql("corr takes two arguments: corr(y, x)");
      arg = bindExpr(e.args[0] as Expr, inner);
      arg2 = bindExpr(e.args[1] as Expr, inner);
      for (const a of [arg, arg2])
        if (!isNumeric(a.type) && a.type !== NULL_TYPE)
          throw invalidSql(`No function matches corr(${arg.type}, ${arg2.type}); add explicit type casts`);
      type = "DOUBLE";
      break;
    }
    case "string_agg": {
      kind = "string_agg";
      if (e.args.length < 1 || e.args.length > 2)
        throw invalidSql("string_agg takes a value and an optional separator");
      arg = coerce(bindExpr(e.args[0] as Expr, inner), "VARCHAR", b.ctx);
      const sep = e.args[1] ? bindExpr(e.args[1] as Expr, inner) : null;
      if (sep && (sep.kind !== "const" || (sep.value !== null && typeof sep.value !== "string")))
        throw invalidSql("string_agg's separator must be a constant string");
      separator = sep ? String(sep.value ?? "") : ",";
      type = "VARCHAR";
      break;
    }
    case "mode":
      kind = "mode";
      arg = one();
      type = arg.type;
      break;
    case "approx_quantile": {
      kind = "approx_quantile";
      if (e.args.length !== 2) throw invalidSql("approx_quantile takes a value and a constant fraction");
      const q = bindExpr(e.args[1] as Expr, inner);
      if (q.kind !== "const" || typeof q.value !== "number" || q.value < 0 || q.value > 1)
        throw invalidSql("approx_quantile's fraction must be a constant between 0 and 1");
      fraction = q.value;
      arg = bindExpr(e.args[0] as Expr, inner);
      if (!isNumeric(arg.type) && !isTemporal(arg.type))
        throw invalidSql(`No function matches approx_quantile(${arg.type}); add explicit type casts`);
      type = arg.type;
      break;
    }
    default:
      throw new NameError(`Function "${e.name}" does not exist`, e.name);
  }
  const spec: AggSpec = { kind, distinct: e.distinct, arg, fraction, type, arg2, separator };
  const sig = (a: AggSpec) =>
    `${a.kind}:${a.distinct}:${a.fraction}:${a.arg ? signature(a.arg) : "*"}:${a.arg2 ? signature(a.arg2) : ""}:${a.separator ?? ""}`;
  const key = sig(spec);
  const existing = b.aggs.findIndex((a) => sig(a) === key);
  if (existing >= 0) return aggRef(existing, type);
  b.aggs.push(spec);
  return aggRef(b.aggs.length - 1, type);
}

function bindCase(e: Extract<Expr, { kind: "case" }>, b: ExprBinder): Bound {
  const operand = e.operand ? bindExpr(e.operand, b) : null;
  const whens = e.whens.map((w) => {
    const when = bindExpr(w.when, b);
    const cond = operand ? F.compare("=", operand, when, b.ctx) : when;
    if (cond.type !== "BOOLEAN" && cond.type !== NULL_TYPE)
      throw invalidSql(`CASE WHEN needs a BOOLEAN condition, got ${cond.type}`);
    return { when: cond, result: bindExpr(w.result, b) };
  });
  const otherwise: Bound = e.otherwise ? bindExpr(e.otherwise, b) : { kind: "const", value: null, type: NULL_TYPE };
  const type = unionType([...whens.map((w) => w.result), otherwise], "CASE");
  const arms = whens
    .map((w) => ({ when: w.when, result: coerce(w.result, type, b.ctx) }))
    .filter((w) => !(w.when.kind === "const" && w.when.value !== 1));
  const rest = coerce(otherwise, type, b.ctx);
  const first = arms[0];
  if (!first) return rest;
  if (first.when.kind === "const") return first.result;
  return { kind: "case", whens: arms, otherwise: rest, type };
}

export function bindExpr(e: Expr, b: ExprBinder): Bound {
  const ctx = b.ctx;
  switch (e.kind) {
    case "column": {
      const slot = e.slot ?? resolveColumn(b.scope, e.name, e.table);
      if (slot !== null) return { kind: "col", slot, type: (b.scope.columns[slot] as ColumnInfo).type };
      const aliased = e.table === null ? b.alias?.(e.name) : null;
      if (aliased) return aliased;
      throw new NameError(`Referenced column "${e.name}" not found in FROM clause`, e.name);
    }
    case "star":
      throw invalidSql("* is only allowed in the SELECT list and in count(*)");
    case "literal":
      return { kind: "const", value: typeof e.value === "boolean" ? (e.value ? 1 : 0) : e.value, type: e.type };
    case "unary": {
      const arg = bindExpr(e.arg, b);
      return e.op === "NOT" ? F.not(arg, ctx) : F.negate(arg, ctx);
    }
    case "binary": {
      const left = bindExpr(e.left, b);
      const right = bindExpr(e.right, b);
      return F.binary(e.op, left, right, ctx);
    }
    case "isNull":
      return F.isNull(bindExpr(e.arg, b), e.negated, ctx);
    case "in":
      return F.inList(
        bindExpr(e.arg, b),
        e.list.map((x) => bindExpr(x, b)),
        e.negated,
        ctx,
      );
    case "between": {
      const arg = bindExpr(e.arg, b);
      const low = bindExpr(e.low, b);
      const high = bindExpr(e.high, b);
      const both = F.logical("AND", [F.compare(">=", arg, low, ctx), F.compare("<=", arg, high, ctx)], ctx);
      return e.negated ? F.not(both, ctx) : both;
    }
    case "like":
      return F.like(bindExpr(e.arg, b), bindExpr(e.pattern, b), e.caseInsensitive, e.negated, e.escape, ctx);
    case "case":
      return bindCase(e, b);
    case "cast": {
      const arg = bindExpr(e.arg, b);
      return coerce(arg, e.to, ctx);
    }
    case "call": {
      if (isAggregateName(e.name)) return bindAggregate(e, b);
      if (e.distinct || e.star) throw invalidSql(`${e.name}(${e.star ? "*" : "DISTINCT …"}) is not supported`);
      return callFunction(
        e.name,
        e.args.map((x) => bindExpr(x, b)),
        ctx,
      );
    }
    case "window":
      if (!b.windows) throw invalidSql(`Window functions are not allowed in ${b.clause}`);
      return b.windows(e, b);
    case "subquery":
    case "exists":
    case "inSubquery":
      if (!b.subqueries) throw invalidSql(`Subqueries are not allowed in ${b.clause}`);
      return b.subqueries(e, b);
  }
}

/** Whether an AST contains an aggregate call. */
export function hasAggregate(e: Expr): boolean {
  switch (e.kind) {
    case "call":
      return isAggregateName(e.name) || e.args.some(hasAggregate);
    case "window":
      return (
        e.args.some(hasAggregate) ||
        e.over.partitionBy.some(hasAggregate) ||
        e.over.orderBy.some((o) => hasAggregate(o.expr))
      );
    case "unary":
    case "isNull":
    case "cast":
      return hasAggregate(e.arg);
    case "binary":
      return hasAggregate(e.left) || hasAggregate(e.right);
    case "in":
      return hasAggregate(e.arg) || e.list.some(hasAggregate);
    case "between":
      return hasAggregate(e.arg) || hasAggregate(e.low) || hasAggregate(e.high);
    case "like":
      return hasAggregate(e.arg) || hasAggregate(e.pattern);
    case "case":
      return (
        (e.operand ? hasAggregate(e.operand) : false) ||
        e.whens.some((w) => hasAggregate(w.when) || hasAggregate(w.result)) ||
        (e.otherwise ? hasAggregate(e.otherwise) : false)
      );
    default:
      return false;
  }
}
