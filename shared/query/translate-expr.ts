// From node-sql-parser's PostgreSQL expression nodes to the engine's expressions, refusing what the dialect lacks.
import type { BinaryOp, Expr } from "./ast";
import { invalidSql } from "./errors";
import { WINDOW_MARK_WIDTH } from "./sql-rewrite";
import { parseDate, parseInterval, parseTimestamp } from "./time";
import { translation } from "./translate-context";
import { decimal, NULL_TYPE, type SqlType, typeFromName } from "./types";

// biome-ignore lint/suspicious/noExplicitAny: node-sql-parser's AST is untyped JSON
export type P = any;

const BINARY: Record<string, BinaryOp> = {
  "+": "+",
  "-": "-",
  "*": "*",
  "/": "/",
  "%": "%",
  "=": "=",
  "==": "=",
  "!=": "<>",
  "<>": "<>",
  "<": "<",
  "<=": "<=",
  ">": ">",
  ">=": ">=",
  AND: "AND",
  OR: "OR",
  "||": "||",
  "->": "->",
  "->>": "->>",
};

export function identifier(node: P): string {
  if (typeof node === "string") return node;
  if (node && typeof node.value === "string") return node.value;
  if (node?.expr) return identifier(node.expr);
  throw invalidSql("Unsupported identifier");
}

/** A SQL number's type, following DuckDB: INTEGER, BIGINT, HUGEINT, DECIMAL(w,s) or DOUBLE. */
export function numberLiteral(text: string): Expr {
  const value = Number(text);
  if (/e/i.test(text)) return { kind: "literal", value, type: "DOUBLE" };
  if (text.includes(".")) {
    const [whole = "", frac = ""] = text.replace(/^[-+]/, "").split(".");
    const digits = whole.replace(/^0+/, "").length + frac.length;
    if (digits > 38) return { kind: "literal", value, type: "DOUBLE" };
    return { kind: "literal", value, type: decimal(Math.max(digits, 1), frac.length) };
  }
  const abs = Math.abs(value);
  const type: SqlType = abs <= 2147483647 ? "INTEGER" : abs < 2 ** 63 ? "BIGINT" : "HUGEINT";
  return { kind: "literal", value, type };
}

function stringValue(node: P): string {
  return String(node.value).replace(/''/g, "'");
}

function castTarget(target: P): SqlType {
  const t = Array.isArray(target) ? target[0] : target;
  const base = String(t?.dataType ?? "");
  const suffix = Array.isArray(t?.suffix) ? t.suffix.join(" ") : "";
  const params = base.toUpperCase() === "DECIMAL" || base.toUpperCase() === "NUMERIC";
  const name =
    params && t.length !== undefined
      ? `${base}(${t.length}${t.scale !== undefined ? `,${t.scale}` : ""})`
      : `${base} ${suffix}`;
  const type = typeFromName(name);
  if (!type) throw invalidSql(`Type "${`${base} ${suffix}`.trim()}" is not supported in CAST`);
  return type;
}

export function functionName(node: P): string {
  const parts = node.name?.name;
  if (Array.isArray(parts)) return parts.map((p: P) => identifier(p)).join(".");
  return identifier(node.name);
}

function args(node: P): P[] {
  const a = node.args;
  if (!a) return [];
  if (Array.isArray(a.value)) return a.value;
  if (Array.isArray(a)) return a;
  return [a];
}

function isSubquery(node: P): boolean {
  return Boolean(node && typeof node === "object" && node.ast);
}

/** A `::numeric(99,i)` cast is the mark sql-rewrite.ts leaves for window i after its function call. */
function windowMark(node: P): number | null {
  const t = Array.isArray(node.target) ? node.target[0] : node.target;
  if (String(t?.dataType ?? "").toUpperCase() !== "NUMERIC" || Number(t?.length) !== WINDOW_MARK_WIDTH) return null;
  return Number(t.scale);
}

function windowCall(node: P, index: number): Expr {
  const ctx = translation();
  const text = ctx.rewritten.windows[index];
  if (!text) throw invalidSql("Unsupported window");
  const fn = translateExpr(node.expr);
  if (fn.kind !== "call") throw invalidSql("OVER must follow a function call");
  return {
    kind: "window",
    name: fn.name,
    args: fn.args,
    distinct: fn.distinct,
    star: fn.star,
    over: ctx.window(text),
  };
}

export function translateExpr(node: P): Expr {
  if (isSubquery(node)) return { kind: "subquery", query: translation().select(node.ast) };
  if (node?.over) throw invalidSql("Window functions are not supported");
  switch (node?.type) {
    case "column_ref": {
      const table = node.table ? identifier(node.table) : null;
      if (node.column === "*") return { kind: "star", table };
      return { kind: "column", table, name: identifier(node.column) };
    }
    case "double_quote_string":
      return { kind: "column", table: null, name: String(node.value) };
    case "number":
    case "bigint":
      return numberLiteral(String(node.value));
    case "single_quote_string":
    case "string":
      return { kind: "literal", value: stringValue(node), type: "VARCHAR" };
    case "bool":
    case "boolean":
      return { kind: "literal", value: Boolean(node.value), type: "BOOLEAN" };
    case "null":
      return { kind: "literal", value: null, type: NULL_TYPE };
    case "timestamp":
    case "datetime": {
      const ms = parseTimestamp(String(node.value));
      if (ms === null) throw invalidSql(`Invalid TIMESTAMP literal '${node.value}'`);
      return { kind: "literal", value: ms, type: "TIMESTAMP" };
    }
    case "date": {
      const ms = parseDate(String(node.value));
      if (ms === null) throw invalidSql(`Invalid DATE literal '${node.value}'`);
      return { kind: "literal", value: ms, type: "DATE" };
    }
    case "interval": {
      const text = node.expr?.type === "number" ? String(node.expr.value) : stringValue(node.expr ?? {});
      const iv = parseInterval(text, node.unit ?? "");
      if (!iv) throw invalidSql(`Invalid INTERVAL '${text}${node.unit ? ` ${node.unit}` : ""}'`);
      return { kind: "literal", value: iv, type: "INTERVAL" };
    }
    case "unary_expr":
      return unary(node);
    case "binary_expr":
      return binary(node);
    case "case":
      return caseExpr(node);
    case "cast": {
      const mark = windowMark(node);
      if (mark !== null) return windowCall(node, mark);
      if (String(node.keyword).toLowerCase() !== "cast") throw invalidSql(`${node.keyword} is not supported`);
      return {
        kind: "cast",
        arg: translateExpr(node.expr),
        to: castTarget(node.target),
        syntax: node.symbol === "::" ? "::" : "cast",
      };
    }
    case "function":
      return call(node);
    case "aggr_func":
      return aggregate(node);
    case "extract":
      return {
        kind: "call",
        name: "date_part",
        args: [{ kind: "literal", value: String(node.args.field), type: "VARCHAR" }, translateExpr(node.args.source)],
        distinct: false,
        star: false,
      };
    case "expr_list":
      if (Array.isArray(node.value) && node.value.length === 1) return translateExpr(node.value[0]);
      throw invalidSql("Row values and lists are not supported");
    case "window_func":
      throw invalidSql("Window functions are not supported");
    default:
      throw invalidSql(`Unsupported expression${node?.type ? ` (${node.type})` : ""}`);
  }
}

function unary(node: P): Expr {
  const op = String(node.operator).toUpperCase();
  if (op === "NOT EXISTS" || op === "EXISTS") {
    const inner = node.expr;
    const sub = isSubquery(inner)
      ? inner
      : Array.isArray(inner?.value) && isSubquery(inner.value[0])
        ? inner.value[0]
        : null;
    if (!sub) throw invalidSql(`${op} needs a subquery`);
    return { kind: "exists", query: translation().select(sub.ast), negated: op === "NOT EXISTS" };
  }
  const arg = translateExpr(node.expr);
  if (op === "+") return arg;
  if (op === "-") {
    if (arg.kind === "literal" && typeof arg.value === "number") return { ...arg, value: -arg.value };
    return { kind: "unary", op: "-", arg };
  }
  if (op === "NOT" || op === "!") {
    if (arg.kind === "exists" || arg.kind === "inSubquery") return { ...arg, negated: !arg.negated };
    return { kind: "unary", op: "NOT", arg };
  }
  throw invalidSql(`Operator "${node.operator}" is not supported`);
}

/**
 * The parser's PostgreSQL grammar gets AND/OR precedence wrong (`a OR b AND c` comes back as
 * `(a OR b) AND c`), so rebuild every unparenthesized AND/OR chain from its operands in order.
 */
function booleanChain(node: P): Expr {
  const operands: P[] = [];
  const ops: string[] = [];
  const walk = (n: P, top: boolean) => {
    const op = n?.type === "binary_expr" ? String(n.operator).toUpperCase() : "";
    if ((op === "AND" || op === "OR") && (top || !n.parentheses)) {
      walk(n.left, false);
      ops.push(op);
      walk(n.right, false);
    } else operands.push(n);
  };
  walk(node, true);
  const terms: Expr[][] = [[translateExpr(operands[0])]];
  ops.forEach((op, i) => {
    const e = translateExpr(operands[i + 1]);
    if (op === "AND") (terms[terms.length - 1] as Expr[]).push(e);
    else terms.push([e]);
  });
  const and = (t: Expr[]) => t.reduce((left, right): Expr => ({ kind: "binary", op: "AND", left, right }));
  return terms.map(and).reduce((left, right): Expr => ({ kind: "binary", op: "OR", left, right }));
}

function binary(node: P): Expr {
  const op = String(node.operator).toUpperCase();
  if (op === "AND" || op === "OR") return booleanChain(node);
  const left = () => translateExpr(node.left);
  const list = (): Expr[] => {
    const r = node.right;
    return (Array.isArray(r?.value) ? r.value : [r]).map(translateExpr);
  };
  switch (op) {
    case "IN":
    case "NOT IN": {
      const r = node.right;
      const sub = isSubquery(r)
        ? r
        : Array.isArray(r?.value) && r.value.length === 1 && isSubquery(r.value[0])
          ? r.value[0]
          : null;
      if (sub)
        return { kind: "inSubquery", arg: left(), query: translation().select(sub.ast), negated: op === "NOT IN" };
      if (Array.isArray(r?.value) && r.value.some(isSubquery))
        throw invalidSql("IN takes either one subquery or a list of values");
      return { kind: "in", arg: left(), list: list(), negated: op === "NOT IN" };
    }
    case "BETWEEN":
    case "NOT BETWEEN": {
      const [low, high] = list();
      if (!low || !high) throw invalidSql("BETWEEN needs two bounds");
      return { kind: "between", arg: left(), low, high, negated: op === "NOT BETWEEN" };
    }
    case "IS":
    case "IS NOT": {
      const negated = op === "IS NOT";
      if (node.right?.type === "null") return { kind: "isNull", arg: left(), negated };
      if (node.right?.type === "bool" || node.right?.type === "boolean") {
        // x IS TRUE: never NULL, so spell it as coalesce(x = true, false)
        const eq: Expr = { kind: "binary", op: "=", left: left(), right: translateExpr(node.right) };
        const isTrue: Expr = {
          kind: "call",
          name: "coalesce",
          args: [eq, { kind: "literal", value: false, type: "BOOLEAN" }],
          distinct: false,
          star: false,
        };
        return negated ? { kind: "unary", op: "NOT", arg: isTrue } : isTrue;
      }
      throw invalidSql(`${op} is only supported with NULL, TRUE or FALSE`);
    }
    case "LIKE":
    case "NOT LIKE":
    case "ILIKE":
    case "NOT ILIKE": {
      const escapeChar = node.right?.escape?.value ? stringValue(node.right.escape.value) : null;
      const pattern = translateExpr({ ...node.right, escape: undefined });
      return {
        kind: "like",
        arg: left(),
        pattern,
        caseInsensitive: op.includes("ILIKE"),
        negated: op.startsWith("NOT"),
        escape: escapeChar,
      };
    }
    case "/":
      if (node.right?.type === "unary_expr" && node.right.operator === "~") {
        return { kind: "binary", op: "//", left: left(), right: translateExpr(node.right.expr) };
      }
      return { kind: "binary", op: "/", left: left(), right: translateExpr(node.right) };
    default: {
      const mapped = BINARY[op];
      if (!mapped) throw invalidSql(`Operator "${node.operator}" is not supported`);
      return { kind: "binary", op: mapped, left: left(), right: translateExpr(node.right) };
    }
  }
}

function caseExpr(node: P): Expr {
  const whens: { when: Expr; result: Expr }[] = [];
  let otherwise: Expr | null = null;
  for (const arm of node.args ?? []) {
    if (arm.type === "when") whens.push({ when: translateExpr(arm.cond), result: translateExpr(arm.result) });
    else otherwise = translateExpr(arm.result);
  }
  return { kind: "case", operand: node.expr ? translateExpr(node.expr) : null, whens, otherwise };
}

function call(node: P): Expr {
  const name = functionName(node).toLowerCase();
  if (name === "not") {
    const [arg] = args(node);
    return { kind: "unary", op: "NOT", arg: translateExpr(arg) };
  }
  if (name === "current_timestamp" || name === "get_current_timestamp") {
    return { kind: "call", name: "now", args: [], distinct: false, star: false };
  }
  if (name === "exists") {
    const [sub] = args(node);
    if (!isSubquery(sub)) throw invalidSql("EXISTS needs a subquery");
    return { kind: "exists", query: translation().select(sub.ast), negated: false };
  }
  if (name === "current_date") return { kind: "call", name: "current_date", args: [], distinct: false, star: false };
  return { kind: "call", name, args: args(node).map(translateExpr), distinct: false, star: false };
}

function aggregate(node: P): Expr {
  if (node.filter) throw invalidSql("Aggregate FILTER clauses are not supported");
  const name = String(node.name).toLowerCase();
  const a = node.args ?? {};
  if (a.orderby) throw invalidSql("ORDER BY inside aggregates is not supported");
  const distinct = String(a.distinct ?? "").toUpperCase() === "DISTINCT";
  if (a.expr?.type === "star") return { kind: "call", name, args: [], distinct, star: true };
  const list = a.expr ? [a.expr] : Array.isArray(a.value) ? a.value : [];
  // string_agg(x, sep): the parser keeps the separator apart.
  if (a.separator?.delimiter) list.push(a.separator.delimiter);
  return { kind: "call", name, args: list.map(translateExpr), distinct, star: false };
}
