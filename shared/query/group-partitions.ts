// GROUP BY past the group cap (ExecEnv.maxGroups): answered in hash partitions of its GROUP BY keys.
// Rows with equal keys hash alike, so each partition (the plan's input read again, WHERE applied,
// then only the rows whose keys hash to index mod count) holds whole groups: its aggregates are
// final, HAVING applies per group, and the partitions' rows are only concatenated into the plan's
// sink (ORDER BY, DISTINCT and LIMIT apply once all are in), with no merge of groups between them.
//
// When: the group count cannot be told from the manifest (10M rows may hold ten groups), so a GROUP
// BY runs as before, and only when its aggregator passes the cap (GroupOverflow, nothing yielded
// yet) does it give up its groups and start again in partitions. In process the rest of that first
// pass only counts the keys (a HyperLogLog of their hashes, with those of the groups held): count =
// ⌈groups ÷ (0.8 × cap)⌉, at least 2. Over splits the count extrapolates the groups held by the
// share of the rows merged (new keys arriving at the rate they did). A partition that still passes
// the cap is cut again, into as many parts as its own pass suggests, and its siblings not yet run
// alike, twice at most; past a budget of passes the query is QUERY_TOO_LARGE, with a hint.
//
// In process, partitions run one after another, each holding at most the cap. With a fan-out and a
// table scan the plan could split, each partition is a split (SplitRequest.groupPartition) over the
// plan's whole scan, answering its partition's finished rows; the coordinator concatenates them
// (a partition whose rows are too many to send back runs here instead).

import { HyperLogLog } from "../sketch/hll";
import { Aggregator, finishGroups, GroupOverflow } from "./aggregator";
import type { QueryPlan } from "./bind";
import type { Bound } from "./bound";
import type { FileRef } from "./catalog";
import { QueryError } from "./errors";
import { applyFilter, evaluate, filterSteps } from "./evaluate";
import type { ExecEnv } from "./exec-env";
import { addStatistics, type FanOut, type HashPartition, type PartialAnswer, partialBytes, runSplits } from "./partial";
import { keepPartition, keyHashes } from "./partition-hash";
import { Sink } from "./sink";
import { retryingLostSplits, splitRequest } from "./split-run";
import { keptFiles, rangesOf, scanTable } from "./table-scan";
import { type Batch, type Vec, valueAt } from "./vector";

/** Partitions are sized to fill this share of the cap: keys hash unevenly, and a cut costs a pass. */
const PARTITION_FILL = 0.8;
/** A partition past the cap is cut again at most this many times. */
const MAX_RECUTS = 2;
/** Passes over the input one GROUP BY may make in one invocation (partitions and their cuts). */
export const MAX_GROUP_PASSES = 32;

/** The plan's input as it is read once more for a pass: source rows, before WHERE. */
export type GroupInput = () => AsyncGenerator<Batch>;

/** Whether a GROUP BY can run in hash partitions: it has keys and no window over its groups. */
export function groupPartitionable(plan: QueryPlan): boolean {
  return plan.aggregate !== null && plan.aggregate.keys.length > 0 && !plan.windows;
}

/** The error, when it is this plan's own aggregate passing the cap and the plan can be partitioned. */
export function ownOverflow(plan: QueryPlan, error: unknown): GroupOverflow | null {
  return error instanceof GroupOverflow && error.aggregate === plan.aggregate && groupPartitionable(plan)
    ? error
    : null;
}

/** Partitions for about `groups` groups, each holding about 80 % of `perPartition`; at least 2. */
function partitionsFor(groups: number, perPartition: number): number {
  return Math.max(2, Math.ceil(groups / (PARTITION_FILL * perPartition)));
}

/** Groups a GROUP BY that held `reached` groups with `share` of its input read would have, if new keys kept coming at that rate. */
export function extrapolated(reached: number, share: number): number {
  return reached / Math.min(1, Math.max(share, 1e-6));
}

/**
 * Fold the input (WHERE's steps applied) into `agg`. Past the cap, the aggregator is given up and
 * the rest of the input only counted: its keys and those held go into a HyperLogLog of their
 * hashes, which estimates the groups of the whole input (within about 1 %). Answers that estimate,
 * or null when every group fit.
 */
export async function aggregateOrCount(
  plan: QueryPlan,
  agg: Aggregator,
  input: AsyncGenerator<Batch>,
  steps: Bound[],
  env: ExecEnv,
): Promise<number | null> {
  const aggregate = plan.aggregate as NonNullable<QueryPlan["aggregate"]>;
  let sketch: HyperLogLog | null = null;
  const count = (keys: Vec[], n: number) => {
    for (const h of keyHashes(keys, n)) (sketch as HyperLogLog).add(h);
  };
  for await (const batch of input) {
    env.checkpoint();
    const kept = applyFilter(steps, batch, env.ctx);
    if (kept.n === 0) continue;
    if (sketch) {
      count(
        aggregate.keys.map((k) => evaluate(k, kept, env.ctx)),
        kept.n,
      );
      continue;
    }
    try {
      agg.add(kept);
    } catch (error) {
      if (!ownOverflow(plan, error)) throw error;
      // The batch that passed the cap is in the groups already.
      sketch = new HyperLogLog();
      const held = agg.keyColumns();
      count(held, agg.groupCount);
    }
  }
  return sketch ? Math.max((sketch as HyperLogLog).estimate(), env.maxGroups + 1) : null;
}

function tooLarge(env: ExecEnv, why: "partition" | "passes", count: number): QueryError {
  return new QueryError(
    "QUERY_TOO_LARGE",
    why === "partition"
      ? `GROUP BY keeps more than ${env.maxGroups} groups or distinct values in one of ${count} hash partitions of its keys (a key value with too many distinct values?); filter more (a time range on ts), group coarser or use approx_count_distinct`
      : `GROUP BY would need more than ${MAX_GROUP_PASSES} passes of ${env.maxGroups} groups each (about ${count} hash partitions of its keys), or one key value holds more distinct values than that; filter more (a time range on ts), group coarser or use approx_count_distinct`,
  );
}

/**
 * The finished rows of the given partitions, one after another, through `sink` (each pass holds at
 * most the cap). `total` is about how many rows the input gives. A partition past the cap is cut
 * into k by the next digits of the hash: (index + j·count, k·count) for j < k keep between them
 * exactly its rows; k is sized from how far into its pass it passed the cap, and its siblings
 * not yet run are cut alike.
 */
export async function* groupPasses(
  plan: QueryPlan,
  env: ExecEnv,
  sink: Sink,
  input: GroupInput,
  total: number,
  parts: HashPartition[],
  budget: { passes: number },
): AsyncGenerator<Batch> {
  const aggregate = plan.aggregate as NonNullable<QueryPlan["aggregate"]>;
  const steps = filterSteps(plan.where);
  let todo = parts.map((p) => ({ ...p, recuts: 0 }));
  while (todo.length > 0 && !sink.done) {
    const p = todo.shift() as HashPartition & { recuts: number };
    if (budget.passes-- <= 0) throw tooLarge(env, "passes", p.count);
    const agg = new Aggregator(aggregate, env);
    let read = 0;
    try {
      for await (const batch of input()) {
        env.checkpoint();
        read += batch.n;
        const kept = keepPartition(applyFilter(steps, batch, env.ctx), aggregate.keys, p, env);
        if (kept.n > 0) agg.add(kept);
      }
    } catch (error) {
      const overflow = ownOverflow(plan, error);
      if (!overflow) throw error;
      if (p.recuts >= MAX_RECUTS) throw tooLarge(env, "partition", p.count);
      const k = partitionsFor(extrapolated(overflow.reached, read / Math.max(1, total, read)), env.maxGroups);
      const cut = (q: HashPartition & { recuts: number }) =>
        Array.from({ length: k }, (_, j) => ({
          index: q.index + j * q.count,
          count: q.count * k,
          recuts: q.recuts + 1,
        }));
      // Keys hash evenly, so the partitions of the same cut not yet run would pass the cap too
      // (the first pass under-counted, e.g. new keys arriving late): they are cut alike now.
      const siblings = todo.filter((q) => q.count === p.count);
      const rest = todo.filter((q) => q.count !== p.count);
      todo = [...cut(p), ...siblings.flatMap(cut), ...rest];
      if (todo.length > budget.passes) throw tooLarge(env, "passes", p.count * k);
      continue;
    }
    yield* finishGroups(plan, agg, env, sink);
  }
}

/**
 * The GROUP BY of `plan` in hash partitions after its aggregator passed the cap, for about `groups`
 * groups in all (`total`: about the input's rows): one split per partition when `files` (its
 * table's scan) may be split, else here.
 */
export async function* overGroupCap(
  plan: QueryPlan,
  env: ExecEnv,
  sink: Sink,
  input: GroupInput,
  total: number,
  groups: number,
  files: FileRef[] | null,
): AsyncGenerator<Batch> {
  if (env.fanOut && files) yield* coordinate(plan, env, sink, input, total, groups, files);
  else {
    const count = partitionsFor(groups, env.maxGroups);
    if (count > MAX_GROUP_PASSES) throw tooLarge(env, "passes", count);
    const parts = Array.from({ length: count }, (_, index) => ({ index, count }));
    yield* groupPasses(plan, env, sink, input, total, parts, { passes: MAX_GROUP_PASSES });
  }
  const rest = sink.finish();
  if (rest && rest.n > 0) yield rest;
}

/**
 * One split per partition, each over the whole scan. Partitions are sized so that a partition's
 * rows fit in one answer (maxRows) as well as under the cap, up to the fan-out's maxSplits.
 */
async function* coordinate(
  plan: QueryPlan,
  env: ExecEnv,
  sink: Sink,
  input: GroupInput,
  total: number,
  groups: number,
  files: FileRef[],
): AsyncGenerator<Batch> {
  const fan = env.fanOut as FanOut;
  const count = Math.min(fan.maxSplits, partitionsFor(groups, Math.min(env.maxGroups, env.maxRows)));
  // runSplits hands back the files of each split: one copy of the list per partition names it.
  const parts = Array.from({ length: count }, () => files.slice());
  const indexOf = new Map(parts.map((list, index) => [list, index]));
  const request = (list: FileRef[]) =>
    fan.run({
      ...splitRequest(env, plan.id, files),
      maxJoinRows: env.maxJoinRows,
      groupPartition: { index: indexOf.get(list) as number, count },
    });
  const run = retryingLostSplits(count, env, request);
  const budget = { passes: MAX_GROUP_PASSES };
  for await (const { files: list, result } of runSplits(parts, fan.concurrency, run)) {
    env.checkpoint();
    const part = { index: indexOf.get(list) as number, count };
    if (result.partial.kind === "rows") {
      addStatistics(env.stats, result.statistics);
      env.stats.splits++;
      const out = sink.pushRows(result.partial.rows);
      if (out) yield out;
    } else if (result.partial.kind === "too_large") {
      // Too many rows to send back: this partition runs here, as it would in process.
      yield* groupPasses(plan, env, sink, input, total, [part], budget);
    } else throw new Error("a GROUP BY partition's split answered with groups");
    if (sink.done) break;
  }
}

/**
 * A split's work for a GROUP BY partition: the plan's finished rows of that partition over the
 * given files (outputs, then ORDER BY keys when the plan buffers; LIMIT + OFFSET kept, no OFFSET
 * applied). More rows than maxRows are not sent (too_large): the coordinator runs the partition.
 */
export async function groupPartitionPartial(
  plan: QueryPlan,
  env: ExecEnv,
  files: FileRef[],
  part: HashPartition,
): Promise<PartialAnswer> {
  const ranges = rangesOf(plan);
  const scan = { files: keptFiles(files, ranges), ranges };
  const own: QueryPlan = { ...plan, offset: 0, limit: plan.limit === null ? null : plan.limit + plan.offset };
  const sink = new Sink(own, env.ctx, env.maxRows);
  const input = () => scanTable(own, scan, env, new Sink(own, env.ctx, env.maxRows));
  const total = scan.files.reduce((n, f) => n + f.rows, 0);
  const rows: unknown[][] = [];
  // A partition past the cap is cut here too (the cuts' rows go back together).
  for await (const out of groupPasses(own, env, sink, input, total, [part], { passes: 8 })) {
    for (let i = 0; i < out.n; i++) rows.push(out.cols.map((c) => valueAt(c as Vec, i)));
    if (rows.length > env.maxRows) return { kind: "too_large", bytes: partialBytes(rows) };
  }
  return { kind: "rows", rows: sink.buffering ? sink.partialRows() : rows };
}
