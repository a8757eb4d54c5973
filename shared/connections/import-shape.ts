// The table an import makes: the source statement's columns, named and typed as the source says.
import { TarnError } from "../errors";
import type { TableColumn } from "../uploads/table-parquet";
import { uploadTypeOfOid } from "./pg-types";

function bad(message: string): TarnError {
  return new TarnError("VALIDATION_ERROR", message);
}

/**
 * The dataset's columns from the source's result columns. Names must be non-empty and unique
 * (case-insensitively, as SQL resolves them): a join's two `id`s need an alias.
 */
export function importColumns(source: readonly { name: string; oid: number }[], maxColumns: number): TableColumn[] {
  if (source.length === 0) throw bad("the source returns no columns");
  if (source.length > maxColumns)
    throw bad(`the source returns ${source.length} columns; at most ${maxColumns} are allowed`);
  const seen = new Set<string>();
  return source.map((c, i) => {
    const name = c.name.trim();
    if (name === "" || name === "?column?") {
      throw bad(`result column ${i + 1} has no name: give it one (… AS name)`);
    }
    if (name.length > 128) throw bad(`column name "${name.slice(0, 40)}…" is longer than 128 characters`);
    const key = name.toLowerCase();
    if (seen.has(key)) throw bad(`column "${name}" appears twice in the result: alias one (… AS other_name)`);
    seen.add(key);
    return { name, type: uploadTypeOfOid(c.oid) };
  });
}

/**
 * An append keeps the dataset's columns: each source column must have the dataset's type for it
 * (a new column joins with its own type).
 */
export function appendCompatible(
  columns: readonly TableColumn[],
  existing: readonly { name: string; type: string }[],
): void {
  const types = new Map(existing.map((c) => [c.name.toLowerCase(), c.type]));
  for (const c of columns) {
    const had = types.get(c.name.toLowerCase());
    if (had !== undefined && had !== c.type) {
      throw bad(`column "${c.name}" is ${had} in the dataset but ${c.type} in the source: cast it in a query`);
    }
  }
}
