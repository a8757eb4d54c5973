// The end of a SELECT: project, then stream (LIMIT/OFFSET) or buffer (ORDER BY, DISTINCT, top-k).

import type { OrderSpec, QueryPlan } from "./bind";
import type { Bound, EvalContext } from "./bound";
import { QueryError } from "./errors";
import { evaluate } from "./evaluate";
import { compareIntervals, compareValues } from "./ops-logic";
import { physicalOf, storageOf } from "./types";
import { type Batch, fromValues, gather, gatherBatch, type Vec, valueAt } from "./vector";

function rowKey(values: unknown[], count: number): string {
  let key = "";
  for (let i = 0; i < count; i++) {
    const v = values[i];
    key +=
      v === null
        ? "\u0000"
        : typeof v === "number"
          ? `n${v}`
          : typeof v === "string"
            ? `s${v}`
            : `o${JSON.stringify(v)}`;
    key += "\u0001";
  }
  return key;
}

/** ORDER BY … LIMIT up to this many rows keeps a per-batch top-k; larger limits sort the buffer. */
const TOP_K_MAX = 10_000;

/** Compare one ORDER BY key's values (NULLs placed as the key asks). */
function compareKey(o: OrderSpec, obj: boolean, x: unknown, y: unknown): number {
  if (x === null || y === null) {
    if (x === y) return 0;
    return (x === null) === o.nullsFirst ? -1 : 1;
  }
  const c = obj ? compareIntervals(x, y) : compareValues(x, y);
  return o.desc ? -c : c;
}

export function rowComparator(orderBy: OrderSpec[], offset: number): (a: unknown[], b: unknown[]) => number {
  const objs = orderBy.map((o) => physicalOf(o.expr.type) === "obj");
  return (a, b) => {
    for (let j = 0; j < orderBy.length; j++) {
      const c = compareKey(orderBy[j] as OrderSpec, objs[j] as boolean, a[offset + j], b[offset + j]);
      if (c !== 0) return c;
    }
    return 0;
  };
}

/** Collects a plan's output: yields batches of its output columns (slots 0..m-1). */
export class Sink {
  /** Streaming LIMIT reached: stop reading input. */
  done = false;
  private readonly buffered: boolean;
  private rows: unknown[][] = [];
  private readonly seen = new Set<string>();
  private skip: number;
  private left: number;
  private readonly compare: (a: unknown[], b: unknown[]) => number;
  /** ORDER BY … LIMIT: the last row kept at the latest truncation; rows not before it are skipped. */
  private worst: unknown[] | null = null;

  constructor(
    private readonly plan: QueryPlan,
    private readonly ctx: EvalContext,
    private readonly maxRows: number,
  ) {
    this.buffered = plan.orderBy.length > 0 || plan.distinct;
    this.skip = plan.offset;
    this.left = plan.limit ?? Number.POSITIVE_INFINITY;
    this.compare = rowComparator(plan.orderBy, plan.outputs.length);
    if (this.left === 0) this.done = true;
  }

  private project(batch: Batch, exprs: Bound[]): Vec[] {
    return exprs.map((e) => evaluate(e, batch, this.ctx));
  }

  /** The first ORDER BY key of the k-th row held, once k rows are held (for pruning the scan). */
  worstKey(): unknown {
    return this.worst ? this.worst[this.plan.outputs.length] : undefined;
  }

  /** Indices of the batch's best `keep` rows by the ORDER BY keys that also beat the buffer's worst. */
  private topRows(batch: Batch, keep: number): number[] {
    const orderBy = this.plan.orderBy;
    const m = this.plan.outputs.length;
    const keys = this.project(
      batch,
      orderBy.map((o) => o.expr),
    );
    const objs = orderBy.map((o) => physicalOf(o.expr.type) === "obj");
    const at = (i: number, j: number) => valueAt(keys[j] as Vec, i);
    const cmp = (i: number, other: (j: number) => unknown) => {
      for (let j = 0; j < orderBy.length; j++) {
        const c = compareKey(orderBy[j] as OrderSpec, objs[j] as boolean, at(i, j), other(j));
        if (c !== 0) return c;
      }
      return 0;
    };
    const worst = this.worst;
    const best: number[] = [];
    for (let i = 0; i < batch.n; i++) {
      if (worst && cmp(i, (j) => worst[m + j]) >= 0) continue;
      const last = best[best.length - 1];
      if (best.length === keep && last !== undefined && cmp(i, (j) => at(last, j)) >= 0) continue;
      let lo = 0;
      let hi = best.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        const b = best[mid] as number;
        if (cmp(i, (j) => at(b, j)) < 0) hi = mid;
        else lo = mid + 1;
      }
      best.splice(lo, 0, i);
      if (best.length > keep) best.pop();
    }
    return best.sort((a, b) => a - b);
  }

  /** Take a batch of the plan's input (grouped rows when aggregating); may return output to yield. */
  push(batch: Batch): Batch | null {
    if (this.done || batch.n === 0) return null;
    if (!this.buffered) {
      const { start, count } = this.take(batch.n);
      if (count === 0) return null;
      let b = batch;
      if (start > 0 || count < batch.n) {
        const sel = Int32Array.from({ length: count }, (_, i) => start + i);
        b = { n: count, cols: batch.cols.map((c) => (c ? gather(c, sel, count) : undefined)) };
      }
      return { n: count, cols: this.project(b, this.plan.outputs) };
    }
    const keep = this.plan.limit === null ? null : this.plan.limit + this.plan.offset;
    let input = batch;
    if (keep !== null && keep <= TOP_K_MAX && this.plan.orderBy.length > 0 && !this.plan.distinct) {
      // Top-k: evaluate only the keys, keep the batch's best k rows, and project only those.
      const sel = this.topRows(batch, keep);
      if (sel.length === 0) return null;
      input = gatherBatch(batch, Int32Array.from(sel), sel.length);
    }
    const vecs = this.project(input, [...this.plan.outputs, ...this.plan.orderBy.map((o) => o.expr)]);
    const rows: unknown[][] = new Array(input.n);
    for (let i = 0; i < input.n; i++) rows[i] = vecs.map((v) => valueAt(v, i));
    this.hold(rows);
    return null;
  }

  /**
   * Take rows another invocation already projected (see `partialRows`): outputs, then ORDER BY keys
   * when buffering. May return output to yield, like `push`.
   */
  pushRows(rows: unknown[][]): Batch | null {
    if (this.done || rows.length === 0) return null;
    if (this.buffered) {
      this.hold(rows);
      return null;
    }
    const { start, count } = this.take(rows.length);
    if (count === 0) return null;
    return this.batchOf(rows.slice(start, start + count));
  }

  /** Streaming OFFSET/LIMIT: which of the next `n` rows to emit. */
  private take(n: number): { start: number; count: number } {
    const start = Math.min(this.skip, n);
    this.skip -= start;
    const count = Math.min(n - start, this.left);
    this.left -= count;
    if (this.left === 0) this.done = true;
    return { start, count };
  }

  /** Buffer projected rows (outputs, then ORDER BY keys), deduplicated and truncated as the plan allows. */
  private hold(rows: unknown[][]): void {
    const m = this.plan.outputs.length;
    const keep = this.plan.limit === null ? null : this.plan.limit + this.plan.offset;
    for (const row of rows) {
      if (this.plan.distinct) {
        const key = rowKey(row, m);
        if (this.seen.has(key)) continue;
        this.seen.add(key);
      }
      this.rows.push(row);
    }
    const topK = keep !== null && keep <= TOP_K_MAX && !this.plan.distinct;
    if (
      keep !== null &&
      this.plan.orderBy.length > 0 &&
      this.rows.length > (topK ? keep - 1 : Math.max(2 * keep, 1024))
    ) {
      this.rows.sort(this.compare);
      this.rows.length = Math.min(this.rows.length, keep);
      this.worst = keep > 0 ? (this.rows[keep - 1] as unknown[]) : null;
    } else if (keep !== null && this.plan.orderBy.length === 0 && this.rows.length >= keep) {
      this.done = true;
    }
    if (this.rows.length > this.maxRows && keep === null) {
      throw new QueryError(
        "QUERY_TOO_LARGE",
        `The query produces more than ${this.maxRows} rows; add a LIMIT or aggregate further`,
      );
    }
  }

  /** Rows in the plan's output columns as a batch. */
  private batchOf(rows: unknown[][]): Batch {
    const cols = this.plan.outputs.map((o, j) =>
      fromValues(
        storageOf(o.type),
        rows.map((r) => r[j]),
      ),
    );
    return { n: rows.length, cols };
  }

  /**
   * What a split hands back for merging: the buffered rows (outputs, then ORDER BY keys) sorted and
   * cut to LIMIT + OFFSET, with no OFFSET applied. Only for buffered plans.
   */
  partialRows(): unknown[][] {
    const rows = this.plan.orderBy.length > 0 ? this.rows.sort(this.compare) : this.rows;
    const keep = this.plan.limit === null ? rows.length : this.plan.limit + this.plan.offset;
    return rows.slice(0, keep);
  }

  /** Whether output rows wait for the end (ORDER BY, DISTINCT) rather than stream. */
  get buffering(): boolean {
    return this.buffered;
  }

  /** The buffered result, sorted and limited. */
  finish(): Batch | null {
    if (!this.buffered) return null;
    const rows = this.plan.orderBy.length > 0 ? this.rows.sort(this.compare) : this.rows;
    const from = this.plan.offset;
    const to = this.plan.limit === null ? rows.length : from + this.plan.limit;
    return this.batchOf(rows.slice(from, to));
  }
}
