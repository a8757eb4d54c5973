// Grouped execution: rows (or other invocations' partial answers) into groups and aggregate states.
import type { AggState } from "./agg-state";
import { createState } from "./aggregates";
import type { QueryPlan } from "./bind";
import type { Bound } from "./bound";
import { QueryError } from "./errors";
import { applyFilter, evaluate, filterSteps } from "./evaluate";
import type { ExecEnv } from "./exec-env";
import { GroupTable } from "./group-by";
import type { PartialAnswer } from "./partial";
import type { Sink } from "./sink";
import { storageOf } from "./types";
import { type Batch, fromValues, type Vec } from "./vector";

/**
 * More groups (or distinct values) than one invocation holds. Still QUERY_TOO_LARGE for a caller;
 * the plan whose aggregate it names (`aggregate`) may answer instead by hash partitions of its
 * GROUP BY keys (group-partitions.ts). `share` is about what part of the input had been read
 * when the cap was passed (1 when unknown): with `reached`, it sizes the partitions.
 */
export class GroupOverflow extends QueryError {
  share = 1;

  constructor(
    readonly aggregate: NonNullable<QueryPlan["aggregate"]>,
    maxGroups: number,
    /** Groups held when the cap was passed (distinct values count a quarter each, as in the cap). */
    readonly reached = maxGroups + 1,
  ) {
    super(
      "QUERY_TOO_LARGE",
      `The query keeps more than ${maxGroups} groups or distinct values in memory; filter more, group coarser or use approx_count_distinct`,
    );
  }
}

/** Grouping and aggregate states over input batches, or over other invocations' partial answers. */
export class Aggregator {
  private readonly table: GroupTable | null;
  private readonly states: AggState[];

  constructor(
    readonly aggregate: NonNullable<QueryPlan["aggregate"]>,
    private readonly env: ExecEnv,
  ) {
    this.table = aggregate.keys.length > 0 ? new GroupTable(aggregate.keys.length, env.interner) : null;
    this.states = aggregate.aggs.map((spec) => createState(spec, env.interner));
  }

  add(batch: Batch): void {
    const ctx = this.env.ctx;
    let gids: Int32Array | null = null;
    let groups = 1;
    if (this.table) {
      gids = this.table.assign(
        this.aggregate.keys.map((k) => evaluate(k, batch, ctx)),
        batch.n,
      );
      groups = this.table.count;
    }
    this.aggregate.aggs.forEach((spec, i) => {
      const arg = spec.arg ? evaluate(spec.arg, batch, ctx) : null;
      const arg2 = spec.arg2 ? evaluate(spec.arg2, batch, ctx) : null;
      (this.states[i] as AggState).update(gids, arg, batch.n, groups, arg2);
    });
    this.guard(groups);
  }

  /** Fold in every batch of the input that passes WHERE's filter steps. */
  async addAll(input: AsyncIterable<Batch>, steps: Bound[]): Promise<void> {
    for await (const batch of input) {
      this.env.checkpoint();
      const kept = applyFilter(steps, batch, this.env.ctx);
      if (kept.n > 0) this.add(kept);
    }
  }

  /** Fold in a split's partial answer. */
  merge(part: PartialAnswer): void {
    if (part.kind !== "groups") throw new Error("a split of a grouped query answered with rows");
    if (part.count === 0) return;
    let gids: Int32Array | null = null;
    let groups = 1;
    if (this.table) {
      const keys = this.aggregate.keys.map((k, i) => fromValues(storageOf(k.type), part.keys[i] as unknown[]));
      gids = this.table.assign(keys, part.count);
      groups = this.table.count;
    }
    this.states.forEach((state, i) => {
      state.mergePartial(part.states[i], gids, groups);
    });
    this.guard(groups);
  }

  /** This invocation's groups and aggregate states, for a coordinator to merge. */
  exportPartial(): PartialAnswer {
    const groups = this.table ? this.table.count : 1;
    return {
      kind: "groups",
      count: groups,
      keys: this.aggregate.keys.map((_, i) => (this.table as GroupTable).keyValues(i)),
      states: this.states.map((s) => s.exportPartial(groups)),
    };
  }

  private guard(groups: number): void {
    const held = this.states.reduce((s, st) => s + st.held(), 0);
    if (groups > this.env.maxGroups || held > this.env.maxGroups * 4)
      throw new GroupOverflow(this.aggregate, this.env.maxGroups, Math.max(groups, held / 4));
  }

  /** Groups held so far. */
  get groupCount(): number {
    return this.table ? this.table.count : 1;
  }

  /** The groups' key values, one column per GROUP BY key. */
  keyColumns(): Vec[] {
    return this.aggregate.keys.map((k, i) => (this.table as GroupTable).keyVec(i, storageOf(k.type)));
  }

  finish(): Batch {
    const groups = this.table ? this.table.count : 1;
    const cols: Vec[] = this.table ? this.keyColumns() : [];
    for (const s of this.states) cols.push(s.finish(groups));
    return { n: groups, cols };
  }
}

/** The grouped rows through HAVING into the sink. */
export function* finishGroups(plan: QueryPlan, agg: Aggregator, env: ExecEnv, sink: Sink): Generator<Batch> {
  let grouped = agg.finish();
  if (plan.having) grouped = applyFilter(filterSteps(plan.having), grouped, env.ctx);
  const out = sink.push(grouped);
  if (out) yield out;
}
