// The plan as a tree: numbering (a split names its scan by number), and the rewrites that need the
// whole tree: filters pushed below joins into the sides' scans (and so into file pruning), and join
// sides cut down to the columns the query reads.

import type { Select } from "./ast";
import {
  andAll,
  type BindOptions,
  bindSelect,
  conjuncts,
  neededOf,
  pushableInWhere,
  type QueryPlan,
  remapSlots,
} from "./bind";
import type { Bound, EvalContext } from "./bound";
import { slotsOf } from "./bound";

/** The plans a plan reads from, in a fixed order. */
export function childPlans(plan: QueryPlan): QueryPlan[] {
  const s = plan.source;
  const out: QueryPlan[] =
    s.kind === "subquery"
      ? [s.plan]
      : s.kind === "join"
        ? [s.join.left, s.join.right]
        : s.kind === "setop"
          ? [s.left, s.right]
          : [];
  for (const sub of plan.subqueries ?? []) out.push(sub.plan);
  return out;
}

/** Every plan of the tree, pre-order. */
export function allPlans(root: QueryPlan): QueryPlan[] {
  const out: QueryPlan[] = [];
  const walk = (p: QueryPlan) => {
    out.push(p);
    for (const c of childPlans(p)) walk(c);
  };
  walk(root);
  return out;
}

export function findPlan(root: QueryPlan, id: number): QueryPlan | undefined {
  return allPlans(root).find((p) => p.id === id);
}

function pruneSide(side: QueryPlan, keep: number[]): void {
  const columns = side.columns;
  side.outputs = keep.map((slot) => ({ kind: "col", slot, type: columns[slot]?.type ?? "VARCHAR" }) as Bound);
  side.columns = keep.map((slot) => columns[slot] as (typeof columns)[number]);
  side.needed = neededOf(side);
}

/** Push WHERE below joins and cut join sides to the columns read, top-down. */
function optimize(plan: QueryPlan, ctx: EvalContext): void {
  const src = plan.source;
  if (src.kind === "join") {
    const j = src.join;
    const lw = j.leftWidth;
    const rw = j.rightWidth;
    const kept: Bound[] = [];
    for (const c of conjuncts(plan.where)) {
      const slots = [...slotsOf(c)];
      if (slots.length > 0 && slots.every((s) => s < lw) && pushableInWhere(j.joinType, "left")) {
        j.left.where = andAll([j.left.where, c], ctx);
      } else if (
        slots.length > 0 &&
        slots.every((s) => s >= lw && s < lw + rw) &&
        pushableInWhere(j.joinType, "right")
      ) {
        j.right.where = andAll([j.right.where, remapSlots(c, (s) => s - lw)], ctx);
      } else kept.push(c);
    }
    plan.where = andAll(kept, ctx);
    plan.needed = neededOf(plan);
    const need = new Set(plan.needed);
    if (j.residual) slotsOf(j.residual, need);
    for (const m of j.merged) {
      need.add(m.left);
      need.add(lw + m.right);
    }
    const left = new Set<number>();
    const right = new Set<number>();
    for (const s of need) {
      if (s < lw) left.add(s);
      else if (s < lw + rw) right.add(s - lw);
    }
    for (const k of j.leftKeys) slotsOf(k, left);
    for (const k of j.rightKeys) slotsOf(k, right);
    j.leftSlots = [...left].sort((a, b) => a - b);
    j.rightSlots = [...right].sort((a, b) => a - b);
    pruneSide(j.left, j.leftSlots);
    pruneSide(j.right, j.rightSlots);
  }
  for (const c of childPlans(plan)) optimize(c, ctx);
}

/** Bind, optimize and number a SELECT: the plan every entry point (run, split, explain) executes. */
export function planQuery(select: Select, opts: BindOptions): QueryPlan {
  const root = bindSelect(select, opts);
  optimize(root, opts.ctx);
  allPlans(root).forEach((p, i) => {
    p.id = i;
  });
  return root;
}
