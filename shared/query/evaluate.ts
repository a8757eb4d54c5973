// Evaluating bound expressions over a batch, column at a time; functions run on dictionaries when they can.

import { type Bound, type EvalContext, ROW_POLICY_FN, type ScalarFn, slotsOf } from "./bound";
import { physicalOf } from "./types";
import { type Batch, constVec, fromValues, gather, gatherBatch, selectTrue, type Vec, valueAt } from "./vector";

function call(fn: ScalarFn, args: Vec[], n: number, ctx: EvalContext): Vec {
  // A strict function of one dictionary column and constants only needs the dictionary's entries.
  if (fn.strict && args.length > 0) {
    let dictAt = -1;
    for (let i = 0; i < args.length; i++) {
      const a = args[i] as Vec;
      if (a.kind === "dict") {
        if (dictAt >= 0) {
          dictAt = -2;
          break;
        }
        dictAt = i;
      } else if (a.kind !== "const") {
        dictAt = -2;
        break;
      }
    }
    if (dictAt >= 0) {
      const d = args[dictAt] as Extract<Vec, { kind: "dict" }>;
      if (d.dict.n < n) {
        const m = d.dict.n;
        const inner = args.map((a, i) => (i === dictAt ? d.dict : { ...a, n: m }));
        try {
          return { kind: "dict", n, dict: fn.impl(inner, m, ctx), codes: d.codes };
        } catch {
          // An entry no row of this batch uses (one a filter or a row-level policy removed) may not
          // convert: only the rows' own values may fail the query, so evaluate those.
        }
      }
    }
  }
  return fn.impl(args, n, ctx);
}

export function evaluate(b: Bound, batch: Batch, ctx: EvalContext): Vec {
  switch (b.kind) {
    case "col": {
      const v = batch.cols[b.slot];
      if (!v) throw new Error(`column slot ${b.slot} was not read`);
      return v;
    }
    case "const":
      return constVec(b.value, batch.n);
    case "fn":
      return call(
        b.fn,
        b.args.map((a) => evaluate(a, batch, ctx)),
        batch.n,
        ctx,
      );
    case "case":
      return evaluateCase(b, batch, ctx);
  }
}

/** CASE evaluates each branch only on the rows that reach it (so a CAST in another branch cannot fail). */
function evaluateCase(b: Extract<Bound, { kind: "case" }>, batch: Batch, ctx: EvalContext): Vec {
  const n = batch.n;
  const out: unknown[] = new Array(n).fill(null);
  let rows = Int32Array.from({ length: n }, (_, i) => i);
  let current = batch;
  // Rows still undecided carry only the columns later branches read (a wide batch is not copied).
  const later = b.whens.map((_, j) => {
    const slots = slotsOf(b.otherwise);
    for (let k = j + 1; k < b.whens.length; k++) {
      const w = b.whens[k] as (typeof b.whens)[number];
      slotsOf(w.when, slots);
      slotsOf(w.result, slots);
    }
    return slots;
  });
  b.whens.forEach((w, j) => {
    if (current.n === 0) return;
    const cond = evaluate(w.when, current, ctx);
    const { sel, count } = selectTrue(cond);
    if (count > 0) {
      if (w.result.kind === "const") {
        const value = w.result.value;
        for (let k = 0; k < count; k++) out[rows[sel[k] as number] as number] = value;
      } else {
        const values = evaluate(w.result, gatherSlots(current, sel, count, slotsOf(w.result)), ctx);
        for (let k = 0; k < count; k++) out[rows[sel[k] as number] as number] = valueAt(values, k);
      }
    }
    const hit = new Uint8Array(current.n);
    for (let k = 0; k < count; k++) hit[sel[k] as number] = 1;
    const miss = new Int32Array(current.n - count);
    for (let i = 0, m = 0; i < current.n; i++) if (!hit[i]) miss[m++] = i;
    rows = miss.map((i) => rows[i] as number);
    current = gatherSlots(current, miss, miss.length, later[j] as Set<number>);
  });
  if (current.n > 0) {
    if (b.otherwise.kind === "const") {
      const value = b.otherwise.value;
      for (let k = 0; k < current.n; k++) out[rows[k] as number] = value;
    } else {
      const values = evaluate(b.otherwise, current, ctx);
      for (let k = 0; k < current.n; k++) out[rows[k] as number] = valueAt(values, k);
    }
  }
  const phys = physicalOf(b.type);
  return phys === "null" ? constVec(null, n) : fromValues(phys, out);
}

/** Rows `sel[0..count)` of a batch, with only the given columns (the others left undefined). */
function gatherSlots(batch: Batch, sel: Int32Array, count: number, slots: Set<number>): Batch {
  if (count === batch.n) return batch;
  const cols: (Vec | undefined)[] = new Array(batch.cols.length);
  for (const slot of slots) {
    const col = batch.cols[slot];
    if (col) cols[slot] = gather(col, sel, count);
  }
  return { n: count, cols };
}

/** A rough cost, so cheap conjuncts of WHERE run first and narrow the batch for the expensive ones. */
function cost(b: Bound): number {
  // A row-level policy first, whatever it costs: nothing else may see the rows it removes.
  if (b.kind === "fn" && b.fn.name === ROW_POLICY_FN) return -1e15;
  if (b.kind === "fn") {
    const own = b.fn.name.startsWith("json") ? 20 : b.fn.name.includes("LIKE") ? 5 : 1;
    return own + b.args.reduce((s, a) => s + cost(a), 0);
  }
  if (b.kind === "case") return 10 + b.whens.reduce((s, w) => s + cost(w.when) + cost(w.result), 0);
  return 0;
}

/** The conjuncts of a filter, cheapest first. */
export function filterSteps(where: Bound | null): Bound[] {
  if (!where) return [];
  const parts = where.kind === "fn" && where.fn.name === "AND" ? where.args : [where];
  return [...parts].sort((a, b) => cost(a) - cost(b));
}

/** Keep the rows where every step is true, narrowing the batch after each step. */
export function applyFilter(steps: Bound[], batch: Batch, ctx: EvalContext): Batch {
  let current = batch;
  for (const step of steps) {
    if (current.n === 0) return current;
    const { sel, count } = selectTrue(evaluate(step, current, ctx));
    current = gatherBatch(current, sel, count);
  }
  return current;
}
