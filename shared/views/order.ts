// Dependencies between views: which views a view reads, cycles refused, refresh in dependency order.

export interface ViewNode {
  name: string;
  /** Tables the view's SELECT reads; only names of other views matter here. */
  dependsOn: readonly string[];
}

/**
 * The cycle a definition would close, as the path of view names from `name` back to itself, or
 * null. `views` is every view of the project with the candidate's new definition in place.
 * @example findCycle("a", [{ name: "a", dependsOn: ["b"] }, { name: "b", dependsOn: ["a"] }]) // ["a", "b", "a"]
 */
export function findCycle(name: string, views: readonly ViewNode[]): string[] | null {
  const byName = new Map(views.map((v) => [v.name, v]));
  const path: string[] = [];
  const done = new Set<string>();
  const walk = (at: string): string[] | null => {
    if (path.includes(at)) return [...path.slice(path.indexOf(at)), at];
    if (done.has(at)) return null;
    const node = byName.get(at);
    if (!node) return null;
    path.push(at);
    for (const dep of node.dependsOn) {
      const cycle = walk(dep);
      if (cycle) return cycle;
    }
    path.pop();
    done.add(at);
    return null;
  };
  return walk(name);
}

/**
 * The views in an order where every view comes after the views it reads (Kahn's algorithm, ties by
 * name so the order is stable). Views in a cycle (which creation refuses) are left out.
 */
export function refreshOrder(views: readonly ViewNode[]): string[] {
  const names = new Set(views.map((v) => v.name));
  const waiting = new Map(views.map((v) => [v.name, new Set(v.dependsOn.filter((d) => names.has(d) && d !== v.name))]));
  const order: string[] = [];
  for (;;) {
    const ready = [...waiting]
      .filter(([, deps]) => deps.size === 0)
      .map(([n]) => n)
      .sort();
    if (ready.length === 0) break;
    for (const n of ready) {
      waiting.delete(n);
      order.push(n);
      for (const deps of waiting.values()) deps.delete(n);
    }
  }
  return order;
}

/** Every view that reads `name`, directly or through other views (for DELETE: what would break). */
export function dependentsOf(name: string, views: readonly ViewNode[]): string[] {
  const out = new Set<string>();
  let frontier = [name];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const v of views) {
      if (!out.has(v.name) && v.name !== name && v.dependsOn.some((d) => frontier.includes(d))) {
        out.add(v.name);
        next.push(v.name);
      }
    }
    frontier = next;
  }
  return [...out].sort();
}
