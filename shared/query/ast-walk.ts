// Visiting every node of a syntax tree (expressions, FROM items, nested SELECTs) without knowing its shape.

/** Calls `visit` for every object in the tree that has a string `kind`, parents before children. */
export function walkNodes(node: unknown, visit: (n: { kind: string } & Record<string, unknown>) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) walkNodes(item, visit);
    return;
  }
  if (node === null || typeof node !== "object") return;
  const record = node as Record<string, unknown>;
  if (typeof record.kind === "string") visit(record as { kind: string } & Record<string, unknown>);
  for (const value of Object.values(record)) walkNodes(value, visit);
}
