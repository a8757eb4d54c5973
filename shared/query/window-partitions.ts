// Windows over more rows than one invocation may hold (ExecEnv.maxJoinRows): evaluated in hash
// partitions of the PARTITION BY keys every window call of the block shares. A window's value
// depends only on the rows of its own partition, and rows with equal keys hash alike, so each hash
// partition (the block's scan read again, pruned as usual, WHERE applied, then only the rows whose
// keys hash to index mod count) computes exactly the values the whole input would; QUALIFY and
// the block's tail apply per partition, and what is above combines them: rows are concatenated
// (ORDER BY, DISTINCT and LIMIT applied once all are in), an aggregate above merges partial states.
//
// With a fan-out (production), each partition is a split: a sub-invocation given the block's files
// and its partition, answering the partial answer of the highest plan it can (the block, or an
// aggregate or LIMIT above it, through filters and projections), merged here as split-run.ts merges
// file splits. Without one (in process), partitions run one after another, each under the cap.
import { Aggregator, finishGroups } from "./aggregator";
import type { QueryPlan } from "./bind";
import { type Bound, readsLocal, signature } from "./bound";
import type { FileRef } from "./catalog";
import { QueryError } from "./errors";
import { applyFilter, filterSteps } from "./evaluate";
import type { ExecEnv } from "./exec-env";
import {
  addStatistics,
  cutSplits,
  type FanOut,
  type PartialAnswer,
  partialBytes,
  runSplits,
  shouldSplit,
  type WindowPartitionSpec,
} from "./partial";
import { keepPartition } from "./partition-hash";
import { Sink } from "./sink";
import { retryingLostSplits, splitRequest } from "./split-run";
import { keptFiles, listTable, rangesOf, scanTable, type TableScan, tableName } from "./table-scan";
import { type Batch, type Vec, valueAt } from "./vector";
import { windowedRows } from "./window-run";
import { reduceTopN, topNOf } from "./window-topn";

type Execute = (plan: QueryPlan, env: ExecEnv) => AsyncGenerator<Batch>;

/** Partitions (in process) when no fan-out bounds them; a split's QUERY_MAX_SPLITS otherwise. */
const LOCAL_MAX_PARTITIONS = 24;
/**
 * Partitions are sized to fill this share of the cap: keys hash unevenly (a partition holds whole
 * users, say), and a partition past the cap is cut again, which costs another read of the scan.
 */
const PARTITION_FILL = 0.8;
/** A partition past the cap is cut in two, then in two again, at most this many times. */
const MAX_RECUTS = 2;

/**
 * The PARTITION BY keys every window call of the block shares (by expression), or null when the
 * block cannot be hash-partitioned: it groups first (its windows run over groups, bounded by
 * maxGroups), reads no table, or some call has no PARTITION BY key in common with the others.
 */
export function sharedPartitionKeys(plan: QueryPlan): Bound[] | null {
  const calls = plan.windows?.calls;
  if (!calls || calls.length === 0 || plan.aggregate || plan.source.kind !== "table") return null;
  let common = (calls[0] as (typeof calls)[number]).partitionBy;
  for (const call of calls.slice(1)) {
    const theirs = new Set(call.partitionBy.map(signature));
    common = common.filter((k) => theirs.has(signature(k)));
  }
  const seen = new Set<string>();
  const keys = common.filter((k) => !seen.has(signature(k)) && seen.add(signature(k)));
  return keys.length > 0 ? keys : null;
}

/** Whether another invocation can run the plan's own expressions (none reads an answer held here). */
function portable(plan: QueryPlan): boolean {
  if (plan.subqueries?.length) return false;
  const parts: (Bound | null)[] = [plan.where, plan.having, ...plan.outputs, ...plan.orderBy.map((o) => o.expr)];
  if (plan.aggregate)
    parts.push(...plan.aggregate.keys, ...plan.aggregate.aggs.flatMap((a) => [a.arg, a.arg2 ?? null]));
  for (const call of plan.windows?.calls ?? [])
    parts.push(...call.args, ...call.partitionBy, ...call.orderBy.map((o) => o.expr));
  parts.push(plan.windows?.qualify ?? null);
  return !parts.some(readsLocal);
}

/**
 * The window block a split of `top` would partition: `top` itself, or reached from it through FROM
 * subqueries that only filter and project (no grouping, DISTINCT or LIMIT between: those need every
 * partition's rows at once). `top` may group, order and limit: its partial answers merge.
 */
function blockUnder(top: QueryPlan, isTop = true): QueryPlan | null {
  if (!portable(top)) return null;
  if (!isTop && (top.aggregate || top.distinct || top.limit !== null || top.offset > 0)) return null;
  if (sharedPartitionKeys(top)) return top;
  if (top.windows || top.source.kind !== "subquery") return null;
  return blockUnder(top.source.plan, false);
}

/**
 * How many hash partitions the block needs: its scan's rows by the manifest (after pruning) over
 * the cap's fill share, rounded up, and with a fan-out at least the splits its files would make;
 * at most the fan-out's maxSplits (LOCAL_MAX_PARTITIONS in process). 1: no partitioning.
 */
export async function partitionCount(block: QueryPlan, env: ExecEnv, fan?: FanOut): Promise<number> {
  const scan = await listTable(block, tableName(block) as string, env);
  const rows = scan.files.reduce((n, f) => n + f.rows, 0);
  let count = rows > env.maxJoinRows ? Math.ceil(rows / (PARTITION_FILL * env.maxJoinRows)) : 1;
  if (fan && shouldSplit(scan.files, fan, { grouped: true, rows: null }))
    count = Math.max(count, cutSplits(scan.files, fan).length);
  return Math.max(1, Math.min(count, fan ? fan.maxSplits : LOCAL_MAX_PARTITIONS));
}

function tooLarge(env: ExecEnv, partitioned = false): QueryError {
  return new QueryError(
    "QUERY_TOO_LARGE",
    partitioned
      ? `Window functions hold more than ${env.maxJoinRows} rows in one hash partition of their PARTITION BY keys (a key value with too many rows?); filter more (a time range on ts, an event type) or aggregate first`
      : `Window functions hold more than ${env.maxJoinRows} rows in memory; filter more (a time range on ts, an event type) or aggregate first`,
  );
}

/** A partition held more rows than the cap (it is cut again, or the query is QUERY_TOO_LARGE). */
class PartitionOverflow extends Error {}

/** The block's scan, WHERE applied, cut to one partition; past the cap it stops with PartitionOverflow. */
async function* partitionInput(
  block: QueryPlan,
  keys: Bound[],
  scan: TableScan,
  part: WindowPartitionSpec,
  env: ExecEnv,
  capped: boolean,
): AsyncGenerator<Batch> {
  const steps = filterSteps(block.where);
  const hints = new Sink(block, env.ctx, env.maxRows);
  let rows = 0;
  for await (const batch of scanTable(block, scan, env, hints)) {
    env.checkpoint();
    const kept = keepPartition(applyFilter(steps, batch, env.ctx), keys, part, env);
    if (kept.n === 0) continue;
    rows += kept.n;
    if (capped && rows > env.maxJoinRows) throw new PartitionOverflow();
    yield kept;
  }
}

async function* single(batch: Batch): AsyncGenerator<Batch> {
  yield batch;
}

/** One partition's windowed (and QUALIFY-filtered) rows as one batch, or null past the cap. */
async function onePass(
  block: QueryPlan,
  scan: TableScan,
  part: WindowPartitionSpec,
  env: ExecEnv,
  firstRows: boolean,
): Promise<Batch | null> {
  const keys = sharedPartitionKeys(block) ?? [];
  const topN = firstRows ? topNOf(block) : null;
  try {
    if (topN !== null) {
      // Only each partition's first n rows are held (window-topn.ts); the cap applies to those.
      const reduced = await reduceTopN(block, partitionInput(block, keys, scan, part, env, false), topN, env);
      if (!reduced) return null;
      return await windowedRows(block, single(reduced), [], env);
    }
    return await windowedRows(block, partitionInput(block, keys, scan, part, env, true), [], env);
  } catch (error) {
    if (error instanceof PartitionOverflow) return null;
    throw error;
  }
}

/**
 * The windowed rows of one partition; a partition past the cap is cut in two by the next bit of
 * the hash ((index, 2·count) and (index + count, 2·count)), at most MAX_RECUTS times.
 */
async function* partitionRows(
  block: QueryPlan,
  scan: TableScan,
  part: WindowPartitionSpec,
  env: ExecEnv,
): AsyncGenerator<Batch> {
  const todo: (WindowPartitionSpec & { recuts: number })[] = [{ ...part, recuts: 0 }];
  while (todo.length > 0) {
    const p = todo.shift() as WindowPartitionSpec & { recuts: number };
    // Holding every row and sorting is faster than keeping first rows as they stream; the latter
    // is the fallback for a partition past the cap, before cutting it again.
    let rows = await onePass(block, scan, p, env, false);
    if (!rows && topNOf(block) !== null) rows = await onePass(block, scan, p, env, true);
    if (rows) {
      if (rows.n > 0) yield rows;
      continue;
    }
    if (p.recuts >= MAX_RECUTS) throw tooLarge(env, true);
    const count = p.count * 2;
    todo.unshift(
      { window: p.window, index: p.index, count, recuts: p.recuts + 1 },
      { window: p.window, index: p.index + p.count, count, recuts: p.recuts + 1 },
    );
  }
}

/** The block's scan: as listed here, or the files a split was given. */
async function blockScan(block: QueryPlan, env: ExecEnv, files?: FileRef[]): Promise<TableScan> {
  if (!files) return listTable(block, tableName(block) as string, env);
  const ranges = rangesOf(block);
  return { files: keptFiles(files, ranges), ranges };
}

/** The window block in env.windowPartition's partition, through its own sink. */
async function* runGiven(block: QueryPlan, env: ExecEnv): AsyncGenerator<Batch> {
  const given = env.windowPartition as NonNullable<ExecEnv["windowPartition"]>;
  const sink = new Sink(block, env.ctx, env.maxRows);
  const scan = await blockScan(block, env, given.files);
  for await (const rows of partitionRows(block, scan, given, env)) {
    const out = sink.push(rows);
    if (out) yield out;
    if (sink.done) break;
  }
  const rest = sink.finish();
  if (rest && rest.n > 0) yield rest;
}

/** In process: every partition in turn through the block's sink (each holds at most the cap). */
async function* runLocal(block: QueryPlan, count: number, env: ExecEnv): AsyncGenerator<Batch> {
  const sink = new Sink(block, env.ctx, env.maxRows);
  const scan = await blockScan(block, env);
  // The manifest counts rows before WHERE: a selective filter may leave few enough for one pass,
  // which gives up as soon as it passes the cap (having read about 1/count of the scan); so may a
  // QUALIFY that keeps each partition's first rows (window-topn.ts).
  const firstRows = topNOf(block) !== null;
  const tryWhole = block.where !== null || firstRows || count <= 1;
  const whole = tryWhole ? await onePass(block, scan, { window: block.id, index: 0, count: 1 }, env, firstRows) : null;
  if (!whole && count <= 1) throw tooLarge(env);
  if (whole) {
    const out = sink.push(whole);
    if (out) yield out;
  }
  for (let index = 0; index < count && !whole && !sink.done; index++) {
    for await (const rows of partitionRows(block, scan, { window: block.id, index, count }, env)) {
      const out = sink.push(rows);
      if (out) yield out;
      if (sink.done) break;
    }
  }
  const rest = sink.finish();
  if (rest && rest.n > 0) yield rest;
}

/** What `top` reads before its sink, in env.windowPartition's partition (WHERE applied). */
async function* partitionInputOf(top: QueryPlan, env: ExecEnv, execute: Execute): AsyncGenerator<Batch> {
  const given = env.windowPartition as NonNullable<ExecEnv["windowPartition"]>;
  if (top.id === given.window) {
    yield* partitionRows(top, await blockScan(top, env, given.files), given, env);
    return;
  }
  if (top.source.kind !== "subquery") throw new Error("a window partition's plan does not read its block");
  const steps = filterSteps(top.where);
  for await (const batch of execute(top.source.plan, env)) {
    env.checkpoint();
    yield applyFilter(steps, batch, env.ctx);
  }
}

/**
 * A split's work for a window partition (env.windowPartition set): `top`'s partial answer over
 * the block's rows of that partition. Rows past maxRows are not sent (too_large): the coordinator
 * runs that partition itself and streams it.
 */
export async function partitionPartial(top: QueryPlan, env: ExecEnv, execute: Execute): Promise<PartialAnswer> {
  if (top.aggregate) {
    const agg = new Aggregator(top.aggregate, env);
    if (top.source.kind !== "subquery") throw new Error("a window partition's plan does not read its block");
    await agg.addAll(execute(top.source.plan, env), filterSteps(top.where));
    return agg.exportPartial();
  }
  // No OFFSET here: the coordinator skips rows once every partition's rows are in.
  const own: QueryPlan = { ...top, offset: 0, limit: top.limit === null ? null : top.limit + top.offset };
  const sink = new Sink(own, env.ctx, env.maxRows);
  const rows: unknown[][] = [];
  for await (const batch of partitionInputOf(top, env, execute)) {
    const out = sink.push(batch);
    if (out) {
      for (let i = 0; i < out.n; i++) rows.push(out.cols.map((c) => valueAt(c as Vec, i)));
      if (rows.length > env.maxRows) return { kind: "too_large", bytes: partialBytes(rows) };
    }
    if (sink.done) break;
  }
  return { kind: "rows", rows: sink.buffering ? sink.partialRows() : rows };
}

/** The coordinator's side: one split per partition, partial answers merged, `top` finished here. */
async function* coordinate(
  top: QueryPlan,
  block: QueryPlan,
  count: number,
  env: ExecEnv,
  execute: Execute,
): AsyncGenerator<Batch> {
  const fan = env.fanOut as FanOut;
  const scan = await blockScan(block, env);
  const sink = new Sink(top, env.ctx, env.maxRows);
  const agg = top.aggregate ? new Aggregator(top.aggregate, env) : null;
  // runSplits hands back the files of each split: one copy of the list per partition names it.
  const parts = Array.from({ length: count }, () => scan.files.slice());
  const indexOf = new Map(parts.map((files, index) => [files, index]));
  const request = (files: FileRef[]) =>
    fan.run({
      ...splitRequest(env, top.id, scan.files),
      maxJoinRows: env.maxJoinRows,
      partition: { window: block.id, index: indexOf.get(files) as number, count },
    });
  // As for file splits: a split lost for any reason but the query's own is run once more.
  const run = retryingLostSplits(count, env, request);
  for await (const { files, result } of runSplits(parts, fan.concurrency, run)) {
    env.checkpoint();
    const local: ExecEnv = {
      ...env,
      windowPartition: { window: block.id, index: indexOf.get(files) as number, count },
    };
    if (result.partial.kind === "too_large") {
      // Too big to send back: this partition runs here, as it would in process.
      if (agg) agg.merge(await partitionPartial(top, local, execute));
      else {
        for await (const batch of partitionInputOf(top, local, execute)) {
          const out = sink.push(batch);
          if (out) yield out;
          if (sink.done) break;
        }
      }
    } else {
      addStatistics(env.stats, result.statistics);
      env.stats.splits++;
      if (agg) agg.merge(result.partial);
      else {
        if (result.partial.kind !== "rows") throw new Error("a window partition of an ungrouped query sent groups");
        const out = sink.pushRows(result.partial.rows);
        if (out) yield out;
      }
    }
    if (sink.done) break;
  }
  if (agg) yield* finishGroups(top, agg, env, sink);
  const rest = sink.finish();
  if (rest && rest.n > 0) yield rest;
}

/**
 * How `plan` runs when hash-partitioned windows apply to it, or null (run it as usual):
 * - inside a partition (a split's, or one the coordinator runs): the block reads only that partition;
 * - with a fan-out, a plan whose block (itself or below, see blockUnder) needs partitions: one split each;
 * - a block that needs partitions and cannot be split: its partitions one after another, here.
 */
export async function partitionedRun(
  plan: QueryPlan,
  env: ExecEnv,
  execute: Execute,
): Promise<AsyncGenerator<Batch> | null> {
  if (env.windowPartition) return env.windowPartition.window === plan.id ? runGiven(plan, env) : null;
  const block = env.fanOut ? blockUnder(plan) : null;
  if (block) {
    const count = await partitionCount(block, env, env.fanOut);
    if (count > 1) return coordinate(plan, block, count, env, execute);
  }
  const keyed = sharedPartitionKeys(plan) !== null;
  const firstRows = plan.source.kind === "table" && topNOf(plan) !== null;
  if (!keyed && !firstRows) return null;
  // Under the cap by the manifest: one pass as usual (window-run.ts).
  const count = await partitionCount(plan, env);
  if (count <= 1) return null;
  return runLocal(plan, keyed ? count : 1, env);
}

/** The splits a window block's scan runs as (one per hash partition), for EXPLAIN; 0 when none. */
export async function windowSplits(block: QueryPlan, env: ExecEnv): Promise<number> {
  if (!env.fanOut || blockUnder(block) !== block) return 0;
  const count = await partitionCount(block, env, env.fanOut);
  return count > 1 ? count : 0;
}
