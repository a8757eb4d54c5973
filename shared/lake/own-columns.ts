// The columns of a table of its own (an upload or a view): whatever its files carry, by name.
import { widerType } from "../contracts/typed-columns";

export interface OwnColumn {
  name: string;
  type: string;
}

/**
 * One table's columns from its files' column lists: the union by name (case-insensitive, as SQL
 * binds them), each at the widest type any file gave it, in the order the columns first appeared.
 * @example unionOwnColumns([[{ name: "id", type: "BIGINT" }], [{ name: "id", type: "DOUBLE" }]]) // [{ name: "id", type: "DOUBLE" }]
 */
export function unionOwnColumns(lists: readonly (readonly OwnColumn[])[]): OwnColumn[] {
  const out = new Map<string, OwnColumn>();
  for (const list of lists) {
    for (const c of list) {
      const key = c.name.toLowerCase();
      const known = out.get(key);
      if (known) known.type = widerType(known.type, c.type);
      else out.set(key, { name: c.name, type: c.type });
    }
  }
  return [...out.values()];
}
