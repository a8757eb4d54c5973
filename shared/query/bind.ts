// Binding a SELECT: its source (table, CTE or subquery), WHERE, grouping, aggregates, output and order.
import type { AggSpec } from "./agg-state";
import type { Expr, FromItem, JoinType, Select, SelectItem, SetOpKind } from "./ast";
import { bindExpr, type ColumnInfo, type ExprBinder, hasAggregate, resolveColumn, type Scope } from "./bind-expr";
import { type Bound, type EvalContext, type OrderSpec, signature, slotsOf } from "./bound";
import { coerce, comparisonType } from "./coerce";
import { invalidSql, NameError } from "./errors";
import { exprName } from "./names";
import * as F from "./operators";
import { TABLE_COLUMNS } from "./schema";
import { bindSubquery, type SubqueryHost } from "./subquery-bind";
import { commonType, NULL_TYPE, type SqlType } from "./types";
import {
  bindWindowCall,
  type FrameEdge,
  hasWindow,
  WINDOW_SLOT,
  type WindowCall,
  windowSignature,
} from "./window-bind";

export type { FrameEdge, OrderSpec, WindowCall };

/**
 * A base table's columns: for an event table the lake's, then the typed (contract) columns its
 * files have; for a table of its own (an upload, a view) exactly its files' columns.
 */
export type SourcePlan =
  | {
      kind: "table";
      table: string;
      columns: ColumnInfo[];
      /** `datasets.<name>`: only that event type's files. */
      dataset?: true;
    }
  | { kind: "subquery"; plan: QueryPlan }
  | { kind: "join"; join: JoinPlan }
  | { kind: "setop"; op: SetOpKind; all: boolean; left: QueryPlan; right: QueryPlan }
  | { kind: "none" };

/**
 * Two inputs joined. Each side is a plan of its own (a projection of the columns the query needs,
 * with the filters pushed below the join); its output j is the side's column `leftSlots[j]`.
 * The joined row is [left columns…, right columns…, merged USING columns of a FULL join…].
 */
export interface JoinPlan {
  joinType: JoinType;
  left: QueryPlan;
  right: QueryPlan;
  leftSlots: number[];
  rightSlots: number[];
  leftWidth: number;
  rightWidth: number;
  /** Equality keys, over each side's own columns (hash join); none: every pair is a candidate. */
  leftKeys: Bound[];
  rightKeys: Bound[];
  /** The rest of ON, over the joined row. */
  residual: Bound | null;
  /** FULL JOIN … USING: coalesce(left, right) appended to the joined row. */
  merged: { left: number; right: number; type: SqlType }[];
}

/**
 * Windows: the pre-window row is the source row (or the grouped row); window i's value is appended
 * at slot `base + i`; `qualify` filters on the result, before the output is projected.
 */
export interface WindowPlan {
  base: number;
  calls: WindowCall[];
  qualify: Bound | null;
}

/** A bound SELECT, ready to run: every expression resolved against its input or the grouped rows. */
export interface QueryPlan {
  /** Position in the plan tree (pre-order, see plan-tree.ts): how a split names the scan it runs. */
  id: number;
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
  /** Subqueries in expressions: run before this plan, their answers held by the functions that read them. */
  subqueries?: { plan: QueryPlan; fill: (rows: unknown[][]) => void }[];
  /** A join's side (its scan may be split when a filter was pushed into it). */
  joinSide?: true;
  /** Window functions, computed after grouping; QUALIFY filters on them. */
  windows?: WindowPlan;
}

export interface BindOptions {
  ctx: EvalContext;
  /** When given, base tables are checked up front; otherwise the catalog reports unknown ones. */
  tableExists?: (name: string) => boolean;
  /**
   * Each table's whole column list when it is not just the lake's: an event type's (the lake's
   * columns, then its typed ones) or a table of its own (an upload, a view). Others: the lake's.
   */
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
    const table = item.expr.table?.toLowerCase() ?? null;
    if (table !== null && !scope.qualifiers.includes(table)) {
      throw new NameError(`Referenced table "${item.expr.table}" not found in FROM clause`, item.expr.table as string);
    }
    if (scope.columns.length === 0) throw invalidSql("SELECT * needs a FROM clause");
    for (const slot of scope.starOrder ?? scope.columns.map((_, i) => i)) {
      const c = scope.columns[slot] as ColumnInfo;
      if (table === null ? scope.hidden?.[slot] === 1 : scope.owners && !scope.owners[slot]?.includes(table)) continue;
      out.push({ expr: { kind: "column", table: null, name: c.name, slot }, alias: null });
    }
  }
  return out;
}

interface Relation {
  source: SourcePlan;
  scope: Scope;
}

/** A plan that passes its source's columns through (a join side, before pruning and pushdown). */
export function passThrough(source: SourcePlan, columns: ColumnInfo[]): QueryPlan {
  const outputs: Bound[] = columns.map((c, slot) => ({ kind: "col", slot, type: c.type }));
  return {
    id: -1,
    source,
    needed: columns.map((_, i) => i),
    where: null,
    aggregate: null,
    having: null,
    outputs,
    orderBy: [],
    distinct: false,
    limit: null,
    offset: 0,
    columns,
  };
}

/** A bound tree with its column slots renumbered. */
export function remapSlots(b: Bound, map: (slot: number) => number): Bound {
  switch (b.kind) {
    case "col":
      return { ...b, slot: map(b.slot) };
    case "const":
      return b;
    case "fn":
      return { ...b, args: b.args.map((a) => remapSlots(a, map)) };
    case "case":
      return {
        ...b,
        whens: b.whens.map((w) => ({ when: remapSlots(w.when, map), result: remapSlots(w.result, map) })),
        otherwise: remapSlots(b.otherwise, map),
      };
  }
}

/** The conjuncts of a boolean expression. */
export function conjuncts(b: Bound | null): Bound[] {
  if (!b) return [];
  return b.kind === "fn" && b.fn.name === "AND" ? b.args : [b];
}

function ownersOf(scope: Scope): string[][] {
  return scope.owners ?? scope.columns.map(() => scope.qualifiers);
}

/** Which side of a join may take a filter on its columns alone, for ON and for WHERE. */
function pushableInOn(joinType: JoinType, side: "left" | "right"): boolean {
  return (
    joinType === "inner" ||
    joinType === "cross" ||
    (joinType === "left" ? side === "right" : joinType === "right" && side === "left")
  );
}

export function pushableInWhere(joinType: JoinType, side: "left" | "right"): boolean {
  return (
    joinType === "inner" ||
    joinType === "cross" ||
    (joinType === "left" ? side === "left" : joinType === "right" && side === "right")
  );
}

function bindJoin(from: Extract<FromItem, { kind: "join" }>, opts: BindOptions, ctes: Map<string, Cte>): Relation {
  const l = bindFrom(from.left, opts, ctes);
  const r = bindFrom(from.right, opts, ctes);
  for (const q of r.scope.qualifiers) {
    if (l.scope.qualifiers.includes(q))
      throw invalidSql(`Duplicate table name "${q}" in FROM; give each occurrence its own alias`);
  }
  const lw = l.scope.columns.length;
  const rw = r.scope.columns.length;
  const join: JoinPlan = {
    joinType: from.joinType,
    left: { ...passThrough(l.source, l.scope.columns), joinSide: true },
    right: { ...passThrough(r.source, r.scope.columns), joinSide: true },
    leftSlots: l.scope.columns.map((_, i) => i),
    rightSlots: r.scope.columns.map((_, i) => i),
    leftWidth: lw,
    rightWidth: rw,
    leftKeys: [],
    rightKeys: [],
    residual: null,
    merged: [],
  };
  const columns = [...l.scope.columns, ...r.scope.columns];
  const owners = [...ownersOf(l.scope), ...ownersOf(r.scope)];
  const hidden = new Uint8Array(lw + rw);
  l.scope.hidden?.forEach((h, i) => {
    hidden[i] = h;
  });
  r.scope.hidden?.forEach((h, i) => {
    hidden[lw + i] = h;
  });
  const leftOrder = l.scope.starOrder ?? l.scope.columns.map((_, i) => i);
  const rightOrder = (r.scope.starOrder ?? r.scope.columns.map((_, i) => i)).map((i) => lw + i);
  let starOrder = [...leftOrder, ...rightOrder];
  const ctx = opts.ctx;
  const addKey = (left: Bound, right: Bound) => {
    const type = comparisonType(left.type, right.type);
    join.leftKeys.push(coerce(left, type, ctx));
    join.rightKeys.push(remapSlots(coerce(right, type, ctx), (s) => s - lw));
  };
  if (from.using) {
    for (const name of from.using) {
      const li = resolveColumn(l.scope, name, null);
      const ri = resolveColumn(r.scope, name, null);
      if (li === null || ri === null)
        throw new NameError(`Column "${name}" in USING must exist on both sides of the join`, name);
      const lt = (l.scope.columns[li] as ColumnInfo).type;
      const rt = (r.scope.columns[ri] as ColumnInfo).type;
      addKey({ kind: "col", slot: li, type: lt }, { kind: "col", slot: lw + ri, type: rt });
      starOrder = starOrder.filter((s) => s !== lw + ri);
      if (from.joinType === "right") {
        hidden[li] = 1;
        starOrder = starOrder.map((s) => (s === li ? lw + ri : s));
      } else hidden[lw + ri] = 1;
      if (from.joinType === "full") {
        const slot = columns.length;
        hidden[li] = 1;
        join.merged.push({ left: li, right: ri, type: commonType(lt, rt) ?? lt });
        columns.push({ name: (l.scope.columns[li] as ColumnInfo).name, type: commonType(lt, rt) ?? lt });
        owners.push([]);
        starOrder = starOrder.map((s) => (s === li ? slot : s));
      }
    }
  }
  const scope: Scope = {
    columns,
    qualifiers: [...l.scope.qualifiers, ...r.scope.qualifiers],
    owners,
    hidden: join.merged.length ? Uint8Array.from([...hidden, ...join.merged.map(() => 0)]) : hidden,
    starOrder,
  };
  if (from.on) {
    const on = requireBoolean(bindExpr(from.on, { scope, ctx, aggs: null, clause: "ON" }), "ON");
    const residual: Bound[] = [];
    for (const c of conjuncts(on)) {
      const slots = [...slotsOf(c)];
      const leftOnly = slots.length > 0 && slots.every((s) => s < lw);
      const rightOnly = slots.length > 0 && slots.every((s) => s >= lw && s < lw + rw);
      if (c.kind === "fn" && c.fn.name === "=" && c.args.length === 2) {
        const [a, b] = c.args as [Bound, Bound];
        const sa = [...slotsOf(a)];
        const sb = [...slotsOf(b)];
        const inLeft = (xs: number[]) => xs.length > 0 && xs.every((s) => s < lw);
        const inRight = (xs: number[]) => xs.length > 0 && xs.every((s) => s >= lw && s < lw + rw);
        if (inLeft(sa) && inRight(sb)) {
          addKey(a, b);
          continue;
        }
        if (inRight(sa) && inLeft(sb)) {
          addKey(b, a);
          continue;
        }
      }
      if (leftOnly && pushableInOn(from.joinType, "left")) join.left.where = andAll([join.left.where, c], ctx);
      else if (rightOnly && pushableInOn(from.joinType, "right"))
        join.right.where = andAll([join.right.where, remapSlots(c, (s) => s - lw)], ctx);
      else residual.push(c);
    }
    join.residual = residual.length ? andAll(residual, ctx) : null;
  }
  return { source: { kind: "join", join }, scope };
}

export function andAll(parts: (Bound | null)[], ctx: EvalContext): Bound | null {
  const kept = parts.filter((p): p is Bound => p !== null);
  if (kept.length === 0) return null;
  if (kept.length === 1) return kept[0] as Bound;
  return F.logical("AND", kept, ctx);
}

function bindSetOp(from: Extract<FromItem, { kind: "setop" }>, opts: BindOptions, ctes: Map<string, Cte>): Relation {
  const left = bindSelect(from.left, opts, ctes);
  const right = bindSelect(from.right, opts, ctes);
  if (left.columns.length !== right.columns.length) {
    throw invalidSql(
      `Set operations need the same number of columns on both sides (${left.columns.length} and ${right.columns.length})`,
    );
  }
  const columns: ColumnInfo[] = left.columns.map((c, i) => {
    const other = (right.columns[i] as ColumnInfo).type;
    const type = commonType(c.type, other);
    if (!type)
      throw invalidSql(`${from.op.toUpperCase()} cannot combine ${c.type} and ${other} in column ${i + 1}; add a CAST`);
    return { name: c.name, type };
  });
  // Each side brought to the common column types.
  const side = (plan: QueryPlan): QueryPlan => {
    if (plan.columns.every((c, i) => c.type === (columns[i] as ColumnInfo).type)) return plan;
    const p = passThrough({ kind: "subquery", plan }, plan.columns);
    p.outputs = p.outputs.map((o, i) => coerce(o, (columns[i] as ColumnInfo).type, opts.ctx));
    p.columns = columns;
    return p;
  };
  const qualifier = (from.alias ?? "unnamed_subquery").toLowerCase();
  return {
    source: { kind: "setop", op: from.op, all: from.all, left: side(left), right: side(right) },
    scope: { columns, qualifiers: [qualifier] },
  };
}

function bindFrom(from: FromItem, opts: BindOptions, ctes: Map<string, Cte>): Relation {
  if (from.kind === "join") return bindJoin(from, opts, ctes);
  if (from.kind === "setop") return bindSetOp(from, opts, ctes);
  if (from.kind === "subquery") {
    const plan = bindSelect(from.query, opts, ctes);
    return {
      source: { kind: "subquery", plan },
      scope: { columns: plan.columns, qualifiers: [(from.alias ?? "unnamed_subquery").toLowerCase()] },
    };
  }
  const qualifier = (from.alias ?? from.name).toLowerCase();
  const columns = opts.tableColumns?.[from.name] ?? TABLE_COLUMNS;
  if (from.dataset) {
    if (opts.tableExists && !opts.tableExists(from.name))
      throw new NameError(`Table "${from.name}" does not exist`, from.name);
    return {
      source: { kind: "table", table: from.name, columns, dataset: true },
      scope: { columns, qualifiers: [qualifier] },
    };
  }
  const cte = ctes.get(from.name.toLowerCase());
  if (cte) {
    const plan = bindSelect(cte.query, opts, cte.ctes);
    return { source: { kind: "subquery", plan }, scope: { columns: plan.columns, qualifiers: [qualifier] } };
  }
  if (opts.tableExists && !opts.tableExists(from.name))
    throw new NameError(`Table "${from.name}" does not exist`, from.name);
  return { source: { kind: "table", table: from.name, columns }, scope: { columns, qualifiers: [qualifier] } };
}

function bindSource(select: Select, opts: BindOptions, ctes: Map<string, Cte>): Relation {
  if (!select.from) return { source: { kind: "none" }, scope: { columns: [], qualifiers: [] } };
  return bindFrom(select.from, opts, ctes);
}

/** Renumber window placeholders to slots after the pre-window row, and attach the windows. */
function finishWindows(plan: QueryPlan, calls: WindowCall[], qualify: Bound | null, base: number): void {
  if (calls.length === 0) {
    if (qualify) throw invalidSql("QUALIFY needs a window function (in QUALIFY or in the select list)");
    return;
  }
  const map = (s: number) => (s >= WINDOW_SLOT ? base + (s - WINDOW_SLOT) : s);
  plan.outputs = plan.outputs.map((o) => remapSlots(o, map));
  plan.orderBy = plan.orderBy.map((o) => ({ ...o, expr: remapSlots(o.expr, map) }));
  plan.windows = { base, calls, qualify: qualify ? remapSlots(qualify, map) : null };
}

/** Column slots of its source a plan reads (WHERE, then grouping or outputs and ORDER BY). */
export function neededOf(plan: QueryPlan): number[] {
  const slots = new Set<number>();
  const parts: (Bound | null)[] = [plan.where];
  if (plan.aggregate)
    parts.push(...plan.aggregate.keys, ...plan.aggregate.aggs.flatMap((a) => [a.arg, a.arg2 ?? null]));
  else {
    parts.push(...plan.outputs, ...plan.orderBy.map((o) => o.expr));
    if (plan.windows) {
      parts.push(plan.windows.qualify);
      for (const c of plan.windows.calls) parts.push(...c.args, ...c.partitionBy, ...c.orderBy.map((o) => o.expr));
    }
  }
  for (const b of parts) if (b) slotsOf(b, slots);
  const limit = plan.windows && !plan.aggregate ? plan.windows.base : Number.POSITIVE_INFINITY;
  return [...slots].filter((s) => s >= 0 && s < limit).sort((a, b) => a - b);
}

/** Bind a SELECT (and, recursively, its subqueries and the CTEs it uses). */
export function bindSelect(select: Select, opts: BindOptions, outer: Map<string, Cte> = new Map()): QueryPlan {
  const ctes = new Map(outer);
  for (const c of select.ctes) ctes.set(c.name.toLowerCase(), { query: c.query, ctes: new Map(ctes) });
  const { source, scope } = bindSource(select, opts, ctes);
  const ctx = opts.ctx;
  const subs: NonNullable<QueryPlan["subqueries"]> = [];
  const host: SubqueryHost = {
    bind: (s) => {
      const plan = bindSelect(s, opts, ctes);
      return { plan, columns: plan.columns };
    },
    scopeOf: (s) => bindSource(s, opts, ctes).scope,
    cast: (p, types) => {
      const plan = p as QueryPlan;
      if (types.every((t) => t === null)) return plan;
      const out = passThrough({ kind: "subquery", plan }, plan.columns);
      out.outputs = out.outputs.map((o, i) => (types[i] ? coerce(o, types[i] as SqlType, ctx) : o));
      out.columns = plan.columns.map((c, i) => ({ name: c.name, type: types[i] ?? c.type }));
      return out;
    },
    register: (p, fill) => {
      subs.push({ plan: p as QueryPlan, fill });
    },
  };
  const subqueries = (e: Parameters<NonNullable<ExprBinder["subqueries"]>>[0], b: ExprBinder) =>
    bindSubquery(e, b, host);
  const items = expandStars(select.items, scope);
  const names = items.map((i) => i.alias ?? exprName(i.expr));

  const plain: ExprBinder = { scope, ctx, aggs: null, clause: "WHERE", subqueries };
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
    select.orderBy.some((o) => hasAggregate(o.expr)) ||
    (select.qualify !== null && hasAggregate(select.qualify));
  const calls: WindowCall[] = [];
  const windows = (e: Extract<Expr, { kind: "window" }>, b: ExprBinder): Bound => {
    const call = bindWindowCall(e, b);
    // The same call twice (lag(ts) in two CASE arms) is computed once.
    const key = windowSignature(call);
    const same = calls.findIndex((c) => windowSignature(c) === key);
    if (same >= 0) return { kind: "col", slot: WINDOW_SLOT + same, type: call.type };
    calls.push(call);
    return { kind: "col", slot: WINDOW_SLOT + calls.length - 1, type: call.type };
  };
  const windowed =
    calls.length > 0 ||
    items.some((i) => hasWindow(i.expr)) ||
    select.qualify !== null ||
    select.orderBy.some((o) => hasWindow(o.expr));
  if (select.qualify && !hasWindow(select.qualify) && !items.some((i) => hasWindow(i.expr)))
    throw invalidSql("QUALIFY needs a window function (in QUALIFY or in the select list)");
  const plan: QueryPlan = {
    id: -1,
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

  if (!grouped && (!select.distinct || windowed)) {
    const binder: ExprBinder = { scope, ctx, aggs: null, clause: "SELECT", windows, subqueries };
    plan.outputs = items.map((i) => bindExpr(i.expr, binder));
    plan.orderBy = select.orderBy.map((o) => {
      const pos = positionOf(o.expr, items.length, "ORDER BY");
      const idx = pos ?? aliasIndex(items, o.expr);
      const expr = idx >= 0 ? (plan.outputs[idx] as Bound) : bindExpr(o.expr, { ...binder, clause: "ORDER BY" });
      return { expr, desc: o.desc, nullsFirst: o.nullsFirst ?? false };
    });
    plan.distinct = select.distinct;
    const qualifyAlias = (name: string): Bound | null => {
      const idx = aliasIndex(items, { kind: "column", table: null, name });
      return idx >= 0 ? (plan.outputs[idx] as Bound) : null;
    };
    const qualify = select.qualify
      ? requireBoolean(bindExpr(select.qualify, { ...binder, clause: "QUALIFY", alias: qualifyAlias }), "QUALIFY")
      : null;
    finishWindows(plan, calls, qualify, scope.columns.length);
    plan.needed = neededOf(plan);
    if (subs.length) plan.subqueries = subs;
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
    !windowed &&
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
  const collect: ExprBinder = { scope, ctx, aggs, clause: "SELECT", windows, subqueries };
  const outputs0 = items.map((i) => bindExpr(i.expr, collect));
  const having0 = select.having
    ? requireBoolean(bindExpr(select.having, { ...collect, clause: "HAVING" }), "HAVING")
    : null;
  const order0 = select.orderBy.map((o) => {
    const pos = positionOf(o.expr, items.length, "ORDER BY");
    const idx = pos ?? aliasIndex(items, o.expr);
    return { o, idx, bound: idx >= 0 ? null : bindExpr(o.expr, { ...collect, clause: "ORDER BY" }) };
  });

  const qualifyAliasPre = (name: string): Bound | null => {
    const idx = aliasIndex(items, { kind: "column", table: null, name });
    return idx >= 0 ? (outputs0[idx] as Bound) : null;
  };
  const qualify0 = select.qualify
    ? requireBoolean(bindExpr(select.qualify, { ...collect, clause: "QUALIFY", alias: qualifyAliasPre }), "QUALIFY")
    : null;

  const k = keys.length;
  const toPost = (b: Bound): Bound => {
    const key = keySigs.get(signature(b));
    if (key !== undefined) return { kind: "col", slot: key, type: b.type };
    switch (b.kind) {
      case "col":
        if (b.slot >= WINDOW_SLOT) return b;
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
  for (const call of calls) {
    call.args = call.args.map(toPost);
    call.partitionBy = call.partitionBy.map(toPost);
    call.orderBy = call.orderBy.map((o) => ({ ...o, expr: toPost(o.expr) }));
  }
  finishWindows(plan, calls, qualify0 ? toPost(qualify0) : null, k + aggs.length);
  plan.needed = neededOf(plan);
  if (subs.length) plan.subqueries = subs;
  plan.columns = plan.outputs.map((b, i) => ({
    name: names[i] as string,
    type: b.type === NULL_TYPE ? "INTEGER" : b.type,
  }));
  return plan;
}
