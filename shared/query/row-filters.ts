// Row-level policies inside the engine: every reference to a filtered table becomes the filtered
// relation before planning, whatever the query's shape (joins, CTEs, subqueries, set operations).

import type { Expr, FromItem, Select } from "./ast";
import { walkNodes } from "./ast-walk";
import { ROW_POLICY_FN } from "./bound";
import { invalidSql, QueryError } from "./errors";
import { parseQuery } from "./parse";
import { EVENTS_TABLE } from "./schema";

/** Who the filters are evaluated for: what `current_user_id()` and its siblings return. */
export interface Identity {
  userId: string | null;
  email: string | null;
  role: string | null;
  attributes: Readonly<Record<string, string | number | boolean | null>>;
}

/** A policy's filter for one table, or for every table (`*`). */
export interface RowFilter {
  /** A dataset (event type, upload, view) or `*`. */
  table: string;
  /** A SQL boolean expression over the table's columns (and the identity functions). */
  filter: string;
}

export interface RowFilters {
  filters: readonly RowFilter[];
  identity: Identity;
}

/** The identity functions a filter may call, with their arity. */
export const IDENTITY_FUNCTIONS: Readonly<Record<string, number>> = {
  current_user_id: 0,
  current_user_email: 0,
  current_role: 0,
  current_user_attribute: 1,
};

const PLACEHOLDER_TABLE = "__tarn_policy_table";

/**
 * A filter's expression, parsed alone: exactly one boolean expression, nothing that could change
 * the query around it (no second clause, no statement). Throws INVALID_SQL.
 * @example parseRowFilter("region = current_user_attribute('region')")
 */
export function parseRowFilter(filter: string): Expr {
  if (filter.trim() === "") throw invalidSql("The filter is empty");
  const { select } = parseQuery(`SELECT * FROM ${PLACEHOLDER_TABLE} WHERE (${filter})`);
  const alone =
    select.ctes.length === 0 &&
    !select.distinct &&
    select.from?.kind === "table" &&
    select.from.name === PLACEHOLDER_TABLE &&
    select.groupBy.length === 0 &&
    select.having === null &&
    select.qualify === null &&
    select.orderBy.length === 0 &&
    select.limit === null &&
    select.offset === 0 &&
    select.where !== null;
  if (!alone) throw invalidSql("The filter must be a single boolean expression");
  let nested = false;
  walkNodes(select.where, (e) => {
    if (e.kind === "subquery" || e.kind === "exists" || e.kind === "inSubquery" || e.kind === "window") nested = true;
  });
  if (nested) throw invalidSql("A filter cannot hold subqueries or window functions");
  return select.where as Expr;
}

/** Column names the expression reads (lower-cased). */
export function filterColumns(expr: Expr): Set<string> {
  const names = new Set<string>();
  walkNodes(expr, (e) => {
    if (e.kind === "column" && typeof e.name === "string") names.add(e.name.toLowerCase());
  });
  return names;
}

const literal = (value: string | number | boolean | null): Expr => {
  if (value === null) return { kind: "literal", value: null, type: '"NULL"' };
  if (typeof value === "boolean") return { kind: "literal", value, type: "BOOLEAN" };
  if (typeof value === "number") return { kind: "literal", value, type: Number.isInteger(value) ? "BIGINT" : "DOUBLE" };
  return { kind: "literal", value, type: "VARCHAR" };
};

/** The filter with every identity function replaced by its value for `identity` (a new tree). */
export function withIdentity(expr: Expr, identity: Identity): Expr {
  const replace = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(replace);
    if (node === null || typeof node !== "object") return node;
    const record = node as Record<string, unknown>;
    if (record.kind === "call" && typeof record.name === "string") {
      const name = record.name.toLowerCase();
      const args = record.args as Expr[];
      if (name in IDENTITY_FUNCTIONS) {
        if (args.length !== IDENTITY_FUNCTIONS[name])
          throw invalidSql(`${name}() takes ${IDENTITY_FUNCTIONS[name]} arguments`);
        if (name === "current_user_id") return literal(identity.userId);
        if (name === "current_user_email") return literal(identity.email);
        if (name === "current_role") return literal(identity.role);
        const key = args[0];
        if (key?.kind !== "literal" || typeof key.value !== "string")
          throw invalidSql("current_user_attribute() takes a string literal, the attribute's name");
        return literal(identity.attributes[key.value] ?? null);
      }
    }
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, replace(v)]));
  };
  return replace(expr) as Expr;
}

/**
 * Every table reference of the query, rewritten to see only the rows its filters keep. A table
 * directly under a SELECT gets the filter ANDed into that SELECT's WHERE (so the manifest's pruning
 * and the rollups' matching still see the query's own conditions); a table inside a join becomes
 * `(SELECT * FROM t WHERE filter) AS t`, so an outer join's NULL rows stay right. `events` (every
 * event type) keeps a type-specific policy's rows only where that type's filter passes.
 * `columnsOf` gives a table's column names (lower-cased) or null when unknown: a filter that needs a
 * column the table lacks keeps no row of it (closed, never an error that would reveal the filter).
 * Returns the tables that were filtered.
 */
export function applyRowFilters(
  select: Select,
  rowFilters: RowFilters,
  columnsOf: (table: string, dataset: boolean) => ReadonlySet<string> | null,
): { select: Select; filtered: string[] } {
  let parsed: { table: string; expr: Expr }[];
  try {
    parsed = rowFilters.filters.map((f) => ({
      table: f.table,
      expr: withIdentity(parseRowFilter(f.filter), rowFilters.identity),
    }));
  } catch (error) {
    // A stored filter that no longer parses keeps nothing rather than failing open.
    if (error instanceof QueryError) throw invalidSql("A row-level policy that applies to you is invalid");
    throw error;
  }
  const filtered = new Set<string>();
  const allowedOn = (expr: Expr, table: string, dataset: boolean) => {
    const columns = columnsOf(table, dataset);
    if (!columns) return false;
    for (const c of filterColumns(expr)) if (!columns.has(c)) return false;
    return true;
  };
  const guarded = (expr: Expr, table: string, dataset: boolean): Expr =>
    allowedOn(expr, table, dataset) ? structuredClone(expr) : literal(false);

  /** The condition a row of `table` must meet, or null when no filter applies to it. */
  const conditionFor = (table: string, dataset: boolean): Expr | null => {
    const isEvents = !dataset && table.toLowerCase() === EVENTS_TABLE;
    const parts: Expr[] = [];
    for (const f of parsed) {
      if (f.table === "*") parts.push(guarded(f.expr, table, dataset));
      else if (!isEvents && f.table === table) parts.push(guarded(f.expr, table, dataset));
      else if (isEvents) {
        // In `events`, a type's policy reaches that type's rows only: the others pass.
        const other: Expr = {
          kind: "binary",
          op: "<>",
          left: { kind: "column", table: null, name: "event_type" },
          right: literal(f.table),
        };
        parts.push({ kind: "binary", op: "OR", left: other, right: guarded(f.expr, table, dataset) });
      }
    }
    if (parts.length === 0) return null;
    filtered.add(dataset ? `datasets.${table}` : table);
    const all = parts.reduce((a, b): Expr => ({ kind: "binary", op: "AND", left: a, right: b }));
    return { kind: "call", name: ROW_POLICY_FN, args: [all], distinct: false, star: false };
  };

  const isBase = (item: Extract<FromItem, { kind: "table" }>, ctes: ReadonlySet<string>) =>
    item.dataset === true || !ctes.has(item.name.toLowerCase());

  const rewriteFrom = (item: FromItem, ctes: ReadonlySet<string>): FromItem => {
    switch (item.kind) {
      case "table": {
        if (!isBase(item, ctes)) return item;
        const condition = conditionFor(item.name, item.dataset === true);
        if (!condition) return item;
        const inner: Select = {
          ctes: [],
          distinct: false,
          items: [{ expr: { kind: "star", table: null }, alias: null }],
          from: { kind: "table", name: item.name, alias: null, ...(item.dataset ? { dataset: true as const } : {}) },
          where: condition,
          groupBy: [],
          having: null,
          qualify: null,
          orderBy: [],
          limit: null,
          offset: 0,
        };
        return { kind: "subquery", query: inner, alias: item.alias ?? item.name };
      }
      case "subquery":
        return { ...item, query: rewriteSelect(item.query, ctes) };
      case "join":
        return { ...item, left: rewriteFrom(item.left, ctes), right: rewriteFrom(item.right, ctes) };
      case "setop":
        return { ...item, left: rewriteSelect(item.left, ctes), right: rewriteSelect(item.right, ctes) };
    }
  };

  const rewriteExprs = <T>(node: T, ctes: ReadonlySet<string>): T => {
    if (Array.isArray(node)) return node.map((n) => rewriteExprs(n, ctes)) as T;
    if (node === null || typeof node !== "object") return node;
    const record = node as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record)) {
      const isQuery =
        k === "query" && (record.kind === "subquery" || record.kind === "exists" || record.kind === "inSubquery");
      out[k] = isQuery ? rewriteSelect(v as Select, ctes) : rewriteExprs(v, ctes);
    }
    return out as T;
  };

  const rewriteSelect = (s: Select, outer: ReadonlySet<string>): Select => {
    // A CTE sees the CTEs before it (a CTE named like a table reads the table in its own body).
    const seen = new Set(outer);
    const ctes = s.ctes.map((c) => {
      const query = rewriteSelect(c.query, seen);
      seen.add(c.name.toLowerCase());
      return { name: c.name, query };
    });
    let from = s.from;
    let where = s.where;
    if (from?.kind === "table" && isBase(from, seen)) {
      const condition = conditionFor(from.name, from.dataset === true);
      if (condition) where = where ? { kind: "binary", op: "AND", left: condition, right: where } : condition;
    } else if (from) {
      from = rewriteFrom(from, seen);
    }
    return {
      ...s,
      ctes,
      from,
      items: rewriteExprs(s.items, seen),
      where: where && rewriteExprs(where, seen),
      groupBy: rewriteExprs(s.groupBy, seen),
      having: rewriteExprs(s.having, seen),
      qualify: rewriteExprs(s.qualify, seen),
      orderBy: rewriteExprs(s.orderBy, seen),
    };
  };

  if (parsed.length === 0) return { select, filtered: [] };
  return { select: rewriteSelect(select, new Set()), filtered: [...filtered].sort() };
}

/** `columnsOf` for applyRowFilters from the engine's table columns (the lake's when not listed). */
export function columnsFrom(
  tableColumns: Readonly<Record<string, readonly { name: string }[]>> | undefined,
  lakeColumns: readonly { name: string }[],
): (table: string, dataset: boolean) => ReadonlySet<string> {
  return (table) => new Set((tableColumns?.[table] ?? lakeColumns).map((c) => c.name.toLowerCase()));
}
