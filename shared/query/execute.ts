// Running a bound plan: source batches → WHERE → (grouping) → HAVING → output, streaming where it can.
// A large table scan can be split over sub-invocations (env.fanOut, split-run.ts): each runs the same
// SELECT over some files up to its partial answer, and this invocation merges them and finishes.
// Sources other than a table: a FROM subquery, a join (hash-join.ts), a set operation (set-ops.ts).
import { Aggregator, finishGroups } from "./aggregator";
import type { QueryPlan } from "./bind";
import { type Bound, readsLocal } from "./bound";
import { applyFilter, filterSteps } from "./evaluate";
import type { ExecEnv } from "./exec-env";
import { aggregateOrCount, extrapolated, groupPartitionable, overGroupCap, ownOverflow } from "./group-partitions";
import { executeJoin, type JoinRunner } from "./hash-join";
import { shouldSplit } from "./partial";
import { executeSetOp } from "./set-ops";
import { Sink } from "./sink";
import { coordinateSplits } from "./split-run";
import { runSubqueries } from "./subquery-run";
import { listTable, scanTable, tableName } from "./table-scan";
import type { Batch } from "./vector";
import { partitionedRun } from "./window-partitions";
import { applyWindows } from "./window-run";

const runner = (env: ExecEnv): JoinRunner => ({
  execute: (plan) => execute(plan, env),
  estimate: (plan) => estimateRows(plan, env),
});

function source(plan: QueryPlan, env: ExecEnv): AsyncGenerator<Batch> {
  const s = plan.source;
  if (s.kind === "subquery") return execute(s.plan, env);
  if (s.kind === "join") return executeJoin(s.join, env, runner(env), env.maxJoinRows);
  if (s.kind === "setop") return executeSetOp(s.op, s.all, execute(s.left, env), () => execute(s.right, env), env);
  return (async function* () {
    yield { n: 1, cols: [] };
  })();
}

/**
 * About how many rows a plan produces, from the manifest's row counts of the files its scans would
 * read (after pruning): enough to choose a join's build side.
 */
export async function estimateRows(plan: QueryPlan, env: ExecEnv): Promise<number> {
  const s = plan.source;
  let rows: number;
  const table = tableName(plan);
  if (table !== null) {
    const scan = await listTable(plan, table, env);
    rows = scan.files.reduce((n, f) => n + f.rows, 0);
    // Each pushed-down condition beyond the ones the manifest already used keeps about a third.
    if (plan.where) rows = Math.ceil(rows / 3);
  } else if (s.kind === "subquery") rows = await estimateRows(s.plan, env);
  else if (s.kind === "join") {
    const [l, r] = await Promise.all([estimateRows(s.join.left, env), estimateRows(s.join.right, env)]);
    rows = Math.max(l, r);
  } else if (s.kind === "setop") {
    const [l, r] = await Promise.all([estimateRows(s.left, env), estimateRows(s.right, env)]);
    rows = s.op === "union" ? l + r : l;
  } else rows = 1;
  // Groups: a tenth of the rows per GROUP BY key (more keys, more combinations), so that a join of
  // `GROUP BY user_id` with `SELECT DISTINCT user_id, week` builds the first, which has fewer.
  if (plan.aggregate) {
    const keys = plan.aggregate.keys.length;
    rows = keys === 0 ? 1 : Math.ceil((rows * Math.min(keys, 10)) / 10);
  }
  if (plan.limit !== null) rows = Math.min(rows, plan.limit + plan.offset);
  return rows;
}

/**
 * Whether a scan can run in splits: not with windows (they need every row here) nor when it reads a
 * subquery's answer (only this invocation holds it).
 */
export function splittable(plan: QueryPlan): boolean {
  if (plan.windows) return false;
  const parts: (Bound | null)[] = [plan.where, plan.having, ...plan.outputs, ...plan.orderBy.map((o) => o.expr)];
  if (plan.aggregate)
    parts.push(...plan.aggregate.keys, ...plan.aggregate.aggs.flatMap((a) => [a.arg, a.arg2 ?? null]));
  return !parts.some(readsLocal);
}

/** About how many rows the plan's source gives (before WHERE and grouping). */
function sourceRows(plan: QueryPlan, env: ExecEnv): Promise<number> {
  return estimateRows({ ...plan, where: null, aggregate: null, limit: null, offset: 0 }, env);
}

/** The plan's result as batches of its output columns. */
export async function* execute(plan: QueryPlan, env: ExecEnv): AsyncGenerator<Batch> {
  if (plan.subqueries?.length) await runSubqueries(plan, env, execute);
  // Windows over more rows than one invocation holds: hash partitions (window-partitions.ts).
  const partitioned = await partitionedRun(plan, env, execute);
  if (partitioned) {
    yield* partitioned;
    return;
  }
  const steps = filterSteps(plan.where);
  const sink = new Sink(plan, env.ctx, env.maxRows);
  if (sink.done) return;
  const table = tableName(plan);
  const scan = table === null ? null : await listTable(plan, table, env);
  const shape = {
    // A join side with a filter pushed into it sends back only its matching rows: worth splitting.
    grouped: plan.aggregate !== null || (plan.joinSide === true && plan.where !== null),
    rows: plan.limit === null ? null : plan.limit + plan.offset,
  };
  // GROUP BY past the group cap starts again in hash partitions of its keys (group-partitions.ts):
  // each pass reads the input afresh.
  const again = () => (scan ? scanTable(plan, scan, env, new Sink(plan, env.ctx, env.maxRows)) : source(plan, env));
  if (scan && splittable(plan) && env.fanOut && shouldSplit(scan.files, env.fanOut, shape)) {
    try {
      yield* coordinateSplits(plan, env, plan.id, scan.files, sink);
    } catch (error) {
      const overflow = ownOverflow(plan, error);
      if (!overflow) throw error;
      const total = scan.files.reduce((n, f) => n + f.rows, 0);
      const groups = extrapolated(overflow.reached, overflow.share);
      yield* overGroupCap(plan, env, sink, again, total, groups, scan.files);
    }
    return;
  }
  const input = scan ? scanTable(plan, scan, env, sink) : source(plan, env);
  if (plan.windows) {
    yield* applyWindows(plan, input, steps, env, sink);
    return;
  }
  if (plan.aggregate) {
    const agg = new Aggregator(plan.aggregate, env);
    // Past the cap (and partitionable), the rest of the input is only counted, to size the partitions.
    const groups = groupPartitionable(plan)
      ? await aggregateOrCount(plan, agg, input, steps, env)
      : await agg.addAll(input, steps).then(() => null);
    if (groups !== null) {
      const total = scan ? scan.files.reduce((n, f) => n + f.rows, 0) : await sourceRows(plan, env);
      yield* overGroupCap(plan, env, sink, again, total, groups, scan && splittable(plan) ? scan.files : null);
      return;
    }
    yield* finishGroups(plan, agg, env, sink);
  } else {
    for await (const batch of input) {
      env.checkpoint();
      const out = sink.push(applyFilter(steps, batch, env.ctx));
      if (out) yield out;
      if (sink.done) break;
    }
  }
  const rest = sink.finish();
  if (rest && rest.n > 0) yield rest;
}
