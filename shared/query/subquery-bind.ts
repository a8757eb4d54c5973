// Subqueries in expressions: IN (SELECT …), EXISTS, scalar (SELECT …). Each runs once before the
// query that uses it, and a function bound in its place reads the answer. A correlated subquery (its
// WHERE compares inner columns with the outer query's by equality) is decorrelated: it runs once,
// grouped by its inner key columns, and the function looks the outer row's key up in that answer,
// which is a hash semi-join (EXISTS, IN) or a hash left join (scalar) on the correlation keys.
import type { Expr, Select } from "./ast";
import { bindExpr, type ColumnInfo, type ExprBinder, hasAggregate, type Scope } from "./bind-expr";
import type { Bound, ScalarFn } from "./bound";
import { coerce, comparisonType } from "./coerce";
import { invalidSql, NameError, QueryError } from "./errors";
import { type SqlType, storageOf } from "./types";
import { constVec, fromValues, type Vec, valueAt } from "./vector";

/** What binding a subquery needs from the SELECT binder (kept apart to avoid an import cycle). */
export interface SubqueryHost {
  /** Bind a SELECT in the current WITH scope; returns the plan and its columns. */
  bind(select: Select): { plan: object; columns: ColumnInfo[] };
  /** The scope of a SELECT's FROM (to tell inner from outer column references). */
  scopeOf(select: Select): Scope;
  /** A plan whose output i is cast to types[i] (null: unchanged). */
  cast(plan: object, types: (SqlType | null)[]): object;
  /** Run `plan` before the query; `fill` receives its rows. */
  register(plan: object, fill: (rows: unknown[][]) => void): void;
}

let serial = 0;

type SubExpr = Extract<Expr, { kind: "subquery" | "exists" | "inSubquery" }>;

function fnOf(name: string, impl: ScalarFn["impl"]): ScalarFn {
  return { name: `${name}#${++serial}`, impl, strict: false, local: true };
}

function keyOf(values: unknown[]): unknown {
  if (values.length === 1) {
    const v = values[0];
    return typeof v === "object" && v !== null ? JSON.stringify(v) : v;
  }
  return JSON.stringify(values);
}

/** Split an AND chain (AST) into its conjuncts. */
function andParts(e: Expr | null): Expr[] {
  if (!e) return [];
  if (e.kind === "binary" && e.op === "AND") return [...andParts(e.left), ...andParts(e.right)];
  return [e];
}

function bindsIn(e: Expr, scope: Scope, b: ExprBinder): boolean {
  try {
    bindExpr(e, { scope, ctx: b.ctx, aggs: null, clause: "subquery" });
    return true;
  } catch (error) {
    if (error instanceof NameError) return false;
    if (error instanceof QueryError && /Ambiguous|not found/.test(error.message)) return false;
    return true;
  }
}

/** The correlation of a subquery: equalities between inner and outer expressions, and the rest. */
function correlation(
  label: string,
  select: Select,
  host: SubqueryHost,
  outer: ExprBinder,
): { inner: Expr[]; outer: Expr[]; rest: Expr[] } | null {
  if (!select.from || select.from.kind === "setop") return null;
  const scope = host.scopeOf(select);
  const inner: Expr[] = [];
  const outerKeys: Expr[] = [];
  const rest: Expr[] = [];
  let correlated = false;
  for (const c of andParts(select.where)) {
    if (bindsIn(c, scope, outer)) {
      rest.push(c);
      continue;
    }
    correlated = true;
    if (c.kind === "binary" && c.op === "=") {
      if (bindsIn(c.left, scope, outer) && !bindsIn(c.right, scope, outer) && bindsIn(c.right, outer.scope, outer)) {
        inner.push(c.left);
        outerKeys.push(c.right);
        continue;
      }
      if (bindsIn(c.right, scope, outer) && !bindsIn(c.left, scope, outer) && bindsIn(c.left, outer.scope, outer)) {
        inner.push(c.right);
        outerKeys.push(c.left);
        continue;
      }
    }
    throw invalidSql(
      `Correlated ${label} subquery: it may refer to the outer query only in WHERE equalities (inner = outer) joined by AND`,
    );
  }
  return correlated ? { inner, outer: outerKeys, rest } : null;
}

const and = (parts: Expr[]): Expr | null =>
  parts.length === 0 ? null : parts.reduce((left, right) => ({ kind: "binary", op: "AND", left, right }));

/** Bind a subquery expression for the query `outer` binds; its answer is registered with the host. */
export function bindSubquery(e: SubExpr, outer: ExprBinder, host: SubqueryHost): Bound {
  const label = e.kind === "exists" ? "EXISTS" : e.kind === "inSubquery" ? "IN" : "scalar";
  const corr = correlation(label, e.query, host, outer);
  if (corr) return bindCorrelated(e, corr, outer, host);
  const { plan, columns } = host.bind(e.query);
  if (e.kind !== "exists" && columns.length !== 1)
    throw invalidSql(`A subquery used as a value must return one column (this one returns ${columns.length})`);
  if (e.kind === "exists") {
    const holder = { any: false };
    host.register(plan, (rows) => {
      holder.any = rows.length > 0;
    });
    return {
      kind: "fn",
      fn: fnOf("exists", (_args, n) => constVec(holder.any !== e.negated ? 1 : 0, n)),
      args: [],
      type: "BOOLEAN",
    };
  }
  const column = columns[0] as ColumnInfo;
  if (e.kind === "subquery") {
    const holder = { value: null as unknown };
    host.register(plan, (rows) => {
      if (rows.length > 1)
        throw invalidSql("More than one row returned by a subquery used as an expression; add LIMIT 1 or aggregate");
      holder.value = rows[0]?.[0] ?? null;
    });
    return {
      kind: "fn",
      fn: fnOf("scalar_subquery", (_args, n) => constVec(holder.value, n)),
      args: [],
      type: column.type,
    };
  }
  // IN (SELECT …): the answer as a set; NULLs as SQL's three-valued IN has them.
  const arg = bindExpr(e.arg, outer);
  const type = comparisonType(arg.type, column.type);
  const cast = host.cast(plan, [type === column.type ? null : type]);
  const set = new Set<unknown>();
  const holder = { hasNull: false };
  host.register(cast, (rows) => {
    for (const r of rows) {
      const v = r[0] ?? null;
      if (v === null) holder.hasNull = true;
      else set.add(keyOf([v]));
    }
  });
  const negated = e.negated;
  const impl: ScalarFn["impl"] = (args, n) => {
    const a = args[0] as Vec;
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      const v = valueAt(a, i);
      let r: boolean | null;
      if (set.size === 0 && !holder.hasNull) r = false;
      else if (v === null) r = null;
      else if (set.has(keyOf([v]))) r = true;
      else r = holder.hasNull ? null : false;
      out[i] = r === null ? null : r !== negated ? 1 : 0;
    }
    return fromValues("num", out);
  };
  return {
    kind: "fn",
    fn: fnOf(negated ? "not_in_subquery" : "in_subquery", impl),
    args: [coerce(arg, type, outer.ctx)],
    type: "BOOLEAN",
  };
}

function bindCorrelated(
  e: SubExpr,
  corr: { inner: Expr[]; outer: Expr[]; rest: Expr[] },
  outer: ExprBinder,
  host: SubqueryHost,
): Bound {
  const q = e.query;
  const outerKeys = corr.outer.map((x) => bindExpr(x, outer));
  const keyCount = corr.inner.length;
  const keyItems = corr.inner.map((expr, i) => ({ expr, alias: `__k${i}` }));
  const base: Select = { ...q, where: and(corr.rest), orderBy: [], limit: null, offset: 0 };
  let rewritten: Select;
  let emptyValue: Select | null = null;
  if (e.kind === "exists") {
    rewritten = { ...base, items: keyItems, distinct: true, groupBy: [], having: null };
    if (q.groupBy.length || q.having) throw invalidSql("A correlated EXISTS subquery cannot use GROUP BY or HAVING");
  } else {
    if (q.items.length !== 1) throw invalidSql("A subquery used as a value must return one column");
    const item = q.items[0] as Select["items"][number];
    const aggregated = hasAggregate(item.expr) && q.groupBy.length === 0;
    if (q.groupBy.length || q.distinct)
      throw invalidSql("A correlated subquery used as a value cannot use GROUP BY or DISTINCT");
    rewritten = { ...base, items: [...keyItems, item], groupBy: aggregated ? corr.inner : [] };
    // What the aggregate gives over no rows (count: 0, most others NULL), for outer rows with no match.
    if (aggregated && e.kind === "subquery")
      emptyValue = { ...base, items: [item], where: { kind: "literal", value: false, type: "BOOLEAN" } };
  }
  const { plan, columns } = host.bind(rewritten);
  // Keys compared as one type on both sides.
  const types = outerKeys.map((k, i) => comparisonType(k.type, (columns[i] as ColumnInfo).type));
  const args = outerKeys.map((k, i) => coerce(k, types[i] as SqlType, outer.ctx));
  const castTypes: (SqlType | null)[] = columns.map((c, i) =>
    i < keyCount && types[i] !== c.type ? (types[i] as SqlType) : null,
  );
  const valueType = (columns[keyCount] as ColumnInfo | undefined)?.type ?? "BOOLEAN";
  let argType: SqlType | null = null;
  let argBound: Bound | null = null;
  if (e.kind === "inSubquery") {
    argBound = bindExpr(e.arg, outer);
    argType = comparisonType(argBound.type, valueType);
    if (argType !== valueType) castTypes[keyCount] = argType;
  }
  const cast = host.cast(plan, castTypes);
  const map = new Map<unknown, unknown>();
  host.register(cast, (rows) => {
    for (const r of rows) {
      const key = r.slice(0, keyCount);
      if (key.some((v) => v === null)) continue;
      const k = keyOf(key);
      if (e.kind === "exists") map.set(k, true);
      else if (e.kind === "subquery") {
        if (map.has(k))
          throw invalidSql("More than one row returned by a subquery used as an expression; add LIMIT 1 or aggregate");
        map.set(k, r[keyCount] ?? null);
      } else {
        let entry = map.get(k) as { values: Set<unknown>; hasNull: boolean } | undefined;
        if (!entry) {
          entry = { values: new Set(), hasNull: false };
          map.set(k, entry);
        }
        const v = r[keyCount] ?? null;
        if (v === null) entry.hasNull = true;
        else entry.values.add(keyOf([v]));
      }
    }
  });
  const empty = { value: null as unknown };
  if (emptyValue) {
    const { plan: emptyPlan } = host.bind(emptyValue);
    host.register(emptyPlan, (rows) => {
      empty.value = rows[0]?.[0] ?? null;
    });
  }
  const negated = e.kind === "subquery" ? false : e.negated;
  const lookup = (argVecs: Vec[], i: number): unknown => {
    const key: unknown[] = [];
    for (let j = 0; j < keyCount; j++) {
      const v = valueAt(argVecs[j] as Vec, i);
      if (v === null) return undefined;
      key.push(v);
    }
    return map.get(keyOf(key));
  };
  const impl: ScalarFn["impl"] = (argVecs, n) => {
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      const found = lookup(argVecs, i);
      if (e.kind === "exists") out[i] = (found !== undefined) !== negated ? 1 : 0;
      else if (e.kind === "subquery") out[i] = found === undefined ? empty.value : found;
      else {
        const entry = found as { values: Set<unknown>; hasNull: boolean } | undefined;
        const v = valueAt(argVecs[keyCount] as Vec, i);
        let r: boolean | null;
        if (!entry) r = false;
        else if (v === null) r = null;
        else if (entry.values.has(keyOf([v]))) r = true;
        else r = entry.hasNull ? null : false;
        out[i] = r === null ? null : r !== negated ? 1 : 0;
      }
    }
    const type = e.kind === "subquery" ? valueType : "BOOLEAN";
    return fromValues(storageOf(type), out);
  };
  const allArgs = argBound && argType ? [...args, coerce(argBound, argType, outer.ctx)] : args;
  return {
    kind: "fn",
    fn: fnOf(`correlated_${e.kind}`, impl),
    args: allArgs,
    type: e.kind === "subquery" ? valueType : "BOOLEAN",
  };
}
