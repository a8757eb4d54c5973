// Result column names for unaliased expressions, after DuckDB's own spelling where it is simple.
import type { Expr, LiteralValue } from "./ast";
import { formatInterval, formatTimestamp } from "./time";

const LIKE_OPS: Record<string, string> = { LIKE: "~~", ILIKE: "~~*", "NOT LIKE": "!~~", "NOT ILIKE": "!~~*" };
const QUOTED_TYPES = new Set(["DOUBLE", "DATE"]);

function literal(value: LiteralValue, type: string): string {
  if (value === null) return "NULL";
  if (typeof value === "string") return `'${value.replace(/'/g, "''")}'`;
  if (typeof value === "object") return `'${formatInterval(value)}'`;
  if (type === "TIMESTAMP") return `CAST('${formatTimestamp(value as number)}' AS TIMESTAMP)`;
  if (type === "DATE") return `CAST('${formatTimestamp(value as number).slice(0, 10)}' AS "DATE")`;
  if (type === "BOOLEAN") return value ? "true" : "false";
  return String(value);
}

/** The name DuckDB gives an unaliased SELECT item (exact for columns, aggregates and plain calls). */
export function exprName(e: Expr): string {
  switch (e.kind) {
    case "column":
      return e.name;
    case "star":
      return "*";
    case "literal":
      return literal(e.value, e.type);
    case "unary":
      return e.op === "NOT" ? `(NOT ${exprName(e.arg)})` : `-(${exprName(e.arg)})`;
    case "binary":
      return `(${exprName(e.left)} ${e.op} ${exprName(e.right)})`;
    case "isNull":
      return `(${exprName(e.arg)} IS ${e.negated ? "NOT " : ""}NULL)`;
    case "in":
      return `(${exprName(e.arg)} ${e.negated ? "NOT IN" : "IN"} (${e.list.map(exprName).join(", ")}))`;
    case "between": {
      const inner = `(${exprName(e.arg)} BETWEEN ${exprName(e.low)} AND ${exprName(e.high)})`;
      return e.negated ? `(NOT ${inner})` : inner;
    }
    case "like": {
      const op = LIKE_OPS[`${e.negated ? "NOT " : ""}${e.caseInsensitive ? "ILIKE" : "LIKE"}`];
      return `(${exprName(e.arg)} ${op} ${exprName(e.pattern)})`;
    }
    case "case": {
      const arms = e.whens
        .map((w) => {
          const cond = e.operand ? `(${exprName(e.operand)} = ${exprName(w.when)})` : exprName(w.when);
          return `WHEN (${cond}) THEN (${exprName(w.result)})`;
        })
        .join(" ");
      return `CASE  ${arms} ELSE ${e.otherwise ? exprName(e.otherwise) : "NULL"} END`;
    }
    case "cast": {
      const t = QUOTED_TYPES.has(e.to) ? `"${e.to}"` : e.to;
      return `CAST(${exprName(e.arg)} AS ${t})`;
    }
    case "call": {
      if (e.name === "count" && e.star) return "count_star()";
      if (e.name === "coalesce") return `COALESCE(${e.args.map(exprName).join(", ")})`;
      if (e.name === "date_part" && e.args.length === 2) return `main.date_part(${e.args.map(exprName).join(", ")})`;
      return `${e.name}(${e.distinct ? "DISTINCT " : ""}${e.args.map(exprName).join(", ")})`;
    }
    case "window": {
      const call = e.star ? `${e.name}_star()` : `${e.name}(${e.args.map(exprName).join(", ")})`;
      const parts: string[] = [];
      if (e.over.partitionBy.length) parts.push(`PARTITION BY ${e.over.partitionBy.map(exprName).join(", ")}`);
      if (e.over.orderBy.length)
        parts.push(`ORDER BY ${e.over.orderBy.map((o) => `${exprName(o.expr)}${o.desc ? " DESC" : ""}`).join(", ")}`);
      return `${call} OVER (${parts.join(" ")})`;
    }
    case "subquery":
      return "(SELECT)";
    case "exists":
      return e.negated ? "(NOT EXISTS(SELECT))" : "EXISTS(SELECT)";
    case "inSubquery":
      return `(${exprName(e.arg)} ${e.negated ? "NOT IN" : "IN"} (SELECT))`;
  }
}
