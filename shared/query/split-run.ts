// Scale-out inside the engine: the coordinator's side (run splits, merge their partial answers,
// finish the SELECT) and a split's side (the SELECT over some files, up to its partial answer).
import { Aggregator, finishGroups, GroupOverflow } from "./aggregator";
import type { QueryPlan } from "./bind";
import type { FileRef } from "./catalog";
import { QueryError } from "./errors";
import { applyFilter, filterSteps } from "./evaluate";
import type { ExecEnv } from "./exec-env";
import {
  addStatistics,
  cutSplits,
  type FanOut,
  FinalSplitError,
  type PartialAnswer,
  partialBytes,
  runSplits,
  type SplitRequest,
  type SplitResult,
} from "./partial";
import { topKOrder } from "./scan";
import { Sink } from "./sink";
import { keptFiles, rangesOf, scanHints, scanTable } from "./table-scan";
import { type Vec, valueAt } from "./vector";

/** What every split of this query is asked with: its text, clock, limits and binding, and the files it reads. */
export function splitRequest(env: ExecEnv, depth: number, files: FileRef[]): SplitRequest {
  return {
    sql: env.sql,
    nowMs: env.ctx.nowMs,
    depth,
    files,
    timeoutMs: Number.isFinite(env.deadline) ? Math.max(0, env.deadline - Date.now()) : undefined,
    maxGroups: env.maxGroups,
    maxRows: env.maxRows,
    tableColumns: env.tableColumns,
    rowFilters: env.rowFilters,
  };
}

/**
 * `request` run once more when a split fails for any reason but the query's own (a lost invocation),
 * at most four times per query and while the request stays under its 32 Worker invocations.
 */
export function retryingLostSplits<K>(
  splits: number,
  env: ExecEnv,
  request: (key: K) => Promise<SplitResult>,
): (key: K) => Promise<SplitResult> {
  let retries = Math.min(4, Math.max(0, 31 - splits));
  return (key) =>
    request(key).catch((error: unknown) => {
      if (error instanceof QueryError && error.code === "QUERY_TIMEOUT") env.checkpoint();
      if (error instanceof QueryError || error instanceof FinalSplitError || retries <= 0) throw error;
      retries--;
      return request(key);
    });
}

/** Coordinate a split scan: run the splits, merge their partial answers, finish the SELECT here. */
export async function* coordinateSplits(plan: QueryPlan, env: ExecEnv, depth: number, files: FileRef[], sink: Sink) {
  const fan = env.fanOut as FanOut;
  const topK = scanHints(plan, sink).topK;
  const request = (part: FileRef[]) =>
    fan.run({
      ...splitRequest(env, depth, part),
      // The k-th row so far lets later splits skip files and row groups that cannot beat it.
      bound: topK ? sink.worstKey() : undefined,
    });
  // ORDER BY … LIMIT: likely winners first, and the first split alone so the others start with a bound.
  const splits = cutSplits(topKOrder(files, topK), fan);
  const run = retryingLostSplits(splits.length, env, request);
  const answers = runSplits(splits, fan.concurrency, run, { firstAlone: topK !== undefined });
  const agg = plan.aggregate ? new Aggregator(plan.aggregate, env) : null;
  let merged = 0;
  for await (const { files: part, result } of answers) {
    env.checkpoint();
    let partial = result.partial;
    if (partial.kind === "too_large" && plan.joinSide && !agg) {
      // A join side's rows too many to send back: stream those files through the join from here.
      const ranges = rangesOf(plan);
      const steps = filterSteps(plan.where);
      for await (const batch of scanTable(plan, { files: keptFiles(part, ranges), ranges }, env, sink)) {
        env.checkpoint();
        const out = sink.push(applyFilter(steps, batch, env.ctx));
        if (out) yield out;
      }
      continue;
    }
    if (partial.kind === "too_large") {
      // Too big to send back: read those files here, as a single invocation would.
      partial = await executePartial(plan, env, part, topK ? sink.worstKey() : undefined);
    } else {
      addStatistics(env.stats, result.statistics);
      env.stats.splits++;
    }
    if (agg) {
      // Past the group cap (here, or in one split's files alone): the share of the rows merged so
      // far sizes the hash partitions the caller may run instead (group-partitions.ts).
      const rows = (list: FileRef[]) => list.reduce((n, f) => n + f.rows, 0);
      const overflow = (error: unknown, read = merged + rows(part)) => {
        if (error instanceof GroupOverflow) error.share = read / Math.max(1, rows(files));
        return error;
      };
      if (partial.kind === "too_many_groups")
        throw overflow(new GroupOverflow(agg.aggregate, env.maxGroups), rows(part));
      try {
        agg.merge(partial);
      } catch (error) {
        throw overflow(error);
      }
      merged += rows(part);
      continue;
    }
    if (partial.kind !== "rows") throw new Error("a split of an ungrouped query answered with groups");
    const out = sink.pushRows(partial.rows);
    if (out) yield out;
    if (sink.done) break;
  }
  if (agg) yield* finishGroups(plan, agg, env, sink);
  const rest = sink.finish();
  if (rest && rest.n > 0) yield rest;
}

/** A split's work: the plan over the given files, up to its partial answer (see PartialAnswer). */
export async function executePartial(
  plan: QueryPlan,
  env: ExecEnv,
  files: FileRef[],
  bound?: unknown,
): Promise<PartialAnswer> {
  const steps = filterSteps(plan.where);
  const ranges = rangesOf(plan);
  const scan = { files: keptFiles(files, ranges), ranges };
  // No OFFSET here: the coordinator skips rows once every split's rows are in.
  const own: QueryPlan = { ...plan, offset: 0, limit: plan.limit === null ? null : plan.limit + plan.offset };
  const sink = new Sink(own, env.ctx, env.maxRows);
  if (plan.aggregate) {
    const agg = new Aggregator(plan.aggregate, env);
    await agg.addAll(scanTable(own, scan, env, sink), steps);
    return agg.exportPartial();
  }
  const rows: unknown[][] = [];
  if (sink.done) return { kind: "rows", rows };
  for await (const batch of scanTable(own, scan, env, sink, bound)) {
    env.checkpoint();
    const out = sink.push(applyFilter(steps, batch, env.ctx));
    if (out) {
      for (let i = 0; i < out.n; i++) rows.push(out.cols.map((c) => valueAt(c as Vec, i)));
      if (rows.length > env.maxRows) {
        // A join side is no result: too many rows for one message, so the coordinator reads
        // these files itself, streaming them through the join.
        if (plan.joinSide) return { kind: "too_large", bytes: partialBytes(rows) };
        throw new QueryError(
          "QUERY_TOO_LARGE",
          `The result has more than ${env.maxRows} rows; add a LIMIT or aggregate further`,
        );
      }
    }
    if (sink.done) break;
  }
  return { kind: "rows", rows: sink.buffering ? sink.partialRows() : rows };
}
