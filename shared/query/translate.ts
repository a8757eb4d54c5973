// From node-sql-parser's PostgreSQL SELECT to the engine's tree: FROM (tables, subqueries, joins),
// set operations, WITH, clauses. Parts are translated in text order (set operations' ALL flags are
// matched to them by order).
import type { Expr, FromItem, JoinType, OrderItem, Select, SelectItem, SetOpKind } from "./ast";
import { invalidSql, NameError } from "./errors";
import { DATASETS_SCHEMA } from "./schema";
import { QUALIFY_WINDOW } from "./sql-rewrite";
import { translation } from "./translate-context";
import { functionName, identifier, type P, translateExpr } from "./translate-expr";

const JOIN_TYPES: Record<string, JoinType> = {
  JOIN: "inner",
  "INNER JOIN": "inner",
  "LEFT JOIN": "left",
  "LEFT OUTER JOIN": "left",
  "RIGHT JOIN": "right",
  "RIGHT OUTER JOIN": "right",
  "FULL JOIN": "full",
  "FULL OUTER JOIN": "full",
  "CROSS JOIN": "cross",
};

function fromOne(f: P): FromItem {
  const alias = f.as ? identifier(f.as) : null;
  if (f.expr?.ast) {
    const query = translation().select(f.expr.ast);
    return { kind: "subquery", query, alias };
  }
  if (f.type === "expr" || f.expr) {
    const name = f.expr?.type === "function" ? functionName(f.expr) : "expression";
    throw new NameError(`Table functions are not supported (found ${name}); query a table such as events`, name);
  }
  if (f.type === "dual" || (!f.table && !f.expr)) throw invalidSql("Unsupported FROM item");
  if (f.db) {
    // `datasets.<type>` names an event type's table even when the type is called `events`.
    if (identifier(f.db).toLowerCase() === DATASETS_SCHEMA)
      return { kind: "table", name: identifier(f.table), alias: alias ?? identifier(f.table), dataset: true };
    throw invalidSql(
      `Schema-qualified tables are not supported except datasets.<event type> (found ${identifier(f.db)}.${identifier(f.table)})`,
    );
  }
  return { kind: "table", name: identifier(f.table), alias };
}

function translateFrom(from: P): FromItem | null {
  if (!from || from.length === 0) return null;
  let item = fromOne(from[0]);
  for (const f of from.slice(1)) {
    const right = fromOne(f);
    const raw = f.join ? String(f.join).toUpperCase().replace(/\s+/g, " ") : "CROSS JOIN";
    if (raw.startsWith("NATURAL")) throw invalidSql("NATURAL joins are not supported; use USING (…) or ON");
    const joinType = JOIN_TYPES[raw];
    if (!joinType) throw invalidSql(`${raw} is not supported`);
    const using = Array.isArray(f.using) ? f.using.map((u: P) => identifier(u)) : null;
    const on = f.on ? translateExpr(f.on) : null;
    if (joinType === "cross" && (on || using)) throw invalidSql("CROSS JOIN takes no ON or USING");
    if (joinType !== "cross" && !on && !using) throw invalidSql(`${raw} needs ON or USING`);
    item = { kind: "join", joinType, left: item, right, on, using };
  }
  return item;
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

function orderItems(list: P[] | null | undefined): OrderItem[] {
  return (list ?? []).map((o: P) => {
    const nulls = String(o.nulls ?? "")
      .toUpperCase()
      .replace(/\s+/g, "");
    return {
      expr: translateExpr(o.expr),
      desc: String(o.type).toUpperCase() === "DESC",
      nullsFirst: nulls ? nulls === "NULLSFIRST" : null,
    };
  });
}

function limitOffset(ast: P): { limit: number | null; offset: number } {
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
  return { limit, offset };
}

function translateCtes(ast: P): Select["ctes"] {
  return (ast.with ?? []).map((w: P) => {
    if (w.columns?.length) throw invalidSql("Column lists on WITH are not supported; alias the columns inside");
    if (w.recursive) throw invalidSql("RECURSIVE common table expressions are not supported");
    return { name: identifier(w.name), query: translation().select(w.stmt?.ast ?? w.stmt) };
  });
}

function qualifyOf(ast: P): Expr | null {
  const entries: P[] = ast.window?.expr ?? [];
  const q = entries.find((e) => e.name === QUALIFY_WINDOW);
  if (!q) return null;
  const order = q.as_window_specification?.window_specification?.orderby?.[0];
  return order ? translateExpr(order.expr) : null;
}

/** One SELECT block (no set operation), in text order. */
function translateBlock(ast: P, withClauses: boolean, tail: boolean): Select {
  if (ast?.type !== "select")
    throw invalidSql(`Only SELECT statements are allowed (found ${String(ast?.type ?? "?").toUpperCase()})`);
  if (ast.into?.position) throw invalidSql("SELECT INTO is not supported");
  const distinctType = ast.distinct?.type ? String(ast.distinct.type).toUpperCase() : null;
  if (distinctType && distinctType !== "DISTINCT") throw invalidSql(`${distinctType} is not supported`);
  const ctes = withClauses ? translateCtes(ast) : [];
  const items: SelectItem[] = (ast.columns ?? []).map((c: P) => ({
    expr: translateExpr(c.expr),
    alias: c.as ? identifier(c.as) : null,
  }));
  const from = translateFrom(ast.from);
  const where = ast.where ? translateExpr(ast.where) : null;
  const groupByNodes = Array.isArray(ast.groupby) ? ast.groupby : (ast.groupby?.columns ?? []);
  const groupBy = groupByNodes.map(translateExpr);
  const having = ast.having ? translateExpr(ast.having) : null;
  const qualify = qualifyOf(ast);
  const orderBy = tail ? orderItems(ast.orderby) : [];
  const { limit, offset } = tail ? limitOffset(ast) : { limit: null, offset: 0 };
  return {
    ctes,
    distinct: distinctType === "DISTINCT",
    items,
    from,
    where,
    groupBy,
    having,
    qualify,
    orderBy,
    limit,
    offset,
  };
}

const STAR: SelectItem[] = [{ expr: { kind: "star", table: null }, alias: null }];

function wrap(from: FromItem, ctes: Select["ctes"] = []): Select {
  return {
    ctes,
    distinct: false,
    items: STAR,
    from,
    where: null,
    groupBy: [],
    having: null,
    qualify: null,
    orderBy: [],
    limit: null,
    offset: 0,
  };
}

/**
 * A SELECT, or a chain of them joined by UNION / INTERSECT / EXCEPT: INTERSECT binds tighter, the
 * others associate left, and the last block's ORDER BY / LIMIT apply to the whole chain.
 */
export function translateSelect(ast: P): Select {
  if (ast?.type !== "select")
    throw invalidSql(`Only SELECT statements are allowed (found ${String(ast?.type ?? "?").toUpperCase()})`);
  if (!ast._next) return translateBlock(ast, true, true);
  const ctx = translation();
  const ctes = translateCtes(ast);
  const blocks: Select[] = [];
  const ops: { op: SetOpKind; all: boolean }[] = [];
  let node: P = ast;
  for (;;) {
    blocks.push(translateBlock(node, false, false));
    if (!node._next) break;
    const raw = String(node.set_op ?? "").toLowerCase();
    const op = raw.split(/\s+/)[0] as SetOpKind;
    if (op !== "union" && op !== "intersect" && op !== "except")
      throw invalidSql(`${raw.toUpperCase()} is not supported`);
    const flag = ctx.rewritten.setOpAll[ctx.setOps++] ?? false;
    ops.push({ op, all: raw.includes("all") || flag });
    node = node._next;
  }
  const tail = { orderBy: orderItems(node.orderby), ...limitOffset(node) };
  // INTERSECT first, then UNION / EXCEPT left to right.
  const terms: Select[] = [blocks[0] as Select];
  const termOps: { op: SetOpKind; all: boolean }[] = [];
  ops.forEach((o, i) => {
    const right = blocks[i + 1] as Select;
    if (o.op === "intersect") {
      const left = terms.pop() as Select;
      terms.push(wrap({ kind: "setop", op: "intersect", all: o.all, left, right, alias: null }));
    } else {
      termOps.push(o);
      terms.push(right);
    }
  });
  let result = terms[0] as Select;
  termOps.forEach((o, i) => {
    result = wrap({ kind: "setop", op: o.op, all: o.all, left: result, right: terms[i + 1] as Select, alias: null });
  });
  if (result.from?.kind !== "setop") throw new Error("set operation chain lost its operator");
  return { ...wrap(result.from, ctes), ...tail };
}
