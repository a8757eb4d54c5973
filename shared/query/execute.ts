// Running a bound plan: source batches → WHERE → (grouping) → HAVING → output, streaming where it can.
// A large table scan can be split over sub-invocations (env.fanOut, split-run.ts): each runs the same
// SELECT over some files up to its partial answer, and this invocation merges them and finishes.
import { Aggregator, finishGroups } from "./aggregator";
import type { QueryPlan } from "./bind";
import { applyFilter, filterSteps } from "./evaluate";
import type { ExecEnv } from "./exec-env";
import { shouldSplit } from "./partial";
import { Sink } from "./sink";
import { coordinateSplits } from "./split-run";
import { listTable, scanTable, tableName } from "./table-scan";
import type { Batch } from "./vector";

function source(plan: QueryPlan, env: ExecEnv, depth: number): AsyncGenerator<Batch> {
  if (plan.source.kind === "subquery") return execute(plan.source.plan, env, depth + 1);
  return (async function* () {
    yield { n: 1, cols: [] };
  })();
}

/** The plan's result as batches of its output columns; `depth` counts FROM subqueries above it. */
export async function* execute(plan: QueryPlan, env: ExecEnv, depth = 0): AsyncGenerator<Batch> {
  const steps = filterSteps(plan.where);
  const sink = new Sink(plan, env.ctx, env.maxRows);
  if (sink.done) return;
  const table = tableName(plan);
  const scan = table === null ? null : await listTable(plan, table, env);
  const shape = { grouped: plan.aggregate !== null, rows: plan.limit === null ? null : plan.limit + plan.offset };
  if (scan && env.fanOut && shouldSplit(scan.files, env.fanOut, shape)) {
    yield* coordinateSplits(plan, env, depth, scan.files, sink);
    return;
  }
  const input = scan ? scanTable(plan, scan, env, sink) : source(plan, env, depth);
  if (plan.aggregate) {
    const agg = new Aggregator(plan.aggregate, env);
    await agg.addAll(input, steps);
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
