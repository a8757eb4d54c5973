// Predicates the scan can use before reading rows: ranges and value sets per column, from WHERE's conjuncts.
import type { Bound } from "./bound";
import { compareValues } from "./ops-logic";

/** What the conjuncts of WHERE require of one column (all conditions hold together). */
export interface ColumnRange {
  lo: unknown;
  loInclusive: boolean;
  hi: unknown;
  hiInclusive: boolean;
  /** The column must equal one of these (null: no such condition). */
  values: Set<unknown> | null;
  notNull: boolean;
  isNull: boolean;
}

function emptyRange(): ColumnRange {
  return { lo: null, loInclusive: true, hi: null, hiInclusive: true, values: null, notNull: false, isNull: false };
}

const FLIP: Record<string, string> = { "=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<=" };

function conjuncts(b: Bound): Bound[] {
  return b.kind === "fn" && b.fn.name === "AND" ? b.args.flatMap(conjuncts) : [b];
}

/** A column compared with a constant: the slot, the operator with the column on the left, the value. */
function comparison(b: Bound): { slot: number; op: string; value: unknown } | null {
  if (b.kind !== "fn" || b.args.length !== 2 || !(b.fn.name in FLIP)) return null;
  const [l, r] = b.args as [Bound, Bound];
  if (l.kind === "col" && r.kind === "const" && r.value !== null)
    return { slot: l.slot, op: b.fn.name, value: r.value };
  if (r.kind === "col" && l.kind === "const" && l.value !== null)
    return { slot: r.slot, op: FLIP[b.fn.name] as string, value: l.value };
  return null;
}

/** A set of values one column must take, from `=`, `IN` or an OR of those on the same column. */
function valueSet(b: Bound): { slot: number; values: Set<unknown> } | null {
  const cmp = comparison(b);
  if (cmp && cmp.op === "=") return { slot: cmp.slot, values: new Set([cmp.value]) };
  if (b.kind === "fn" && b.fn.name === "IN") {
    const [x, ...list] = b.args as [Bound, ...Bound[]];
    if (x.kind !== "col" || !list.every((l) => l.kind === "const")) return null;
    return {
      slot: x.slot,
      values: new Set(list.map((l) => (l as { value: unknown }).value).filter((v) => v !== null)),
    };
  }
  if (b.kind === "fn" && b.fn.name === "OR") {
    let slot = -1;
    const values = new Set<unknown>();
    for (const arg of b.args) {
      const s = valueSet(arg);
      if (!s || (slot >= 0 && s.slot !== slot)) return null;
      slot = s.slot;
      for (const v of s.values) values.add(v);
    }
    return slot >= 0 ? { slot, values } : null;
  }
  return null;
}

function tighten(r: ColumnRange, op: string, value: unknown): void {
  if (op === "=") {
    tighten(r, ">=", value);
    tighten(r, "<=", value);
    return;
  }
  if (op === ">" || op === ">=") {
    const c = r.lo === null ? 1 : compareValues(value, r.lo);
    if (c > 0 || (c === 0 && op === ">")) {
      r.lo = value;
      r.loInclusive = op === ">=";
    }
  } else if (op === "<" || op === "<=") {
    const c = r.hi === null ? -1 : compareValues(value, r.hi);
    if (c < 0 || (c === 0 && op === "<")) {
      r.hi = value;
      r.hiInclusive = op === "<=";
    }
  }
}

/** Column requirements (by slot) implied by WHERE. */
export function extractRanges(where: Bound | null): Map<number, ColumnRange> {
  const out = new Map<number, ColumnRange>();
  if (!where) return out;
  const range = (slot: number) => {
    let r = out.get(slot);
    if (!r) {
      r = emptyRange();
      out.set(slot, r);
    }
    return r;
  };
  for (const c of conjuncts(where)) {
    const set = valueSet(c);
    if (set) {
      const r = range(set.slot);
      r.values = r.values ? new Set([...r.values].filter((v) => set.values.has(v))) : set.values;
      r.notNull = true;
      continue;
    }
    const cmp = comparison(c);
    if (cmp && cmp.op !== "<>") {
      const r = range(cmp.slot);
      tighten(r, cmp.op, cmp.value);
      r.notNull = true;
      continue;
    }
    if (c.kind === "fn" && (c.fn.name === "IS NULL" || c.fn.name === "IS NOT NULL") && c.args[0]?.kind === "col") {
      const r = range(c.args[0].slot);
      if (c.fn.name === "IS NULL") r.isNull = true;
      else r.notNull = true;
    }
  }
  return out;
}

/** Whether values in [min, max] (either bound may be unknown) can satisfy a range. */
export function mayMatch(r: ColumnRange, min: unknown, max: unknown): boolean {
  if (r.isNull && r.notNull) return false;
  if (r.lo !== null && max !== null && max !== undefined) {
    const c = compareValues(max, r.lo);
    if (c < 0 || (c === 0 && !r.loInclusive)) return false;
  }
  if (r.hi !== null && min !== null && min !== undefined) {
    const c = compareValues(min, r.hi);
    if (c > 0 || (c === 0 && !r.hiInclusive)) return false;
  }
  if (r.values) {
    for (const v of r.values) {
      if (min !== null && min !== undefined && compareValues(v, min) < 0) continue;
      if (max !== null && max !== undefined && compareValues(v, max) > 0) continue;
      return true;
    }
    return false;
  }
  return true;
}
