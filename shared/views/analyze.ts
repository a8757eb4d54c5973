// A view's SELECT checked like any query, without reading files: it must bind against the project's
// tables, and its output columns (names, SQL types) and the tables it reads are what the view records.
import { TarnError } from "../errors";
import type { ColumnInfo } from "../query/bind-expr";
import { QueryError } from "../query/errors";
import { parseQuery } from "../query/parse";
import { planQuery } from "../query/plan-tree";
import { isTemporal, type SqlType } from "../query/types";

export interface ViewShape {
  /** The tables the SELECT reads, as written (event types, `events`, views), sorted. */
  dependsOn: string[];
  columns: { name: string; type: string }[];
}

export interface AnalyzeOptions {
  /** Does a table of this name exist (event types, views, uploads; `events` always does)? */
  tableExists: (name: string) => boolean;
  tableColumns?: Readonly<Record<string, ColumnInfo[]>>;
  now?: Date;
}

/** How a view stores a result type in Parquet, and so how it reads back (see result-parquet.ts). */
export function storedType(type: string): SqlType {
  if (type === "HUGEINT") return "BIGINT";
  if (type.startsWith("DECIMAL")) return "DOUBLE";
  if (type === "TIMESTAMP WITH TIME ZONE") return "TIMESTAMP";
  if (type === "INTERVAL" || type === '"NULL"') return "VARCHAR";
  return type as SqlType;
}

/**
 * Bind the SELECT and return what it reads and produces. Throws TarnError INVALID_SQL for SQL the
 * engine refuses, VALIDATION_ERROR for a SELECT that cannot be a table (duplicate or empty column
 * names, a bad time column).
 */
export function analyzeViewSql(
  name: string,
  sql: string,
  timeColumn: string | undefined,
  opts: AnalyzeOptions,
): ViewShape {
  const read = new Set<string>();
  let columns: { name: string; type: string }[];
  try {
    const parsed = parseQuery(sql);
    const plan = planQuery(parsed.select, {
      ctx: { nowMs: (opts.now ?? new Date()).getTime() },
      tableColumns: opts.tableColumns,
      tableExists: (table) => {
        read.add(table);
        return opts.tableExists(table);
      },
    });
    columns = plan.columns.map((c) => ({ name: c.name, type: storedType(c.type) }));
  } catch (err) {
    if (err instanceof QueryError) {
      throw new TarnError("INVALID_SQL", err.message, {
        details: err.position ? { line: err.position.line, column: err.position.column } : {},
        cause: err,
      });
    }
    throw err;
  }
  if (read.has(name)) throw new TarnError("VALIDATION_ERROR", `view "${name}" cannot read itself`);
  const seen = new Set<string>();
  for (const c of columns) {
    if (c.name === "") throw new TarnError("VALIDATION_ERROR", "every output column of a view needs a name (AS …)");
    if (seen.has(c.name.toLowerCase())) {
      throw new TarnError("VALIDATION_ERROR", `output column "${c.name}" appears twice; give each column its own name`);
    }
    seen.add(c.name.toLowerCase());
  }
  if (timeColumn !== undefined) {
    const column = columns.find((c) => c.name === timeColumn);
    if (!column) {
      throw new TarnError("VALIDATION_ERROR", `time_column "${timeColumn}" is not an output column of the SELECT`, {
        details: { columns: columns.map((c) => c.name) },
      });
    }
    if (!isTemporal(column.type as SqlType)) {
      throw new TarnError(
        "VALIDATION_ERROR",
        `time_column "${timeColumn}" must be a TIMESTAMP or DATE, not ${column.type}`,
      );
    }
  }
  return { dependsOn: [...read].sort(), columns };
}
