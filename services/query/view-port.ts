// The planner's use of views: a query whose text is a view's SELECT (give or take whitespace, a final
// semicolon and a trailing ORDER BY / LIMIT) is answered from the view's files, but only when the
// answer is identical: the view is built from its current definition, none of its input files
// changed since that build, and it stores every column at the type the SELECT gives.
import { parseQuery } from "../../shared/query";
import type { Select } from "../../shared/query/ast";
import type { ColumnInfo } from "../../shared/query/bind-expr";
import { planQuery } from "../../shared/query/plan-tree";
import { referencedTables } from "../../shared/query/referenced-tables";
import { storedType } from "../../shared/views/analyze";
import { readsFile } from "../../shared/views/reads";
import { filesChangedSince } from "../manifest/read";
import type { ViewRow } from "../views/store";

export interface ViewChoice {
  /** The view that answers, or the closest one that could not. */
  view?: string;
  /** The query over the view to run instead. */
  sql?: string;
  reason?: string;
}

const normalize = (sql: string) => sql.trim().replace(/;\s*$/, "").replace(/\s+/g, " ");
const TAIL = /^(ORDER BY [^()]+?)?\s*(LIMIT \d+(\s+OFFSET \d+)?)?$/i;

/** The view whose SELECT the query is, and what to run over it; or why no view answers. */
export async function chooseView(
  db: D1Database,
  projectId: string,
  /** The project's views (listViews), read beside the query's other metadata. */
  views: readonly ViewRow[],
  sql: string,
  /** Asked only when a view's text matches (most queries match none and cost no read). */
  tableColumns: () => Promise<Readonly<Record<string, ColumnInfo[]>>>,
): Promise<ViewChoice> {
  const query = normalize(sql);
  for (const view of views) {
    const select = normalize(view.sql);
    if (query !== select && !query.startsWith(`${select} `)) continue;
    const tail = query.slice(select.length).trim();
    if (!TAIL.test(tail)) continue;
    if (view.builtSnapshot === null || view.builtVersion !== view.version || view.pending) {
      return { view: view.name, reason: `view ${view.name} is not built from its current definition yet` };
    }
    let columns: ColumnInfo[];
    try {
      const known = await tableColumns();
      columns = planQuery(parseQuery(view.sql).select, { ctx: { nowMs: Date.now() }, tableColumns: known }).columns;
    } catch {
      return { view: view.name, reason: `view ${view.name}'s SELECT no longer binds to its tables` };
    }
    const converted = columns.find((c) => storedType(c.type) !== c.type);
    if (converted) {
      return {
        view: view.name,
        reason: `view ${view.name} stores ${converted.name} as ${storedType(converted.type)}, not ${converted.type}`,
      };
    }
    const changed = (await filesChangedSince(db, projectId, view.builtSnapshot)).filter((f) => readsFile(view, f));
    if (changed.length > 0) {
      return {
        view: view.name,
        reason: `view ${view.name} is stale: ${changed.length} input files changed since its build`,
      };
    }
    return { view: view.name, sql: `SELECT * FROM ${view.name}${tail ? ` ${tail}` : ""}` };
  }
  return { reason: "no view's SELECT is this query" };
}

/**
 * The views a query reads. A view holds every row of its inputs, so someone row-level policies bind
 * may not read one (the policies filter base tables, not what was computed from them).
 */
export function viewsNamed(views: readonly ViewRow[], select: Select): string[] {
  const named = referencedTables(select);
  if (named.size === 0) return [];
  return views.map((v) => v.name).filter((n) => named.has(n));
}
