// The base tables a query names anywhere (FROM, joins, set operations, CTEs, subqueries in expressions).
import type { Select } from "./ast";

/**
 * Lower-cased names of every `{kind: "table"}` in the query, CTE names included (a CTE that shadows
 * a table still counts: callers use this to refuse, so erring towards a name is the safe side).
 * @example referencedTables(parseQuery("SELECT * FROM audit a JOIN events e USING (seq)").select) // Set { "audit", "events" }
 */
export function referencedTables(select: Select): Set<string> {
  const names = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (node === null || typeof node !== "object") return;
    const record = node as Record<string, unknown>;
    if (record.kind === "table" && typeof record.name === "string" && record.dataset !== true) {
      names.add(record.name.toLowerCase());
    }
    for (const value of Object.values(record)) visit(value);
  };
  visit(select);
  return names;
}
