// From node-sql-parser's PostgreSQL SELECT to the engine's tree: one table or subquery, WITH, clauses.
import type { FromItem, OrderItem, Select, SelectItem } from "./ast";
import { invalidSql, NameError } from "./errors";
import { functionName, identifier, type P, translateExpr } from "./translate-expr";

function translateFrom(from: P): FromItem | null {
  if (!from || from.length === 0) return null;
  if (from.length > 1) throw invalidSql("Joins and multiple tables in FROM are not supported; query one table");
  const f = from[0];
  if (f.join) throw invalidSql("Joins are not supported; query one table");
  const alias = f.as ? identifier(f.as) : null;
  if (f.expr?.ast) return { kind: "subquery", query: translateSelect(f.expr.ast), alias };
  if (f.type === "expr" || f.expr) {
    const name = f.expr?.type === "function" ? functionName(f.expr) : "expression";
    throw new NameError(`Table functions are not supported (found ${name}); query a table such as events`, name);
  }
  if (f.db)
    throw invalidSql(`Schema-qualified tables are not supported (found ${identifier(f.db)}.${identifier(f.table)})`);
  return { kind: "table", name: identifier(f.table), alias };
}

function limitValue(node: P, what: string): number | null {
  if (node?.type === "origin" && String(node.value).toLowerCase() === "all") return null;
  if (
    (node?.type === "number" || node?.type === "bigint") &&
    Number.isInteger(Number(node.value)) &&
    Number(node.value) >= 0
  ) {
    return Number(node.value);
  }
  throw invalidSql(`${what} must be a non-negative integer constant`);
}

export function translateSelect(ast: P): Select {
  if (ast?.type !== "select")
    throw invalidSql(`Only SELECT statements are allowed (found ${String(ast?.type ?? "?").toUpperCase()})`);
  if (ast._next || ast.set_op) throw invalidSql("UNION, INTERSECT and EXCEPT are not supported");
  if (ast.into?.position) throw invalidSql("SELECT INTO is not supported");
  if (ast.window) throw invalidSql("Window clauses are not supported");
  const distinctType = ast.distinct?.type ? String(ast.distinct.type).toUpperCase() : null;
  if (distinctType && distinctType !== "DISTINCT") throw invalidSql(`${distinctType} is not supported`);
  const ctes = (ast.with ?? []).map((w: P) => {
    if (w.columns?.length) throw invalidSql("Column lists on WITH are not supported; alias the columns inside");
    return { name: identifier(w.name), query: translateSelect(w.stmt?.ast ?? w.stmt) };
  });
  const items: SelectItem[] = (ast.columns ?? []).map((c: P) => ({
    expr: translateExpr(c.expr),
    alias: c.as ? identifier(c.as) : null,
  }));
  const orderBy: OrderItem[] = (ast.orderby ?? []).map((o: P) => {
    const nulls = String(o.nulls ?? "")
      .toUpperCase()
      .replace(/\s+/g, "");
    return {
      expr: translateExpr(o.expr),
      desc: String(o.type).toUpperCase() === "DESC",
      nullsFirst: nulls ? nulls === "NULLSFIRST" : null,
    };
  });
  const values: P[] = ast.limit?.value ?? [];
  let limit: number | null = null;
  let offset = 0;
  if (values.length === 2) {
    const comma = ast.limit.seperator === ",";
    limit = limitValue(comma ? values[1] : values[0], "LIMIT");
    offset = limitValue(comma ? values[0] : values[1], "OFFSET") ?? 0;
  } else if (values.length === 1) {
    if (ast.limit.seperator === "offset") offset = limitValue(values[0], "OFFSET") ?? 0;
    else limit = limitValue(values[0], "LIMIT");
  }
  const groupBy = Array.isArray(ast.groupby) ? ast.groupby : (ast.groupby?.columns ?? []);
  return {
    ctes,
    distinct: distinctType === "DISTINCT",
    items,
    from: translateFrom(ast.from),
    where: ast.where ? translateExpr(ast.where) : null,
    groupBy: groupBy.map(translateExpr),
    having: ast.having ? translateExpr(ast.having) : null,
    orderBy,
    limit,
    offset,
  };
}
