// Whether a model's answer has the reference query's rows: values compared by position, rows as a
// multiset (a correct answer may order or name its columns differently), numbers to 1e-6 relative.

type Row = Record<string, unknown>;

function normal(v: unknown): string {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toPrecision(7);
  if (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v)) return normal(Number(v));
  return JSON.stringify(v ?? null);
}

/** A row as its sorted values: column names and order do not matter. */
function key(row: Row): string {
  return Object.values(row).map(normal).sort().join("|");
}

export function sameRows(reference: Row[], answer: Row[]): boolean {
  if (reference.length !== answer.length) return false;
  const a = reference.map(key).sort();
  const b = answer.map(key).sort();
  return a.every((k, i) => k === b[i]);
}
