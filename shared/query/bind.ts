// Binding a SELECT: its source (table, CTE or subquery), WHERE, grouping, aggregates, output and order.
import type { AggSpec } from "./agg-state";
import type { Expr, Select, SelectItem } from "./ast";
import { bindExpr, type ColumnInfo, type ExprBinder, hasAggregate, resolveColumn, type Scope } from "./bind-expr";
import { type Bound, type EvalContext, signature, slotsOf } from "./bound";
import { invalidSql, NameError } from "./errors";
import { exprName } from "./names";
import { TABLE_COLUMNS } from "./schema";
import { NULL_TYPE } from "./types";

/** A base table's columns: the lake's, then the typed (contract) columns its files have. */
export type SourcePlan =
  | { kind: "table"; table: string; columns: ColumnInfo[] }
  | { kind: "subquery"; plan: QueryPlan }
  | { kind: "none" };

export interface OrderSpec {
  expr: Bound;
  desc: boolean;
  nullsFirst: boolean;
}

/** A bound SELECT, ready to run: every expression resolved against its input or the grouped rows. */
export interface QueryPlan {
  source: SourcePlan;
  /** Column slots of the source the query reads. */
  needed: number[];
  where: Bound | null;
  /** Grouping: keys and aggregates over the input; later expressions read slots [keys…, aggregates…]. */
  aggregate: { keys: Bound[]; aggs: AggSpec[] } | null;
  having: Bound | null;
  outputs: Bound[];
  orderBy: OrderSpec[];
  /** Remove duplicate output rows (SELECT DISTINCT over aggregates). */
  distinct: boolean;
  limit: number | null;
  offset: number;
  columns: ColumnInfo[];
}

export interface BindOptions {
  ctx: EvalContext;
  /** When given, base tables are checked up front; otherwise the catalog reports unknown ones. */
  tableExists?: (name: string) => boolean;
  /** Typed columns per event-type table, after the lake's columns (none for `events`). */
  tableColumns?: Readonly<Record<string, ColumnInfo[]>>;
}

interface Cte {
  query: Select;
  ctes: Map<string, Cte>;
}

function requireBoolean(b: Bound, clause: string): Bound {
  if (b.type !== "BOOLEAN" && b.type !== NULL_TYPE)
    throw invalidSql(`${clause} must be a BOOLEAN expression, got ${b.type}`);
  return b;
}

function positionOf(e: Expr, count: number, clause: string): number | null {
  if (e.kind !== "literal" || typeof e.value !== "number" || !Number.isInteger(e.value)) return null;
  if (e.value < 1 || e.value > count)
    throw invalidSql(`${clause} position ${e.value} is not in the select list (1 to ${count})`);
  return e.value - 1;
}

/** The index of the select item whose alias is this bare name. */
function aliasIndex(items: SelectItem[], e: Expr): number {
  if (e.kind !== "column" || e.table !== null) return -1;
  const lower = e.name.toLowerCase();
  return items.findIndex((i) => i.alias?.toLowerCase() === lower);
}

function expandStars(items: SelectItem[], scope: Scope): SelectItem[] {
  const out: SelectItem[] = [];
  for (const item of items) {
    if (item.expr.kind !== "star") {
      out.push(item);
      continue;
    }
    if (item.expr.table !== null && !scope.qualifiers.includes(item.expr.table.toLowerCase())) {
      throw new NameError(`Referenced table "${item.expr.table}" not found in FROM clause`, item.expr.table);
    }
    if (scope.columns.length === 0) throw invalidSql("SELECT * needs a FROM clause");
    for (const c of scope.columns) out.push({ expr: { kind: "column", table: null, name: c.name }, alias: null });
  }
  return out;
}

function bindSource(select: Select, opts: BindOptions, ctes: Map<string, Cte>): { source: SourcePlan; scope: Scope } {
  const from = select.from;
  if (!from) return { source: { kind: "none" }, scope: { columns: [], qualifiers: [] } };
  if (from.kind === "subquery") {
    const plan = bindSelect(from.query, opts, ctes);
    return {
      source: { kind: "subquery", plan },
      scope: { columns: plan.columns, qualifiers: [(from.alias ?? "unnamed_subquery").toLowerCase()] },
    };
  }
  const qualifier = (from.alias ?? from.name).toLowerCase();
  const cte = ctes.get(from.name.toLowerCase());
  if (cte) {
    const plan = bindSelect(cte.query, opts, cte.ctes);
    return { source: { kind: "subquery", plan }, scope: { columns: plan.columns, qualifiers: [qualifier] } };
  }
  if (opts.tableExists && !opts.tableExists(from.name))
    throw new NameError(`Table "${from.name}" does not exist`, from.name);
  const typed = opts.tableColumns?.[from.name] ?? [];
  const columns = typed.length > 0 ? [...TABLE_COLUMNS, ...typed] : TABLE_COLUMNS;
  return { source: { kind: "table", table: from.name, columns }, scope: { columns, qualifiers: [qualifier] } };
}

/** Bind a SELECT (and, recursively, its subqueries and the CTEs it uses). */
export function bindSelect(select: Select, opts: BindOptions, outer: Map<string, Cte> = new Map()): QueryPlan {
  const ctes = new Map(outer);
  for (const c of select.ctes) ctes.set(c.name.toLowerCase(), { query: c.query, ctes: new Map(ctes) });
  const { source, scope } = bindSource(select, opts, ctes);
  const ctx = opts.ctx;
  const items = expandStars(select.items, scope);
  const names = items.map((i) => i.alias ?? exprName(i.expr));

  const plain: ExprBinder = { scope, ctx, aggs: null, clause: "WHERE" };
  const alias = (name: string): Bound | null => {
    const idx = aliasIndex(items, { kind: "column", table: null, name });
    const item = items[idx];
    return item && !hasAggregate(item.expr) ? bindExpr(item.expr, plain) : null;
  };
  const where = select.where ? requireBoolean(bindExpr(select.where, { ...plain, alias }), "WHERE") : null;

  const grouped =
    select.groupBy.length > 0 ||
    select.having !== null ||
    items.some((i) => hasAggregate(i.expr)) ||
    select.orderBy.some((o) => hasAggregate(o.expr));
  const plan: QueryPlan = {
    source,
    needed: [],
    where,
    aggregate: null,
    having: null,
    outputs: [],
    orderBy: [],
    distinct: false,
    limit: select.limit,
    offset: select.offset,
    columns: [],
  };

  if (!grouped && !select.distinct) {
    const binder: ExprBinder = { scope, ctx, aggs: null, clause: "SELECT" };
    plan.outputs = items.map((i) => bindExpr(i.expr, binder));
    plan.orderBy = select.orderBy.map((o) => {
      const pos = positionOf(o.expr, items.length, "ORDER BY");
      const idx = pos ?? aliasIndex(items, o.expr);
      const expr = idx >= 0 ? (plan.outputs[idx] as Bound) : bindExpr(o.expr, { ...binder, clause: "ORDER BY" });
      return { expr, desc: o.desc, nullsFirst: o.nullsFirst ?? false };
    });
    const slots = new Set<number>();
    for (const b of [where, ...plan.outputs, ...plan.orderBy.map((o) => o.expr)]) if (b) slotsOf(b, slots);
    plan.needed = [...slots].sort((a, b) => a - b);
    plan.columns = plan.outputs.map((b, i) => ({
      name: names[i] as string,
      type: b.type === NULL_TYPE ? "INTEGER" : b.type,
    }));
    return plan;
  }

  // Grouped: keys first (by position, input column, alias or expression), then aggregates.
  const keyBinder: ExprBinder = { scope, ctx, aggs: null, clause: "GROUP BY" };
  const keys: Bound[] = [];
  const keySigs = new Map<string, number>();
  const addKey = (b: Bound) => {
    const sig = signature(b);
    if (!keySigs.has(sig)) {
      keySigs.set(sig, keys.length);
      keys.push(b);
    }
  };
  const distinctAsGroups =
    select.distinct &&
    !items.some((i) => hasAggregate(i.expr)) &&
    select.groupBy.length === 0 &&
    select.having === null;
  if (distinctAsGroups) for (const i of items) addKey(bindExpr(i.expr, keyBinder));
  for (const g of select.groupBy) {
    const pos = positionOf(g, items.length, "GROUP BY");
    let e = g;
    if (pos !== null) e = (items[pos] as SelectItem).expr;
    else if (g.kind === "column" && g.table === null && resolveColumn(scope, g.name, null) === null) {
      const idx = aliasIndex(items, g);
      if (idx >= 0) e = (items[idx] as SelectItem).expr;
    }
    if (hasAggregate(e)) throw invalidSql("GROUP BY cannot refer to an aggregate");
    addKey(bindExpr(e, keyBinder));
  }

  const aggs: AggSpec[] = [];
  const collect: ExprBinder = { scope, ctx, aggs, clause: "SELECT" };
  const outputs0 = items.map((i) => bindExpr(i.expr, collect));
  const having0 = select.having
    ? requireBoolean(bindExpr(select.having, { ...collect, clause: "HAVING" }), "HAVING")
    : null;
  const order0 = select.orderBy.map((o) => {
    const pos = positionOf(o.expr, items.length, "ORDER BY");
    const idx = pos ?? aliasIndex(items, o.expr);
    return { o, idx, bound: idx >= 0 ? null : bindExpr(o.expr, { ...collect, clause: "ORDER BY" }) };
  });

  const k = keys.length;
  const toPost = (b: Bound): Bound => {
    const key = keySigs.get(signature(b));
    if (key !== undefined) return { kind: "col", slot: key, type: b.type };
    switch (b.kind) {
      case "col":
        if (b.slot < 0) return { kind: "col", slot: k + (-1 - b.slot), type: b.type };
        throw invalidSql(
          `Column "${(scope.columns[b.slot] as ColumnInfo).name}" must appear in the GROUP BY clause or be used in an aggregate function`,
        );
      case "const":
        return b;
      case "fn":
        return { ...b, args: b.args.map(toPost) };
      case "case":
        return {
          ...b,
          whens: b.whens.map((w) => ({ when: toPost(w.when), result: toPost(w.result) })),
          otherwise: toPost(b.otherwise),
        };
    }
  };

  plan.aggregate = { keys, aggs };
  plan.outputs = outputs0.map(toPost);
  plan.having = having0 ? toPost(having0) : null;
  plan.distinct = select.distinct && !distinctAsGroups;
  const outputSigs = plan.outputs.map(signature);
  plan.orderBy = order0.map(({ o, idx, bound }) => {
    const distinctError = () => invalidSql("For SELECT DISTINCT, ORDER BY expressions must appear in the select list");
    let expr: Bound;
    try {
      expr = idx >= 0 ? (plan.outputs[idx] as Bound) : toPost(bound as Bound);
    } catch (error) {
      throw select.distinct ? distinctError() : error;
    }
    if (select.distinct && !outputSigs.includes(signature(expr))) {
      throw distinctError();
    }
    return { expr, desc: o.desc, nullsFirst: o.nullsFirst ?? false };
  });
  const slots = new Set<number>();
  for (const b of [where, ...keys, ...aggs.map((a) => a.arg)]) if (b) slotsOf(b, slots);
  plan.needed = [...slots].sort((a, b) => a - b);
  plan.columns = plan.outputs.map((b, i) => ({
    name: names[i] as string,
    type: b.type === NULL_TYPE ? "INTEGER" : b.type,
  }));
  return plan;
}
