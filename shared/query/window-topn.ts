// "First n rows per partition" without holding every row: a block whose only window call is
// row_number() and whose QUALIFY keeps row_number <= n (= 1, < n + 1, …) needs, of each partition,
// only its first n rows by (ORDER BY, arrival): the others cannot pass QUALIFY, and dropping rows
// that sort after a row never changes that row's number. So the input is reduced while it streams
// to each partition's best n rows (memory: partitions × n, not rows), and the window runs over those.
import type { QueryPlan } from "./bind";
import type { Bound } from "./bound";
import { evaluate, filterSteps } from "./evaluate";
import type { ExecEnv } from "./exec-env";
import { compareIntervals, compareValues } from "./ops-logic";
import { physicalOf } from "./types";
import { asAny, type Batch, fromValues, type Vec, valueAt } from "./vector";

const MIRROR: Record<string, string> = { "=": "=", "<=": ">=", "<": ">", ">=": "<=", ">": "<" };

/** How many rows per partition the block's QUALIFY can keep at most, or null when it is not that shape. */
export function topNOf(plan: QueryPlan): number | null {
  const w = plan.windows;
  const call = w?.calls[0];
  if (!w || !call || w.calls.length !== 1 || call.name !== "row_number" || plan.aggregate || !w.qualify) return null;
  let best: number | null = null;
  for (const step of filterSteps(w.qualify)) {
    if (step.kind !== "fn" || step.args.length !== 2) continue;
    const [a, b] = step.args as [Bound, Bound];
    const isRank = (x: Bound) => x.kind === "col" && x.slot === w.base;
    let op: string | undefined;
    let value: unknown;
    if (isRank(a) && b.kind === "const") {
      op = step.fn.name;
      value = b.value;
    } else if (isRank(b) && a.kind === "const") {
      op = MIRROR[step.fn.name];
      value = a.value;
    }
    if (typeof value !== "number" || !Number.isInteger(value)) continue;
    const n = op === "=" || op === "<=" ? value : op === "<" ? value - 1 : null;
    if (n !== null) best = Math.max(0, best === null ? n : Math.min(best, n));
  }
  return best;
}

interface Candidate {
  seq: number;
  order: unknown[];
  row: (unknown | undefined)[];
}

type Kind = "num" | "str" | "obj";

function kindOf(v: Vec): Kind {
  if (v.kind === "dict") return kindOf(v.dict);
  if (v.kind === "const")
    return typeof v.value === "string" ? "str" : typeof v.value === "object" && v.value !== null ? "obj" : "num";
  return v.kind;
}

/**
 * Each partition's first `n` rows of the input (WHERE already applied), in arrival order, as one
 * batch; null once more than env.maxJoinRows rows would be held.
 */
export async function reduceTopN(
  plan: QueryPlan,
  input: AsyncGenerator<Batch>,
  n: number,
  env: ExecEnv,
): Promise<Batch | null> {
  const call = (plan.windows as NonNullable<QueryPlan["windows"]>).calls[0] as NonNullable<
    QueryPlan["windows"]
  >["calls"][number];
  // No row can pass: nothing to read.
  if (n === 0) return { n: 0, cols: [] };
  const objs = call.orderBy.map((o) => physicalOf(o.expr.type) === "obj");
  const width = call.orderBy.length;
  /** Candidate x against row i of the batch whose ORDER BY values are `ord` (then arrival). */
  const compare = (x: Candidate, ord: unknown[][], i: number, seq: number) => {
    for (let j = 0; j < width; j++) {
      const a = x.order[j] ?? null;
      const b = (ord[j] as unknown[])[i] ?? null;
      if (a === b) continue;
      const o = call.orderBy[j] as (typeof call.orderBy)[number];
      if (a === null || b === null) return (a === null) === o.nullsFirst ? -1 : 1;
      const c =
        typeof a === "number" && typeof b === "number"
          ? a < b
            ? -1
            : a > b
              ? 1
              : 0
          : objs[j]
            ? compareIntervals(a, b)
            : compareValues(a, b);
      if (c !== 0) return o.desc ? -c : c;
    }
    return x.seq - seq;
  };
  const best = new Map<unknown, Candidate[]>();
  const kinds: (Kind | undefined)[] = [];
  let held = 0;
  let seq = 0;
  for await (const batch of input) {
    env.checkpoint();
    batch.cols.forEach((c, j) => {
      if (!c) return;
      const k = kindOf(c);
      const was = kinds[j];
      kinds[j] = was === undefined || was === k ? k : was === "str" || k === "str" ? "str" : "obj";
    });
    const parts = call.partitionBy.map((p) => asAny(evaluate(p, batch, env.ctx)));
    const ord = call.orderBy.map((o) => asAny(evaluate(o.expr, batch, env.ctx)));
    const one = parts.length === 1 ? (parts[0] as unknown[]) : null;
    for (let i = 0; i < batch.n; i++, seq++) {
      let key: unknown = null;
      if (one) {
        const v = one[i] ?? null;
        key = typeof v === "object" && v !== null ? JSON.stringify(v) : v;
      } else if (parts.length > 1) key = JSON.stringify(parts.map((p) => p[i] ?? null));
      let list = best.get(key);
      if (!list) {
        list = [];
        best.set(key, list);
      } else if (list.length >= n && compare(list[list.length - 1] as Candidate, ord, i, seq) < 0) continue;
      const row = batch.cols.map((c) => (c ? valueAt(c, i) : undefined));
      let at = list.length;
      while (at > 0 && compare(list[at - 1] as Candidate, ord, i, seq) > 0) at--;
      list.splice(at, 0, { seq, order: ord.map((v) => v[i] ?? null), row });
      if (list.length > n) list.pop();
      else if (++held > env.maxJoinRows) return null;
    }
  }
  const kept: Candidate[] = [];
  for (const list of best.values()) for (const c of list) kept.push(c);
  kept.sort((a, b) => a.seq - b.seq);
  const cols = kinds.map((k, j) =>
    k
      ? fromValues(
          k,
          kept.map((c) => c.row[j] ?? null),
        )
      : undefined,
  );
  return { n: kept.length, cols };
}
