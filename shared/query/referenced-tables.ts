// The base tables a query names anywhere (FROM, joins, set operations, CTEs, subqueries in expressions).

import type { Select } from "./ast";
import { walkNodes } from "./ast-walk";

/**
 * Lower-cased names of every `{kind: "table"}` in the query, CTE names included (a CTE that shadows
 * a table still counts: callers use this to refuse, so erring towards a name is the safe side).
 * @example referencedTables(parseQuery("SELECT * FROM audit a JOIN events e USING (seq)").select) // Set { "audit", "events" }
 */
export function referencedTables(select: Select): Set<string> {
  const names = new Set<string>();
  walkNodes(select, (n) => {
    if (n.kind === "table" && typeof n.name === "string" && n.dataset !== true) names.add(n.name.toLowerCase());
  });
  return names;
}
